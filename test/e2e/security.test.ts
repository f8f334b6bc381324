// Stored XSS in a real browser: payloads typed into the real forms (a name, a
// title, a message, a file name) must run nowhere they are shown. A canary
// (`window.__xss`) must stay unset, no dialog may open, and the page must log
// no Content-Security-Policy violation: CSP would block an injected inline
// handler, so a violation is how an escaping bug shows up even when CSP saves us.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  completeSetup,
  launchBrowser,
  newAccount,
  newPage,
  type Server,
  signUp,
  startServer,
  submitTicket,
  waitForPath,
} from "./harness.ts";

const NAME = `Eve <img src=x onerror="window.__xss='name'"><svg onload="window.__xss='svg'">`;
const TITLE = `<script>window.__xss='title'</script><img src=x onerror="window.__xss='title'">`;
const BODY = [
  "<script>window.__xss='body'</script>",
  `<img src=x onerror="window.__xss='body'">`,
  "[click me](javascript:window.__xss='link')",
  `<div hx-get="/logout" hx-trigger="load">htmx</div>`,
].join("\n\n");
const FILE = `<img src=x onerror="window.__xss='file'">.html`;

/** Arms a page: records CSP violations and dialogs, before any of its own script runs. */
async function arm(page: Page): Promise<{ dialogs: string[] }> {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      w.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
    });
  });
  return { dialogs };
}

async function assertNothingRan(page: Page, dialogs: string[], where: string): Promise<void> {
  // Give load-time handlers (onerror of a broken image, htmx "load" triggers) their chance.
  await page.waitForLoadState("load");
  await page.waitForTimeout(300);
  const state = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: string }).__xss,
    csp: (window as unknown as { __csp: string[] }).__csp,
  }));
  assert.equal(state.xss, undefined, `${where}: a payload ran`);
  assert.deepEqual(state.csp, [], `${where}: injected markup reached the page (CSP blocked it)`);
  assert.deepEqual(dialogs, [], `${where}: a dialog opened`);
}

describe("stored XSS in a real browser", () => {
  let server: Server;
  let browser: Browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("payloads in a name, a title, a message and a file name run nowhere", async () => {
    const adminPage = await newPage(browser);
    const admin = await arm(adminPage);
    await completeSetup(adminPage, server);

    const customerPage = await newPage(browser);
    const customer = await arm(customerPage);
    await signUp(customerPage, server, { ...newAccount("Eve"), name: NAME });
    const id = await submitTicket(customerPage, server, {
      title: TITLE,
      description: BODY,
      files: [{ name: FILE, mimeType: "text/html", buffer: Buffer.from("<script>x</script>") }],
    });
    for (const path of [`/tickets/${id}`, "/tickets", "/account"]) {
      await customerPage.goto(`${server.url}${path}`);
      await assertNothingRan(customerPage, customer.dialogs, `customer ${path}`);
    }
    // The payload is on the page, as text.
    await customerPage.goto(`${server.url}/tickets/${id}`);
    await customerPage.getByText("window.__xss='body'").first().waitFor();

    for (const path of [`/tickets/${id}`, "/desk?queue=open", "/admin/users"]) {
      await adminPage.goto(`${server.url}${path}`);
      await assertNothingRan(adminPage, admin.dialogs, `admin ${path}`);
    }
    // Navigating with htmx (boosted links) swaps in the same markup: still inert.
    await adminPage.goto(`${server.url}/desk?queue=open`);
    await adminPage.locator(`a[href="/tickets/${id}"]`).first().click();
    await waitForPath(adminPage, `/tickets/${id}`);
    await assertNothingRan(adminPage, admin.dialogs, "admin, boosted to the ticket");

    // Control: markup that does get injected is caught by the checks above.
    await adminPage.evaluate(() => {
      const div = document.createElement("div");
      div.innerHTML = `<img src="/static/none.png" onerror="window.__xss='control'">`;
      document.body.append(div);
    });
    await adminPage.waitForTimeout(300);
    const caught = await adminPage.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    assert.ok(caught.length > 0, "an injected inline handler is reported as a CSP violation");

    await adminPage.context().close();
    await customerPage.context().close();
  });
});
