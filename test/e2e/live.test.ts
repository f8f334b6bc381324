// Live pages in real browsers: two agents on one ticket, each on their own app
// process, both processes on one PostgreSQL database (as behind a load
// balancer). Each sees the other there and typing, sees the other's reply
// without reloading, and the one who replies second is asked before sending.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/postgres.ts";
import {
  checkA11y,
  completeSetup,
  createUser,
  launchBrowser,
  newAccount,
  newPage,
  type Server,
  signIn,
  startServer,
  submitTicket,
  waitForPath,
} from "./harness.ts";

describe("live pages on two nodes", {
  skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL is not set",
}, () => {
  let scratch: ScratchDatabase;
  let a: Server;
  let b: Server;
  let browser: Browser;
  let one: Page;
  let two: Page;

  before(async () => {
    scratch = await createScratchDatabase("tessera_live");
    [a, b] = await Promise.all([
      startServer({ DATABASE_URL: scratch.url }),
      startServer({ DATABASE_URL: scratch.url }),
    ]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
  });

  test("two agents see each other, each other's replies, and the second is asked first", async () => {
    const admin = await newPage(browser);
    await completeSetup(admin, a);
    const ann = await createUser(admin, a, "agent", newAccount("Ann Agent"));
    const bob = await createUser(admin, a, "agent", newAccount("Bob Agent"));
    const ticketId = await submitTicket(admin, a, {
      title: "Printer on fire",
      description: "Smoke from tray 2.",
    });
    await admin.context().close();

    one = await newPage(browser);
    two = await newPage(browser);
    await signIn(one, a, ann);
    await signIn(two, b, bob);
    await one.goto(`${a.url}/tickets/${ticketId}`);
    await two.goto(`${b.url}/tickets/${ticketId}`);

    // Presence crosses nodes: each sees the other, never themselves.
    const presenceOne = one.locator("#presence");
    const presenceTwo = two.locator("#presence");
    await presenceOne.getByText("Bob Agent").waitFor();
    await presenceTwo.getByText("Ann Agent").waitFor();
    assert.ok(!(await presenceOne.textContent())?.includes("Ann Agent"));

    // Bob starts typing on node B; Ann sees it on node A.
    await two
      .getByRole("textbox", { name: "Message" })
      .fill("Bob's draft: have you tried turning it off?");
    await presenceOne.getByText("(typing a reply)").waitFor();
    await checkA11y(one, "a ticket with a colleague typing");

    // The pages were not reloaded: a marker set now must survive the live updates.
    await two.evaluate(() => {
      (window as unknown as { marker: string }).marker = "still here";
    });

    // Ann replies on node A; Bob sees it on node B without reloading.
    await one.getByRole("textbox", { name: "Message" }).fill("Ann here: I am on it.");
    await one.getByRole("button", { name: "Send", exact: true }).click();
    await waitForPath(one, `/tickets/${ticketId}`);
    await two.locator("#conversation").getByText("Ann here: I am on it.").waitFor();
    assert.equal(
      await two.evaluate(() => (window as unknown as { marker?: string }).marker),
      "still here",
    );
    // Bob's draft is untouched by the update.
    assert.equal(
      await two.getByRole("textbox", { name: "Message" }).inputValue(),
      "Bob's draft: have you tried turning it off?",
    );

    // Bob sends: the server asks first, keeping his draft and showing Ann's reply.
    await two.getByRole("button", { name: "Send", exact: true }).click();
    await two.getByText("Ann Agent replied while you were writing.").waitFor();
    assert.equal(
      await two.getByRole("textbox", { name: "Message" }).inputValue(),
      "Bob's draft: have you tried turning it off?",
    );
    await checkA11y(two, "the reply conflict page");
    await two.getByRole("button", { name: "Send anyway" }).click();
    await two.locator("#conversation").getByText("Bob's draft: have you tried").waitFor();
    await one.locator("#conversation").getByText("Bob's draft: have you tried").waitFor();

    // Bob leaves the ticket: Ann's page stops showing him, and nobody else lingers (the
    // admin's browser was closed just after her ticket page loaded, maybe before its
    // stream's request was answered: that page must not be announced).
    await two.goto(`${b.url}/desk`);
    await presenceOne.waitFor({ state: "hidden", timeout: 35_000 });

    // The desk updates in place: Ann changes the status on node A, Bob's desk on node B shows it.
    await two.goto(`${b.url}/desk?queue=unassigned`);
    const row = two.locator(`tr[data-ticket-row="${ticketId}"]`);
    await row.waitFor();
    await one.getByLabel("Status").selectOption("pending");
    await one.getByRole("button", { name: "Save changes" }).click();
    await waitForPath(one, `/tickets/${ticketId}`);
    await row.locator(".status").getByText("Pending").waitFor();

    // A new ticket in Bob's queue appears without a reload.
    const customerPage = await newPage(browser);
    await signIn(customerPage, a, ann);
    await submitTicket(customerPage, a, { title: "Second fire", description: "Tray 3." });
    await two.locator("tr[data-ticket-row]").getByText("Second fire").waitFor();
    await customerPage.context().close();
    await one.context().close();
    await two.context().close();
  });
});
