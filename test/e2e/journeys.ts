// The main journeys through Tessera, as a person does them in a browser. Defined
// once and run twice: journeys.test.ts with JavaScript (htmx-boosted pages) and
// journeys-no-js.test.ts without (plain HTML forms). Each file gets one fresh
// server; each test gets fresh browser contexts. The first test is first-run
// setup, whose admin the later tests use; everything else a test makes itself.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  type Account,
  checkA11y,
  completeSetup,
  confirmSignUp,
  createUser,
  launchBrowser,
  newAccount,
  newPage,
  pathOf,
  type Server,
  signIn,
  signOut,
  signUp,
  startServer,
  submitTicket,
  visibleText,
  waitForPath,
} from "./harness.ts";

/** Waits until `text` is visible somewhere on the page. */
async function see(page: Page, text: string | RegExp): Promise<void> {
  await page.getByText(text).first().waitFor();
}

/** Waits until the page's main heading reads `name`. */
async function heading(page: Page, name: string | RegExp): Promise<void> {
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

/** The text of the ticket's status badge (the first badge under its heading). */
function statusBadge(page: Page) {
  return page.locator(".ticket-head .badge").first();
}

/** The error shown next to the field labelled `label`, checked to be wired to the field. */
async function errorNextTo(page: Page, fieldId: string): Promise<string> {
  const field = page.locator(".field", { has: page.locator(`#${fieldId}`) });
  const error = field.locator(".error");
  const control = page.locator(`#${fieldId}`);
  assert.equal(await control.getAttribute("aria-invalid"), "true", `${fieldId} is marked invalid`);
  const describedBy = (await control.getAttribute("aria-describedby")) ?? "";
  const errorId = (await error.getAttribute("id")) ?? "(no id)";
  assert.ok(describedBy.split(" ").includes(errorId), `${fieldId} is described by its error`);
  return (await visibleText(error)).trim();
}

export function defineJourneys({ javaScript }: { javaScript: boolean }): void {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  describe(`journeys ${mode}`, () => {
    let server: Server;
    let browser: Browser;
    let admin: Account | undefined;
    let opened: Page[] = [];

    before(async () => {
      [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    afterEach(async () => {
      await Promise.all(opened.map((page) => page.context().close()));
      opened = [];
    });

    /** A page in a fresh context (own cookies), closed after the test. */
    async function open(): Promise<Page> {
      const page = await newPage(browser, { javaScript });
      opened.push(page);
      return page;
    }

    async function a11y(page: Page, label: string): Promise<void> {
      await checkA11y(page, `${label}, ${mode}`);
    }

    function theAdmin(): Account {
      if (!admin) throw new Error("the first-run setup journey did not finish");
      return admin;
    }

    async function signedIn(account: Account): Promise<Page> {
      const page = await open();
      await signIn(page, server, account);
      return page;
    }

    it("first-run setup: sign-in points to the log, the one-time link creates the first admin", async () => {
      const page = await open();
      await page.goto(`${server.url}/`);
      await waitForPath(page, "/login");
      await see(page, "Tessera has no accounts yet.");
      await a11y(page, "sign-in page before setup");

      const link = await server.setupLink();
      await page.goto(link);
      await heading(page, "Set up Tessera");
      await a11y(page, "setup page");

      const account = await completeSetup(page, server, newAccount("Ada Admin"));
      await heading(page, "Users");
      await see(page, "Welcome to Tessera.");
      const row = page.getByRole("row", { name: account.name });
      assert.match(await visibleText(row), /\(you\)/);
      assert.equal(await row.getByRole("combobox").inputValue(), "admin");
      await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
      await a11y(page, "users list");
      admin = account;

      // The link works once: afterwards it is an ordinary "Not found".
      const again = await page.goto(link);
      assert.equal(again?.status(), 404);
      await heading(page, "Not found");
      await a11y(page, "error page (404)");
    });

    it("a customer who forgot their password sets a new one from the mailed link", async () => {
      const page = await open();
      const customer = await signUp(page, server, newAccount("Fran Forgetful"));
      await signOut(page);
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await waitForPath(page, "/password/forgot");
      await heading(page, "Reset your password");
      await a11y(page, "forgot password");
      await page.getByLabel("Email", { exact: true }).fill(customer.email);
      await page.getByRole("button", { name: "Send the link" }).click();
      await see(page, "Check your inbox.");
      await page.goto(await server.mailedLink(customer.email, "/password/reset"));
      await heading(page, "Choose a new password");
      await a11y(page, "choose a new password");
      const password = "a new passphrase 42";
      await page.getByLabel("New password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Set password and sign in" }).click();
      await waitForPath(page, "/tickets");
      await see(page, "Your new password is set.");
      await signOut(page);
      await signIn(page, server, { ...customer, password });
      await waitForPath(page, "/tickets");
    });

    it("sign-up, sign-out and sign-in", async () => {
      const page = await open();
      await page.goto(`${server.url}/login`);
      await heading(page, "Sign in");
      assert.equal(await page.getByText("Tessera has no accounts yet.").count(), 0);
      await a11y(page, "sign-in page");

      await page.getByRole("main").getByRole("link", { name: "Sign up" }).click();
      await waitForPath(page, "/signup");
      await heading(page, "Create your account");
      await a11y(page, "sign-up page");

      const customer = newAccount("Sam Signup");
      await page.getByLabel("Name", { exact: true }).fill(customer.name);
      await page.getByLabel("Email", { exact: true }).fill(customer.email);
      await page.getByLabel("Password", { exact: true }).fill(customer.password);
      await page.getByRole("button", { name: "Create account" }).click();
      await see(page, "Check your inbox.");
      await a11y(page, "sign-up sent");
      await page.goto(await server.mailedLink(customer.email, "/signup/confirm"));
      await heading(page, "Confirm your account");
      await a11y(page, "sign-up confirmation");
      await page.getByRole("button", { name: "Confirm and sign in" }).click();
      await waitForPath(page, "/tickets");
      await heading(page, "My tickets");
      await see(page, "Welcome to Tessera.");
      await see(page, "You have not opened any tickets yet.");
      await a11y(page, "my tickets (none yet)");

      await page.getByRole("link", { name: customer.name }).click();
      await waitForPath(page, "/account");
      await heading(page, "Your account");
      await see(page, customer.email);
      await a11y(page, "account page");

      await signOut(page);
      await see(page, "You have signed out.");
      assert.equal(await page.getByRole("link", { name: customer.name }).count(), 0);

      await page.getByLabel("Email", { exact: true }).fill(customer.email);
      await page.getByLabel("Password", { exact: true }).fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await see(page, "That email and password do not match an active account.");
      assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), customer.email);
      assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "");
      await a11y(page, "sign-in page with an error");

      await page.getByLabel("Password", { exact: true }).fill(customer.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await waitForPath(page, "/tickets");
      await heading(page, "My tickets");
      await page.getByRole("link", { name: customer.name }).waitFor();
    });

    it("a customer submits a ticket with an attachment and finds it in their list", async () => {
      const page = await open();
      await signUp(page, server, newAccount("Tina Ticket"));
      await page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "New ticket" })
        .click();
      await waitForPath(page, "/tickets/new");
      await heading(page, "Open a ticket");
      await a11y(page, "new ticket form");

      const title = "Printer prints only blank pages";
      const attachment = "Error 0x42 at line 7\n";
      await page.getByLabel("Subject").fill(title);
      await page.getByLabel("Description").fill("Since Monday every page comes out **blank**.");
      await page.getByLabel("Priority").selectOption("high");
      await page.getByLabel("Attachments (optional)").setInputFiles({
        name: "printer-log.txt",
        mimeType: "text/plain",
        buffer: Buffer.from(attachment),
      });
      await page.getByRole("button", { name: "Submit ticket" }).click();
      await waitForPath(page, /^\/tickets\/\d+$/);
      await see(page, "Ticket created.");
      await heading(page, new RegExp(title));
      assert.equal(await visibleText(statusBadge(page)), "New");
      await page.locator(".ticket-head").getByText("High", { exact: true }).waitFor();
      await see(page, "Since Monday every page comes out");
      const download = page.getByRole("link", { name: "printer-log.txt" });
      const href = await download.getAttribute("href");
      assert.ok(href, "the attachment is a link");
      const file = await page.request.get(new URL(href, server.url).href);
      assert.equal(file.status(), 200);
      assert.equal(await file.text(), attachment);
      // Clicking it downloads the file and leaves the page as it was: the file's
      // content is never swapped into the page (it could carry hx-* attributes).
      const [saved] = await Promise.all([page.waitForEvent("download"), download.click()]);
      assert.equal(saved.suggestedFilename(), "printer-log.txt");
      await heading(page, new RegExp(title));
      assert.match(pathOf(page), /^\/tickets\/\d+$/);
      assert.ok(
        !(await page.content()).includes("Error 0x42"),
        "the file is not shown in the page",
      );
      await a11y(page, "ticket page as its customer");

      await page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "My tickets" })
        .click();
      await waitForPath(page, "/tickets");
      const row = page.getByRole("row", { name: new RegExp(title) });
      await row.waitFor();
      assert.match(await visibleText(row), /New/);
      await a11y(page, "my tickets");
    });

    it("an admin creates an agent and disables a user, who is signed out at once", async () => {
      const adminPage = await signedIn(theAdmin());
      await adminPage.getByRole("link", { name: "Users", exact: true }).click();
      await waitForPath(adminPage, "/admin/users");
      await adminPage.getByRole("link", { name: "Create user" }).click();
      await waitForPath(adminPage, "/admin/users/new");
      await heading(adminPage, "Create user");
      await a11y(adminPage, "new user form");

      const agent = newAccount("Alex Agent");
      await adminPage.getByLabel("Name", { exact: true }).fill(agent.name);
      await adminPage.getByLabel("Email", { exact: true }).fill(agent.email);
      await adminPage.getByLabel("Role", { exact: true }).selectOption("agent");
      await adminPage.getByLabel("Password", { exact: true }).fill(agent.password);
      await adminPage.getByRole("button", { name: "Create user" }).click();
      await waitForPath(adminPage, "/admin/users");
      await see(adminPage, "User created.");
      const agentRow = adminPage.getByRole("row", { name: agent.name });
      assert.equal(await agentRow.getByRole("combobox").inputValue(), "agent");

      const agentPage = await signedIn(agent);
      await waitForPath(agentPage, "/desk");
      await agentPage.getByRole("link", { name: "Desk" }).waitFor();
      assert.equal(await agentPage.getByRole("link", { name: "Users", exact: true }).count(), 0);

      const customerPage = await open();
      const customer = await signUp(customerPage, server, newAccount("Dora Disabled"));

      await adminPage.goto(`${server.url}/admin/users`);
      const row = adminPage.getByRole("row", { name: customer.name });
      assert.match(await visibleText(row), /Active/);
      await row.getByRole("button", { name: `Disable ${customer.name}` }).click();
      await see(adminPage, "User updated.");
      await adminPage.getByRole("button", { name: `Enable ${customer.name}` }).waitFor();
      assert.match(
        await visibleText(adminPage.getByRole("row", { name: customer.name })),
        /Disabled/,
      );
      await a11y(adminPage, "users list after a change");

      await customerPage.goto(`${server.url}/tickets`);
      await waitForPath(customerPage, "/login");
      await heading(customerPage, "Sign in");
      await customerPage.getByLabel("Email", { exact: true }).fill(customer.email);
      await customerPage.getByLabel("Password", { exact: true }).fill(customer.password);
      await customerPage.getByRole("button", { name: "Sign in" }).click();
      await see(customerPage, "That email and password do not match an active account.");
      assert.equal(pathOf(customerPage), "/login");
    });

    let triaged: { customer: Account; ticketId: number; reply: string; note: string } | undefined;

    it("an agent triages from the desk: filter, open, assign to self, reply, note, solve", async () => {
      const adminPage = await signedIn(theAdmin());
      const agent = await createUser(adminPage, server, "agent", newAccount("Tom Triage"));

      const customerPage = await open();
      const customer = await signUp(customerPage, server, newAccount("Una Urgent"));
      const urgent = `Checkout is down ${Date.now()}`;
      const low = `Typo on the pricing page ${Date.now()}`;
      const ticketId = await submitTicket(customerPage, server, {
        title: urgent,
        description: "Every payment fails with error 500.",
        priority: "urgent",
      });
      await submitTicket(customerPage, server, {
        title: low,
        description: "It says 'monthy'.",
        priority: "low",
      });

      const page = await signedIn(agent);
      await waitForPath(page, "/desk");
      await heading(page, "Unassigned");
      await page.getByRole("link", { name: urgent }).waitFor();
      await page.getByRole("link", { name: low }).waitFor();
      await a11y(page, "desk");

      await page.getByLabel("Priority", { exact: true }).selectOption("urgent");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL((url) => url.searchParams.get("priority") === "urgent");
      await see(page, "Unassigned tickets, filtered");
      await page.getByRole("link", { name: urgent }).waitFor();
      assert.equal(await page.getByRole("link", { name: low }).count(), 0);
      await a11y(page, "desk, filtered");

      await page.getByRole("link", { name: urgent }).click();
      await waitForPath(page, `/tickets/${ticketId}`);
      await heading(page, new RegExp(urgent));
      await see(page, customer.email);
      await page.locator(".ticket-head").getByText("Unassigned").waitFor();
      await a11y(page, "ticket page as an agent");

      await page.getByRole("button", { name: "Assign to me" }).click();
      await see(page, `Assigned to ${agent.name}`);
      assert.equal(await page.getByRole("button", { name: "Assign to me" }).count(), 0);

      const reply = "We are on it: the payment provider had an outage.";
      await page.getByRole("textbox", { name: "Message" }).fill(reply);
      await page.getByRole("button", { name: "Send", exact: true }).click();
      await see(page, "Reply added.");
      await see(page, reply);
      assert.equal(await visibleText(statusBadge(page)), "Open");

      const note = "Internal: provider ticket PRV-981, escalate if it lasts.";
      await page.getByRole("textbox", { name: "Message" }).fill(note);
      await page.getByLabel(/Internal note/).check();
      await page.getByRole("button", { name: "Send", exact: true }).click();
      await see(page, "Internal note added.");
      await see(page, note);
      await see(page, "Internal note, not visible to the customer");

      await page.getByLabel("Status", { exact: true }).selectOption("solved");
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.locator(".ticket-head").getByText("Solved", { exact: true }).waitFor();
      await see(page, "Ticket updated.");
      await a11y(page, "ticket page as an agent, solved");

      triaged = { customer, ticketId, reply, note };
    });

    it("the customer sees the reply and the Solved status, never the internal note", async () => {
      if (!triaged) throw new Error("the triage journey did not finish");
      const { customer, ticketId, reply, note } = triaged;
      const page = await signedIn(customer);
      await waitForPath(page, "/tickets");
      const link = page.getByRole("link", { name: /Checkout is down/ });
      const row = page.getByRole("row", { name: /Checkout is down/ });
      assert.match(await visibleText(row), /Solved/);

      await link.click();
      await waitForPath(page, `/tickets/${ticketId}`);
      await see(page, reply);
      assert.equal(await visibleText(statusBadge(page)), "Solved");
      await page.getByText("Staff", { exact: true }).first().waitFor();
      const html = await page.content();
      assert.ok(!html.includes(note), "the note's text is not in the page");
      assert.ok(!html.includes("PRV-981"), "no part of the note is in the page");
      assert.doesNotMatch(await visibleText(page.locator("main")), /Internal note/);
      await a11y(page, "ticket page as its customer, solved");

      const direct = await page.goto(`${server.url}/tickets/${ticketId}`);
      assert.equal(direct?.status(), 200);
      assert.ok(!(await page.content()).includes(note));
    });

    it("a form with bad input keeps what was typed and shows each error next to its field", async () => {
      const page = await open();
      await page.goto(`${server.url}/signup`);
      await page.getByLabel("Name", { exact: true }).fill("Bea Typo");
      await page.getByLabel("Email", { exact: true }).fill("bea-at-example");
      await page.getByLabel("Password", { exact: true }).fill("short");
      await page.getByRole("button", { name: "Create account" }).click();
      await see(page, "Please correct the fields marked below.");
      assert.equal(await errorNextTo(page, "field-email"), "Email must be an email address");
      assert.equal(
        await errorNextTo(page, "field-password"),
        "Password must be at least 8 characters",
      );
      assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Bea Typo");
      assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), "bea-at-example");
      assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "");
      assert.equal(await page.locator(".field .error").count(), 2);
      await a11y(page, "sign-up form with errors");

      // Correcting the form works from the page that showed the errors.
      const account = newAccount("Bea Typo");
      await page.getByLabel("Email", { exact: true }).fill(account.email);
      await page.getByLabel("Password", { exact: true }).fill(account.password);
      await page.getByRole("button", { name: "Create account" }).click();
      await confirmSignUp(page, server, account);
      await page.getByRole("link", { name: "Bea Typo" }).waitFor();

      await page.goto(`${server.url}/tickets/new`);
      await page.getByLabel("Description").fill("The export button does nothing.");
      await page.getByLabel("Priority").selectOption("urgent");
      await page.getByRole("button", { name: "Submit ticket" }).click();
      await see(page, "Please correct the fields marked below.");
      assert.equal(await errorNextTo(page, "field-title"), "Subject is required");
      assert.equal(
        await page.getByLabel("Description").inputValue(),
        "The export button does nothing.",
      );
      assert.equal(await page.getByLabel("Priority").inputValue(), "urgent");
      await a11y(page, "new ticket form with errors");

      await page.getByLabel("Subject").fill("Export button does nothing");
      await page.getByRole("button", { name: "Submit ticket" }).click();
      await waitForPath(page, /^\/tickets\/\d+$/);
      await see(page, "Ticket created.");
    });

    it("a second customer gets Not found for the first customer's ticket", async () => {
      const first = await open();
      await signUp(first, server, newAccount("Fay First"));
      const title = `Invoice 2024-117 is wrong ${Date.now()}`;
      const ticketId = await submitTicket(first, server, {
        title,
        description: "Tax is 0%.",
        files: [{ name: "invoice.txt", mimeType: "text/plain", buffer: Buffer.from("VAT 0%") }],
      });
      const attachmentHref = await first
        .locator('a[href^="/attachments/"]')
        .first()
        .getAttribute("href");
      assert.ok(attachmentHref, "the attachment is linked for its owner");

      const second = await open();
      await signUp(second, server, newAccount("Sid Second"));
      const response = await second.goto(`${server.url}/tickets/${ticketId}`);
      assert.equal(response?.status(), 404);
      await heading(second, "Not found");
      assert.ok(!(await second.content()).includes("Invoice 2024-117"));
      await a11y(second, "error page for another customer's ticket");
      const download = await second.request.get(`${server.url}${attachmentHref}`);
      assert.equal(download.status(), 404, "nor its attachment");

      const desk = await second.goto(`${server.url}/desk`);
      assert.equal(desk?.status(), 403);
      await heading(second, "Not allowed");
      await a11y(second, "error page (403)");
    });
  });
}
