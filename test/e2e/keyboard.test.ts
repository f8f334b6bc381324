// Keyboard use and layout: a journey with the keyboard alone, every control on
// the main pages reachable with Tab and showing where focus is, and no page that
// scrolls sideways on a phone (375 px) or a wide screen (1440 px).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  type Account,
  completeSetup,
  createUser,
  launchBrowser,
  newAccount,
  newPage,
  type Server,
  settle,
  signIn,
  signUp,
  startServer,
  submitTicket,
  waitForPath,
} from "./harness.ts";

/** What has focus now, and whether a person can see it. */
interface Focus {
  /** e.g. `input "Email"`, for messages. */
  describe: string;
  name: string;
  /** The `data-kb` number the reachability test gave the element, if any. */
  index: string | null;
  focusVisible: boolean;
  /** A visible outline or box-shadow is drawn on it. */
  indicator: boolean;
  /** It is inside <main> (past the header). */
  inMain: boolean;
  /** It is within the window, where a person can see it. */
  onScreen: boolean;
}

async function focus(page: Page): Promise<Focus | null> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!(el instanceof HTMLElement) || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== "none" && style.boxShadow !== "";
    const labels = (el as HTMLInputElement).labels;
    const name = (
      el.getAttribute("aria-label") ??
      (labels && labels.length > 0 ? labels[0]?.textContent : el.textContent) ??
      ""
    )
      .replace(/\s+/g, " ")
      .trim();
    const type = el.getAttribute("type");
    return {
      describe: `${el.tagName.toLowerCase()}${type ? `[type=${type}]` : ""} "${name}"`,
      name,
      index: el.getAttribute("data-kb"),
      focusVisible: el.matches(":focus-visible"),
      indicator: outline || shadow,
      inMain: el.closest("main") !== null,
      onScreen: (() => {
        const box = el.getBoundingClientRect();
        return box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth;
      })(),
    };
  });
}

/** Fails unless the focused element shows a focus indicator under :focus-visible. */
function assertVisibleFocus(current: Focus, where: string): void {
  assert.ok(current.focusVisible, `${current.describe} on ${where} matches :focus-visible`);
  assert.ok(current.indicator, `${current.describe} on ${where} has a visible focus indicator`);
}

/**
 * Presses Tab (or Shift+Tab) until the focused element's name starts with
 * `name`, checking the focus indicator of every element passed on the way.
 */
async function tabTo(
  page: Page,
  name: string,
  { back = false, max = 40 }: { back?: boolean; max?: number } = {},
): Promise<void> {
  const where = new URL(page.url()).pathname;
  const passed: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const current = await focus(page);
    if (!current) continue;
    assertVisibleFocus(current, where);
    if (current.name.startsWith(name)) return;
    passed.push(current.describe);
  }
  assert.fail(
    `"${name}" not reached with ${back ? "Shift+Tab" : "Tab"} on ${where}; passed ${passed.join(", ")}`,
  );
}

