// Agent keyboard shortcuts (static/script.js) in a real browser: j/k/Enter on the desk,
// r/n/a on a ticket, "?" for the list, silence inside text fields and for customers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  type Account,
  checkA11y,
  completeSetup,
  createUser,
  launchBrowser,
  newAccount,
  newPage,
  pathOf,
  type Server,
  signIn,
  signOut,
  startServer,
  submitTicket,
  waitForPath,
} from "./harness.ts";

/** What the polite live region says once script.js has filled it. */
async function announced(page: Page, text: string | RegExp): Promise<void> {
  const source = typeof text === "string" ? text : text.source;
  const isRegex = typeof text !== "string";
  await page.waitForFunction(
    ([want, regex]) => {
      const said = document.getElementById("announcer")?.textContent ?? "";
      return regex ? new RegExp(want).test(said) : said === want;
    },
    [source, isRegex] as const,
  );
}

/** The id of the ticket row marked selected, or null. */
function selectedRow(page: Page): Promise<string | null> {
  return page.evaluate(
    () =>
      document.querySelector("tr[data-ticket-row].is-selected")?.getAttribute("data-ticket-row") ??
      null,
  );
}

/** The href of the focused link, or the id / tag of whatever else has focus. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return "";
    return el.getAttribute("href") ?? (el.id || el.tagName.toLowerCase());
  });
}

describe("agent keyboard shortcuts", () => {
  let server: Server;
  let browser: Browser;
  let agent: Account;
  let customer: Account;
  /** Ticket ids in the order they were submitted (the desk lists the newest first). */
  const tickets: number[] = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const admin = await newPage(browser);
    await completeSetup(admin, server);
    agent = await createUser(admin, server, "agent", newAccount("Andy Agent"));
    customer = await createUser(admin, server, "customer", newAccount("Cid Customer"));
    await admin.context().close();

    const page = await newPage(browser);
    await signIn(page, server, customer);
    for (const title of ["Printer on fire", "Cannot export CSV", "Invoice has the wrong VAT"]) {
      tickets.push(
        await submitTicket(page, server, { title, description: `${title}, please help.` }),
      );
    }
    await page.context().close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function agentOnDesk(): Promise<Page> {
    const page = await newPage(browser);
    await signIn(page, server, agent);
    await page.goto(`${server.url}/desk?queue=unassigned`);
    return page;
  }

  it("on the desk j and k move the selection, Enter opens the selected ticket", async () => {
    const page = await agentOnDesk();
    try {
      const [first, second] = [tickets[2], tickets[1]];
      const hint = page.locator("[data-shortcut-hint]");
      assert.equal(await hint.isVisible(), true, "the hint shows when the shortcuts work");
      assert.equal(await hint.textContent(), "Press ? for keyboard shortcuts");

      await page.keyboard.press("j");
      assert.equal(await selectedRow(page), String(first));
      await announced(page, "Ticket 1 of 3.");
      await page.keyboard.press("j");
      assert.equal(await selectedRow(page), String(second));
      assert.equal(await focused(page), `/tickets/${second}`, "the row's link has focus");
      await announced(page, "Ticket 2 of 3.");
      await checkA11y(page, "desk with a selected row");

      await page.keyboard.press("k");
      assert.equal(await selectedRow(page), String(first));
      assert.equal(await focused(page), `/tickets/${first}`);
      assert.equal(await page.locator("tr.is-selected").count(), 1, "one row is selected");

      await page.keyboard.press("Enter");
      await waitForPath(page, `/tickets/${first}`);
      await page.getByRole("heading", { level: 1, name: "Invoice has the wrong VAT" }).waitFor();
    } finally {
      await page.context().close();
    }
  });

  it("back on the desk after opening a ticket, j carries on from that ticket", async () => {
    const page = await agentOnDesk();
    try {
      await page.keyboard.press("j");
      await page.keyboard.press("Enter");
      await waitForPath(page, `/tickets/${tickets[2]}`);
      await page.goBack();
      await waitForPath(page, "/desk");
      await page.waitForFunction(() => document.querySelector("tr.is-selected") !== null);
      assert.equal(await selectedRow(page), String(tickets[2]));
      await page.keyboard.press("j");
      assert.equal(await selectedRow(page), String(tickets[1]));
    } finally {
      await page.context().close();
    }
  });

  it("Enter opens the selected row even when focus has left its link", async () => {
    const page = await agentOnDesk();
    try {
      await page.keyboard.press("j");
      await page.keyboard.press("j");
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press("Enter");
      await waitForPath(page, `/tickets/${tickets[1]}`);
    } finally {
      await page.context().close();
    }
  });

  it("on a ticket r focuses the reply box, n ticks internal note, and keys typed there stay text", async () => {
    const page = await agentOnDesk();
    try {
      // Reach the ticket through a boosted swap: the shortcuts must survive it.
      await page.getByRole("link", { name: "Cannot export CSV" }).click();
      await waitForPath(page, `/tickets/${tickets[1]}`);
      await page.getByRole("heading", { level: 1, name: "Cannot export CSV" }).waitFor();
      const box = page.locator("#field-content");
      const internal = page.locator('input[name="internal"]');

      await page.keyboard.press("n");
      assert.equal(await focused(page), "field-content");
      assert.equal(await internal.isChecked(), true, "n ticks internal note");
      await announced(page, /internal note/);
      assert.equal(await box.inputValue(), "", "the n itself is not typed");

      await page.keyboard.type("jk a?r");
      assert.equal(await box.inputValue(), "jk a?r", "keys typed in the box are text");
      assert.equal(await internal.isChecked(), true, "and change nothing else");
      assert.equal(await page.locator("#shortcuts-help[open]").count(), 0);

      await box.fill("");
      await page.locator("main").focus();
      await page.keyboard.press("r");
      assert.equal(await focused(page), "field-content");
      assert.equal(await internal.isChecked(), false, "r unticks internal note");
      await announced(page, "Writing a reply to the customer.");

      // Ctrl/Alt/Meta combinations belong to the browser.
      await page.locator("main").focus();
      await page.keyboard.press("Control+n");
      await page.keyboard.press("Alt+n");
      assert.equal(await internal.isChecked(), false);
      assert.equal(await focused(page), "main");
    } finally {
      await page.context().close();
    }
  });

  it("a assigns the open ticket to the agent", async () => {
    const page = await agentOnDesk();
    try {
      await page.goto(`${server.url}/tickets/${tickets[0]}`);
      const head = page.locator(".ticket-head");
      await head.getByText("Unassigned", { exact: true }).waitFor();
      await page.keyboard.press("a");
      await head.getByText(`Assigned to ${agent.name}`, { exact: true }).waitFor();
      assert.equal(pathOf(page), `/tickets/${tickets[0]}`);
      assert.equal(await page.locator('[data-shortcut="assign-me"]').count(), 0);

      // Nothing left to assign: a says so instead of doing anything.
      await page.keyboard.press("a");
      await announced(page, /already/);
    } finally {
      await page.context().close();
    }
  });

  it("? opens the list of shortcuts, Esc closes it and focus goes back", async () => {
    const page = await agentOnDesk();
    try {
      const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
      assert.equal(await dialog.isVisible(), false, "hidden until asked for");
      await page.keyboard.press("j");
      const before = await focused(page);

      await page.keyboard.press("?");
      await dialog.waitFor();
      assert.match((await dialog.textContent()) ?? "", /Assign the ticket to me/);
      await checkA11y(page, "desk with the shortcuts dialog open");
      // Shortcuts are off while it is open.
      await page.keyboard.press("j");
      assert.equal(await page.locator("tr.is-selected").count(), 1);

      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      assert.equal(await focused(page), before);

      await page.keyboard.press("?");
      await dialog.waitFor();
      await dialog.getByRole("button", { name: "Close" }).click();
      await dialog.waitFor({ state: "hidden" });
      assert.equal(pathOf(page), "/desk", "closing is not a navigation");
    } finally {
      await page.context().close();
    }
  });

  it("g then d goes to the desk", async () => {
    const page = await agentOnDesk();
    try {
      await page.goto(`${server.url}/tickets/${tickets[0]}`);
      await page.keyboard.press("g");
      await page.keyboard.press("d");
      await waitForPath(page, "/desk");
    } finally {
      await page.context().close();
    }
  });

  it("without JavaScript the desk shows no shortcut hint and no dialog", async () => {
    const page = await newPage(browser, { javaScript: false });
    try {
      await signIn(page, server, agent);
      await page.goto(`${server.url}/desk?queue=unassigned`);
      await page.getByRole("heading", { level: 1, name: "Unassigned" }).waitFor();
      assert.equal(await page.locator("[data-shortcut-hint]").isVisible(), false);
      assert.equal(await page.getByRole("dialog").count(), 0, "the dialog stays closed");
      assert.equal(await page.getByText("Keyboard shortcuts", { exact: true }).isVisible(), false);
    } finally {
      await page.context().close();
    }
  });

  it("a customer gets no shortcuts, even after an agent signed out in the same tab", async () => {
    const page = await agentOnDesk();
    try {
      await signOut(page);
      // Signing in is a boosted form post: <body> itself is not replaced.
      await page.getByLabel("Email", { exact: true }).fill(customer.email);
      await page.getByLabel("Password", { exact: true }).fill(customer.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await waitForPath(page, "/tickets");
      assert.equal(await page.locator("body").getAttribute("data-shortcuts"), null);
      assert.equal(await page.locator("#shortcuts-help").count(), 0);

      await page.keyboard.press("j");
      assert.equal(await page.locator("tr.is-selected").count(), 0);

      await page.goto(`${server.url}/tickets/${tickets[0]}`);
      assert.equal(await page.locator("body").getAttribute("data-shortcuts"), null);
      await page.locator("main").focus();
      for (const key of ["r", "n", "?", "a"]) await page.keyboard.press(key);
      assert.equal(await focused(page), "main", "nothing took focus");
      assert.equal(await page.locator("dialog[open]").count(), 0);
      assert.equal(await page.locator("#announcer").textContent(), "");
    } finally {
      await page.context().close();
    }
  });
});
