// Canned replies in a real browser (static/script.js): "/" in the reply box opens a
// filtered list, the keys move and close it, Enter inserts the reply filled in for the
// ticket, as text, after what was typed; a hostile requester name never becomes markup.
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
  type Server,
  settle,
  signIn,
  startServer,
  submitTicket,
  visibleText,
  waitForPath,
} from "./harness.ts";

const HOSTILE = "<img src=x onerror=alert(1)> [x](javascript:alert(1))";

describe("canned replies picker", () => {
  let server: Server;
  let browser: Browser;
  let agent: Account;
  let ticketId: number;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const admin = await newPage(browser);
    await completeSetup(admin, server);
    agent = await createUser(admin, server, "agent", newAccount("Andy Agent"));
    const customer = await createUser(admin, server, "customer", {
      ...newAccount("Hostile Customer"),
      name: HOSTILE,
    });
    await admin.context().close();
    const page = await newPage(browser);
    await signIn(page, server, customer);
    ticketId = await submitTicket(page, server, {
      title: "Printer jammed",
      description: "It jams on every page.",
    });
    await page.context().close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** The reply box's listbox option names, as shown. */
  const optionNames = (page: Page) =>
    page.getByRole("listbox").getByRole("option").allTextContents();

  it("an agent saves canned replies, then inserts one with / and the keyboard, filled in as text", async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, server, agent);
      for (const [title, body] of [
        [
          "Printer reset",
          "Hello {{requester.name}},\n\nplease restart the printer (#{{ticket.id}}).\n\n{{agent.name}}",
        ],
        ["Refund policy", "Refunds take five days."],
      ] as const) {
        await page.goto(`${server.url}/canned-replies`);
        await page.getByLabel("Title").fill(title);
        await page.getByLabel("Text", { exact: true }).fill(body);
        await page.getByRole("button", { name: "Create canned reply" }).click();
        await waitForPath(page, "/canned-replies");
        await page.getByText("Canned reply saved.").waitFor();
      }

      await page.goto(`${server.url}/tickets/${ticketId}`);
      await settle(page);
      const box = page.getByLabel("Message", { exact: true });
      await box.click();
      await page.keyboard.type("Thanks for waiting.\n");
      // A "/" inside a line is just a slash.
      await page.keyboard.type("either/or ");
      assert.equal(await page.getByRole("listbox").count(), 0);
      await page.keyboard.press("Enter");

      await page.keyboard.type("/");
      await page.getByRole("listbox").waitFor();
      assert.deepEqual(await optionNames(page), ["Printer reset (mine)", "Refund policy (mine)"]);
      await page.keyboard.type("prin");
      await page.waitForFunction(() => document.querySelectorAll('[role="option"]').length === 1);
      assert.deepEqual(await optionNames(page), ["Printer reset (mine)"]);
      const active = await box.getAttribute("aria-activedescendant");
      assert.ok(active, "the chosen option is named on the box, which keeps focus");
      assert.equal(await page.locator(`#${active}`).getAttribute("aria-selected"), "true");
      await checkA11y(page, "ticket page with the canned reply picker open");

      await page.keyboard.press("Escape");
      await page.getByRole("listbox").waitFor({ state: "detached" });
      assert.equal(await box.getAttribute("aria-activedescendant"), null);

      await page.keyboard.press("Backspace"); // "/pri": opens again
      await page.getByRole("listbox").waitFor();
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Enter");
      await page.getByRole("listbox").waitFor({ state: "detached" });
      await page.waitForFunction(() =>
        (
          document.querySelector('textarea[name="content"]') as HTMLTextAreaElement | null
        )?.value.includes("restart"),
      );
      assert.equal(
        await box.inputValue(),
        `Thanks for waiting.\neither/or \nHello \\<img src\\=x onerror\\=alert\\(1\\)\\> \\[x\\]\\(javascript\\:alert\\(1\\)\\),\n\nplease restart the printer (#${ticketId}).\n\nAndy Agent`,
      );

      await page.getByRole("button", { name: "Send", exact: true }).click();
      await waitForPath(page, `/tickets/${ticketId}`);
      const sent = page.locator("#conversation .message").last();
      await sent.getByText("please restart the printer").waitFor();
      assert.match(
        await visibleText(sent.locator(".message-body")),
        /Hello <img src=x onerror=alert\(1\)> \[x\]\(javascript:alert\(1\)\),/,
      );
      assert.equal(
        await sent.locator(".message-body img, .message-body a").count(),
        0,
        "no value became markup",
      );
    } finally {
      await page.context().close();
    }
  });

  it("with JavaScript, the list and its Insert button fill the box too, without sending anything", async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, server, agent);
      await page.goto(`${server.url}/tickets/${ticketId}`);
      await settle(page);
      const messages = await page.locator("#conversation > li").count();
      const box = page.getByLabel("Message", { exact: true });
      await box.fill("Kept draft.");
      await page
        .getByLabel("Canned reply", { exact: true })
        .selectOption({ label: "Refund policy (mine)" });
      await page.getByRole("button", { name: "Insert", exact: true }).click();
      await page.waitForFunction(() =>
        (
          document.querySelector('textarea[name="content"]') as HTMLTextAreaElement | null
        )?.value.includes("Refunds"),
      );
      await settle(page);
      assert.equal(
        await page.getByLabel("Message", { exact: true }).inputValue(),
        "Kept draft.\n\nRefunds take five days.",
      );
      assert.equal(await page.locator("#conversation > li").count(), messages, "nothing was sent");
      assert.equal(new URL(page.url()).pathname, `/tickets/${ticketId}`);
    } finally {
      await page.context().close();
    }
  });
});
