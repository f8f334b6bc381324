// Bulk selection on the desk in a real browser (static/script.js): tick a row,
// shift-click another to tick the range between, assign them to me, and read
// the result page; the header box ticks the whole page.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
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

describe("bulk actions on the desk", () => {
  let server: Server;
  let browser: Browser;
  let agent: Account;
  const ids: number[] = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const admin = await newPage(browser);
    await completeSetup(admin, server);
    agent = await createUser(admin, server, "agent", newAccount("Bulk Agent"));
    const customer = await createUser(admin, server, "customer", newAccount("Bulk Customer"));
    await admin.context().close();
    const page = await newPage(browser);
    await signIn(page, server, customer);
    for (const n of [1, 2, 3, 4]) {
      ids.push(
        await submitTicket(page, server, { title: `Bulk ${n}`, description: `Ticket ${n}.` }),
      );
    }
    await page.context().close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("an agent ticks a row, shift-clicks a range, assigns them to themself and sees the result", async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, server, agent);
      await page.goto(`${server.url}/desk?queue=unassigned`);
      await settle(page);
      const rows = page.locator("input[data-bulk-row]");
      assert.equal(await rows.count(), 4);
      // Newest first: Bulk 4, 3, 2, 1. Tick the first, shift-click the third.
      await rows.nth(0).check();
      await rows.nth(2).click({ modifiers: ["Shift"] });
      const ticked = await rows.evaluateAll((boxes) =>
        boxes.map((b) => (b as HTMLInputElement).checked),
      );
      assert.deepEqual(ticked, [true, true, true, false]);
      await page.getByText("3 selected").waitFor();
      await checkA11y(page, "desk with rows ticked for a bulk action");

      await page.getByLabel("Change", { exact: true }).selectOption("assign:me");
      await page.getByRole("button", { name: "Apply to selected" }).click();
      await waitForPath(page, "/desk/bulk");
      await page.getByText("3 tickets changed, 0 already so, 0 refused.").waitFor();
      for (const id of [ids[3], ids[2], ids[1]]) {
        assert.equal(
          await page.locator(`[data-bulk-result="${id}"]`).getAttribute("data-outcome"),
          "changed",
        );
      }
      assert.equal(await page.locator(`[data-bulk-result="${ids[0]}"]`).count(), 0);

      await page.goto(`${server.url}/desk?queue=mine`);
      await settle(page);
      assert.equal(await page.locator("input[data-bulk-row]").count(), 3);

      // The header box ticks every row on the page.
      await page.goto(`${server.url}/desk?queue=unassigned`);
      await settle(page);
      await page.locator("input[data-bulk-all]").check();
      assert.equal(await page.locator("input[data-bulk-row]:checked").count(), 1);
    } finally {
      await page.context().close();
    }
  });
});
