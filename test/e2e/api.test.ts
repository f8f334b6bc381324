// The API from a person's side: a token made on the account page works with
// curl-like calls, and the interactive reference renders under the strict CSP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import {
  checkA11y,
  completeSetup,
  launchBrowser,
  newPage,
  type Server,
  startServer,
  waitForPath,
} from "./harness.ts";

describe("API tokens and reference in a browser", () => {
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

  it("an admin makes a token on the account page, uses it, and revokes it", async () => {
    const page = await newPage(browser);
    await completeSetup(page, server);
    await page.goto(`${server.url}/account`);
    await page.getByRole("link", { name: "Manage your API tokens" }).click();
    await waitForPath(page, "/account/tokens");
    await checkA11y(page, "API tokens");
    await page.getByLabel("Name").fill("Nightly export");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = await page.getByLabel("Token").inputValue();
    assert.match(token, /^tsr_/);
    await checkA11y(page, "API token created");

    const me = await fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { role: string }).role, "admin");

    await page.goto(`${server.url}/account/tokens`);
    assert.equal(await page.getByLabel("Token").count(), 0, "the secret is shown only once");
    await page.getByRole("button", { name: "Revoke Nightly export" }).click();
    await waitForPath(page, "/account/tokens");
    const after = await fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(after.status, 401);
    await page.context().close();
  });

  it("the API reference renders every operation without breaking the CSP", async () => {
    const page = await newPage(browser);
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()))
        violations.push(message.text());
    });
    await page.goto(`${server.url}/api/docs`);
    await page.getByText("/api/v1/tickets/{id}/messages").first().waitFor();
    const operations = await page.locator(".opblock").count();
    assert.ok(operations >= 12, `only ${operations} operations shown`);
    assert.deepEqual(violations, []);
    await page.context().close();
  });
});
