// Two-factor sign-in in a real browser: an agent sets it up from the account page
// (QR code and key, a first code, the recovery codes), signs in with a code, looks at
// their sessions and signs out everywhere else.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Secret, TOTP } from "otpauth";
import type { Browser } from "playwright-core";
import {
  type Account,
  checkA11y,
  completeSetup,
  createUser,
  launchBrowser,
  newPage,
  type Server,
  signIn,
  startServer,
  visibleText,
  waitForPath,
} from "./harness.ts";

function codeAt(secret: string, timestamp: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp,
  });
}

describe("two-factor sign-in in a browser", () => {
  let server: Server;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("an agent sets up two-factor, signs in with a code and signs out everywhere else", async () => {
    const adminPage = await newPage(browser);
    await completeSetup(adminPage, server);
    const agent: Account = await createUser(adminPage, server, "agent");
    await adminPage.context().close();

    const laptop = await newPage(browser);
    await signIn(laptop, server, agent);
    await laptop.goto(`${server.url}/account`);
    await laptop.getByRole("link", { name: "Set up two-factor sign-in" }).click();
    await waitForPath(laptop, "/account/two-factor");
    const qr = laptop.getByRole("img", { name: /QR code for your authenticator app/ });
    assert.ok(((await qr.boundingBox())?.width ?? 0) >= 150, "the QR code is drawn");
    await checkA11y(laptop, "two-factor enrolment");
    const secret = await visibleText(laptop.locator("code.secret"));
    const enrolledAt = Date.now();
    await laptop.getByLabel("Code from the app").fill(codeAt(secret, enrolledAt));
    await laptop.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    await laptop.getByText("Your recovery codes.").waitFor();
    assert.equal(await laptop.locator(".recovery-codes li").count(), 10);
    await checkA11y(laptop, "recovery codes shown once");

    // A second browser: password, then the code (the next step's, since this one is used).
    const phone = await newPage(browser);
    await signIn(phone, server, agent);
    await waitForPath(phone, "/login/two-factor");
    await checkA11y(phone, "two-factor sign-in step");
    await phone.getByLabel("Code", { exact: true }).fill(codeAt(secret, enrolledAt + 30_000));
    await phone.getByRole("button", { name: "Sign in" }).click();
    await waitForPath(phone, "/desk");

    await laptop.goto(`${server.url}/account/sessions`);
    assert.equal(await laptop.locator("table.sessions tbody tr").count(), 2);
    await checkA11y(laptop, "sessions page");
    await laptop.getByRole("button", { name: /Sign out everywhere else/ }).click();
    await laptop.getByText("Every other session has been signed out.").waitFor();
    await phone.goto(`${server.url}/desk`);
    await waitForPath(phone, "/login");
    await laptop.goto(`${server.url}/desk`);
    await waitForPath(laptop, "/desk");
    await laptop.context().close();
    await phone.context().close();
  });
});
