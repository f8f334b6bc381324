// The desk's search box and saved views in a real browser: typing updates the
// results in place (htmx, debounced: one request once typing pauses, no page
// load, the box keeps focus and what was typed), and a search saved as a view
// shows on the desk with its count.
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
  waitForPath,
} from "./harness.ts";

describe("the desk's live search and saved views", () => {
  let server: Server;
  let browser: Browser;
  let agent: Account;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const admin = await newPage(browser);
    await completeSetup(admin, server);
    agent = await createUser(admin, server, "agent", newAccount("Andy Agent"));
    const customer = await createUser(admin, server, "customer", newAccount("Cid Customer"));
    await admin.context().close();
    const page = await newPage(browser);
    await signIn(page, server, customer);
    for (const title of ["Printer jammed", "Printer out of toner", "Password reset"]) {
      await submitTicket(page, server, { title, description: `About: ${title}.` });
    }
    await page.context().close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** The titles in the desk's results, in order. */
  const titles = (page: Page) => page.locator("#desk-results .ticket-title > a").allTextContents();

  it("typing in the search box updates the results without loading the page, once typing pauses", async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, server, agent);
      await page.goto(`${server.url}/desk?queue=open`);
      await settle(page);
      assert.equal((await titles(page)).length, 3);
      // A page load would drop this.
      await page.evaluate(() => {
        (window as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      const searches: string[] = [];
      page.on("request", (request) => {
        const url = new URL(request.url());
        if (url.pathname === "/desk" && url.searchParams.has("q")) searches.push(url.search);
      });
      const box = page.getByLabel("Search", { exact: true });
      await box.click();
      await page.keyboard.type("printer", { delay: 20 });
      await page.waitForFunction(
        () => document.querySelectorAll("#desk-results .ticket-title > a").length === 2,
      );
      await settle(page);
      assert.deepEqual((await titles(page)).sort(), ["Printer jammed", "Printer out of toner"]);
      assert.ok(
        searches.length >= 1 && searches.length < "printer".length,
        `debounced: ${searches.length} requests for 7 keys`,
      );
      assert.ok(
        await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
      );
      assert.equal(await box.inputValue(), "printer");
      assert.ok(await box.evaluate((el) => el === document.activeElement), "the box keeps focus");
      assert.equal(new URL(page.url()).searchParams.get("q"), "printer", "the address follows");

      await page.keyboard.type(" -toner");
      await page.waitForFunction(
        () => document.querySelectorAll("#desk-results .ticket-title > a").length === 1,
      );
      assert.deepEqual(await titles(page), ["Printer jammed"]);

      // A query it cannot read says where, in place.
      await page.keyboard.type(" status:nope");
      await page
        .locator("#field-q-error")
        .filter({ hasText: /status/ })
        .waitFor();
      assert.ok(
        await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
      );
    } finally {
      await page.context().close();
    }
  });

  it("a search saved as a view appears on the desk with its count, and opens those tickets", async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, server, agent);
      await page.goto(`${server.url}/desk?queue=open`);
      await settle(page);
      const box = page.getByLabel("Search", { exact: true });
      await box.click();
      await page.keyboard.type("printer");
      // The save form comes with the live results, carrying the search typed.
      const save = page.getByRole("form", { name: "Save this search" });
      await save.waitFor();
      await page.waitForFunction(
        () =>
          (document.querySelector('form.save-view input[name="q"]') as HTMLInputElement | null)
            ?.value === "printer",
      );
      await save.getByLabel("Name", { exact: true }).fill("Printers");
      await save.getByRole("button", { name: "Save view" }).click();
      await waitForPath(page, "/desk");
      await page.getByText("View saved.").waitFor();

      const nav = page.getByRole("navigation", { name: "Saved views" });
      const link = nav.getByRole("link", { name: /Printers/ });
      await link.waitFor();
      assert.equal((await link.locator(".count").textContent())?.trim(), "2");
      await checkA11y(page, "desk with a saved view and the save form");

      await page.goto(`${server.url}/desk`);
      await settle(page);
      await nav.getByRole("link", { name: /Printers/ }).click();
      await waitForPath(page, "/desk");
      assert.deepEqual((await titles(page)).sort(), ["Printer jammed", "Printer out of toner"]);
      assert.equal(
        await nav.getByRole("link", { name: /Printers/ }).getAttribute("aria-current"),
        "page",
      );
    } finally {
      await page.context().close();
    }
  });
});
