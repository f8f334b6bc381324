// Single sign-on in a real browser: an admin adds an OpenID provider (a real
// oidc-provider on another site: localhost against the app's 127.0.0.1) and signs in
// with its button; the state cookie (SameSite=Lax) comes back on the provider's redirect.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { startOpenIdProvider, type TestOpenIdProvider } from "../helpers/openid-provider.ts";
import {
  checkA11y,
  completeSetup,
  launchBrowser,
  newPage,
  type Server,
  startServer,
  waitForPath,
} from "./harness.ts";

describe("single sign-on in a browser", () => {
  let server: Server;
  let browser: Browser;
  let idp: TestOpenIdProvider;

  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    idp = await startOpenIdProvider({
      redirectUri: `${server.url}/login/sso/callback`,
      hostname: "localhost",
    });
  });

  after(async () => {
    await idp?.close();
    await browser?.close();
    await server?.stop();
  });

  it("an admin adds a provider and signs in through it", async () => {
    const adminPage = await newPage(browser);
    const admin = await completeSetup(adminPage, server);
    await adminPage.getByRole("link", { name: /Single sign-on providers/ }).click();
    await waitForPath(adminPage, "/admin/sso");
    assert.ok(
      (await adminPage.locator("code").first().textContent())?.endsWith("/login/sso/callback"),
      "the redirect URI to register is shown",
    );
    const form = adminPage.locator('form[action="/admin/sso"]');
    await form.getByLabel("Name on the button").fill("Acme ID");
    await form.getByLabel("Issuer URL").fill(idp.issuer);
    await form.getByLabel("Client ID").fill(idp.clientId);
    await form.getByLabel("Client secret").fill(idp.clientSecret);
    await form.getByRole("button", { name: "Add provider" }).click();
    await adminPage.getByText("Sign-in provider saved.").waitFor();
    await checkA11y(adminPage, "single sign-on providers");
    await adminPage.context().close();

    idp.signInAs({ sub: "ada-admin", email: admin.email, name: admin.name });
    const page = await newPage(browser);
    await page.goto(`${server.url}/login`);
    await checkA11y(page, "sign-in page with a provider");
    await page.getByRole("link", { name: "Sign in with Acme ID" }).click();
    await waitForPath(page, "/desk");
    await page.goto(`${server.url}/admin/users`);
    await waitForPath(page, "/admin/users");
  });
});