describe("keyboard and layout", () => {
  let server: Server;
  let browser: Browser;
  let admin: Account;
  let agent: Account;
  let customer: Account;
  let ticketId: number;

  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const page = await newPage(browser);
    admin = await completeSetup(page, server);
    agent = await createUser(page, server, "agent", newAccount("Kim Keys"));
    await page.context().close();

    const customerPage = await newPage(browser);
    customer = await signUp(customerPage, server, newAccount("Lou Layout"));
    ticketId = await submitTicket(customerPage, server, {
      title: "The invoice download link from the March statement email does not open",
      description:
        "The link was https://billing.example.com/statements/2025/03/download?account=ACME-000123456789&format=pdf&signature=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 and it shows a blank page.",
      priority: "high",
      files: [{ name: "statement.txt", mimeType: "text/plain", buffer: Buffer.from("March") }],
    });
    await customerPage.context().close();

    const agentPage = await newPage(browser);
    await signIn(agentPage, server, agent);
    await agentPage.goto(`${server.url}/tickets/${ticketId}`);
    await agentPage.getByRole("textbox", { name: "Message" }).fill("Looking into it now.");
    await agentPage.getByRole("button", { name: "Send", exact: true }).click();
    await agentPage.getByText("Reply added.").waitFor();
    await agentPage.context().close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("a customer signs in and submits a ticket with the keyboard alone", async () => {
    const page = await newPage(browser);
    try {
      const person = await signUp(page, server, newAccount("Kai Keyboard"));
      await page.context().clearCookies();
      await page.goto(`${server.url}/login`);

      await tabTo(page, "Email");
      await page.keyboard.type(person.email);
      await tabTo(page, "Password", { max: 1 });
      await page.keyboard.type(person.password);
      await page.keyboard.press("Enter");
      await waitForPath(page, "/tickets");
      await page.getByRole("heading", { level: 1, name: "My tickets" }).waitFor();

      await tabTo(page, "New ticket");
      await page.keyboard.press("Enter");
      await waitForPath(page, "/tickets/new");
      await page.getByRole("heading", { level: 1, name: "Open a ticket" }).waitFor();

      await tabTo(page, "Subject");
      await page.keyboard.type("Cannot reset my password");
      await tabTo(page, "Description", { max: 1 });
      await page.keyboard.type("The reset email never arrives.");
      await tabTo(page, "Subject", { back: true, max: 1 });
      await page.keyboard.press("End");
      await page.keyboard.type(" by email");
      await tabTo(page, "Description", { max: 1 });
      await tabTo(page, "Priority", { max: 1 });
      await page.keyboard.press("ArrowDown"); // Normal -> High
      assert.equal(await page.getByLabel("Priority").inputValue(), "high");
      await tabTo(page, "Attachments", { max: 1 });
      const chooser = page.waitForEvent("filechooser");
      await page.keyboard.press("Space");
      await (await chooser).setFiles({
        name: "bounce.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("550 mailbox full"),
      });
      await tabTo(page, "Submit ticket", { max: 1 });
      await page.keyboard.press("Space");

      await waitForPath(page, /^\/tickets\/\d+$/);
      await page.getByText("Ticket created.").waitFor();
      await page
        .getByRole("heading", { level: 1, name: /Cannot reset my password by email/ })
        .waitFor();
      await page.locator(".ticket-head").getByText("High", { exact: true }).waitFor();
      await page.getByRole("link", { name: "bounce.txt" }).waitFor();
    } finally {
      await page.context().close();
    }
  });

  it("the first Tab stop is a visible skip link that jumps past the header", async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, server, agent);
      await page.goto(`${server.url}/desk`);
      await page.keyboard.press("Tab");
      const skip = await focus(page);
      assert.equal(skip?.name, "Skip to content");
      assert.ok(skip?.onScreen, "the skip link is shown when it has focus");
      assertVisibleFocus(skip, "/desk");
      await page.keyboard.press("Enter");
      await page.keyboard.press("Tab");
      const next = await focus(page);
      assert.ok(next?.inMain, `after the skip link, Tab goes into <main> (got ${next?.describe})`);
    } finally {
      await page.context().close();
    }
  });

  it("after a mistake, focus lands on the error summary and the next Tab is the field to fix", async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, server, customer);
      await page.goto(`${server.url}/tickets/new`);
      await tabTo(page, "Description");
      await page.keyboard.type("I left the subject empty.");
      await tabTo(page, "Submit ticket");
      await page.keyboard.press("Enter");
      await page.getByText("Please correct the fields marked below.").waitFor();
      await settle(page);
      const summary = await focus(page);
      assert.match(summary?.name ?? "(nothing focused)", /Please correct the fields marked below/);
      await tabTo(page, "Subject", { max: 1 });
      await page.keyboard.type("Subject added");
      await tabTo(page, "Submit ticket");
      await page.keyboard.press("Enter");
      await waitForPath(page, /^\/tickets\/\d+$/);
      await page.getByText("Ticket created.").waitFor();
      await page.getByText("I left the subject empty.").waitFor();
    } finally {
      await page.context().close();
    }
  });

  /** The main pages, each opened as the person who uses it. */
  function mainPages(): { path: string; as: Account | null }[] {
    return [
      { path: "/login", as: null },
      { path: "/signup", as: null },
      { path: "/password/forgot", as: null },
      { path: "/tickets", as: customer },
      { path: "/tickets/new", as: customer },
      { path: `/tickets/${ticketId}`, as: customer },
      { path: "/account", as: customer },
      { path: "/desk", as: agent },
      { path: `/tickets/${ticketId}`, as: agent },
      { path: "/admin/users", as: admin },
      { path: "/admin/users/new", as: admin },
      { path: "/no-such-page", as: customer },
    ];
  }

  /** One signed-in page per person (and one signed out), for visiting many pages. */
  async function pagesByPerson(width: number): Promise<Map<Account | null, Page>> {
    const pages = new Map<Account | null, Page>();
    for (const person of [null, customer, agent, admin]) {
      const page = await newPage(browser, { width });
      if (person) await signIn(page, server, person);
      pages.set(person, page);
    }
    return pages;
  }

  it("every control on the main pages is reachable with Tab and shows where focus is", async () => {
    const pages = await pagesByPerson(1280);
    try {
      for (const { path, as } of mainPages()) {
        const page = pages.get(as);
        assert.ok(page);
        await page.goto(`${server.url}${path}`);
        const where = `${path}${as ? ` as ${as.name}` : ""}`;
        // Number every control a person could operate: visible, enabled, not taken out of the tab order.
        const controls = await page.evaluate(() => {
          const selector =
            "a[href], button, summary, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])";
          const found: string[] = [];
          for (const el of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
            if ((el as HTMLButtonElement).disabled) continue;
            if (el.getAttribute("tabindex") === "-1") continue;
            const style = getComputedStyle(el);
            if (style.display === "none" || style.visibility === "hidden") continue;
            if (el.closest("[hidden], [inert]")) continue;
            // What a closed <details> holds is not shown until its summary opens it (Chromium
            // still gives it boxes): its summary is the control.
            if (el.closest("details:not([open]) > :not(summary)")) continue;
            if (el.getClientRects().length === 0) continue;
            // Tab enters a radio group at its checked option (arrow keys move within it).
            if (el instanceof HTMLInputElement && el.type === "radio" && !el.checked) {
              const group = document.querySelectorAll<HTMLInputElement>(
                `input[type=radio][name="${CSS.escape(el.name)}"]`,
              );
              if (Array.from(group).some((r) => r.checked)) continue;
            }
            el.setAttribute("data-kb", String(found.length));
            found.push(
              `${el.tagName.toLowerCase()} "${(el.getAttribute("aria-label") ?? el.textContent ?? el.id).replace(/\s+/g, " ").trim()}"`,
            );
          }
          return found;
        });
        assert.ok(controls.length > 0, `${where} has controls`);
        const reached = new Set<string>();
        for (let i = 0; i < controls.length + 10 && reached.size < controls.length; i++) {
          await page.keyboard.press("Tab");
          const current = await focus(page);
          if (!current) continue;
          assertVisibleFocus(current, where);
          if (current.index !== null) reached.add(current.index);
        }
        const missed = controls.filter((_, i) => !reached.has(String(i)));
        assert.deepEqual(missed, [], `controls on ${where} that Tab never reaches`);
      }
    } finally {
      await Promise.all([...pages.values()].map((page) => page.context().close()));
    }
  });

  for (const width of [375, 1440]) {
    it(`no main page scrolls sideways at ${width} px`, async () => {
      const pages = await pagesByPerson(width);
      try {
        const problems: string[] = [];
        for (const { path, as } of mainPages()) {
          const page = pages.get(as);
          assert.ok(page);
          await page.goto(`${server.url}${path}`);
          const overflow = await page.evaluate(() => {
            const root = document.documentElement;
            if (root.scrollWidth <= window.innerWidth) return null;
            // Name the widest culprits, to say what to fix.
            const wide = Array.from(document.querySelectorAll<HTMLElement>("body *"))
              .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
              .slice(-5)
              .map((el) => `${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ""}`);
            return `${root.scrollWidth} px wide in a ${window.innerWidth} px window (${wide.join(", ")})`;
          });
          if (overflow) problems.push(`${path}${as ? ` as ${as.name}` : ""}: ${overflow}`);
        }
        assert.deepEqual(problems, [], `pages wider than ${width} px`);
      } finally {
        await Promise.all([...pages.values()].map((page) => page.context().close()));
      }
    });
  }
});
