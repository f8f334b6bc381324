// Languages in a real browser: the Arabic pages right to left and clean for axe,
// the switcher and a saved language changing <html lang dir> with JavaScript on,
// and the account page offering the browser's own time zone.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  type Account,
  checkA11y,
  completeSetup,
  createUser,
  launchBrowser,
  newPage,
  type Server,
  signIn,
  signUp,
  startServer,
  submitTicket,
  waitForPath,
} from "./harness.ts";

/** Signs in through the form by its field ids, whatever language the page is in. */
async function signInAnyLanguage(page: Page, server: Server, account: Account): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.locator("#field-email").fill(account.email);
  await page.locator("#field-password").fill(account.password);
  await page.locator("main form button[type=submit]").click();
  await page.waitForURL((url) => url.pathname !== "/login");
}

const htmlLanguage = (page: Page) =>
  page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);

describe("languages in a browser", () => {
  let server: Server;
  let browser: Browser;
  let admin: Account;
  let agent: Account;
  let ticketId: number;
  let opened: Page[] = [];

  async function open(options: Parameters<typeof newPage>[1] = {}): Promise<Page> {
    const page = await newPage(browser, options);
    opened.push(page);
    return page;
  }

  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const setup = await newPage(browser);
    admin = await completeSetup(setup, server);
    agent = await createUser(setup, server, "agent");
    await setup.context().close();
    const customer = await newPage(browser);
    await signUp(customer, server);
    ticketId = await submitTicket(customer, server, {
      title: "Printer jams on floor three",
      description: "It eats every second page.",
    });
    await customer.context().close();
  });

  after(async () => {
    await Promise.all(opened.map((page) => page.context().close()));
    opened = [];
    await browser?.close();
    await server?.stop();
  });

  it("the Arabic pages read right to left and axe finds nothing serious", async () => {
    const visitor = await open({ locale: "ar" });
    for (const path of ["/login", "/signup"]) {
      await visitor.goto(`${server.url}${path}`);
      assert.deepEqual(await htmlLanguage(visitor), ["ar", "rtl"], path);
      await checkA11y(visitor, `${path} in Arabic`);
    }
    const staff = await open({ locale: "ar" });
    await signInAnyLanguage(staff, server, admin);
    for (const path of [
      "/desk",
      `/tickets/${ticketId}`,
      "/admin/users",
      "/admin/rules",
      "/account",
    ]) {
      await staff.goto(`${server.url}${path}`);
      assert.deepEqual(await htmlLanguage(staff), ["ar", "rtl"], path);
      await checkA11y(staff, `${path} in Arabic`);
    }
    // The navigation starts on the right: the brand is right of the main navigation.
    const brand = await staff.locator(".brand").boundingBox();
    const nav = await staff.locator(".site-header nav").boundingBox();
    assert.ok(brand && nav && brand.x > nav.x, "the header is laid out right to left");
  });

  it("the switcher and a saved language change <html lang dir> with JavaScript on", async () => {
    const page = await open({ locale: "en-GB" });
    await page.goto(`${server.url}/login`);
    await page.locator("#language-switcher").selectOption("ar");
    await page.locator(".language-switcher button").click();
    await page.waitForFunction(() => document.documentElement.dir === "rtl");
    assert.deepEqual(await htmlLanguage(page), ["ar", "rtl"]);
    await page.getByRole("heading", { level: 1, name: "تسجيل الدخول" }).waitFor();

    // Signed in through the boosted form, the agent's own German replaces the page's Arabic.
    const agentPage = await open({ locale: "en-GB" });
    await signIn(agentPage, server, agent);
    await agentPage.goto(`${server.url}/account`);
    await agentPage.locator("#field-locale").selectOption("de");
    await agentPage.getByRole("button", { name: "Save language and time zone" }).click();
    await agentPage.getByText("Sprache und Zeitzone gespeichert.").waitFor();
    const again = await open({ locale: "ar" });
    await again.goto(`${server.url}/login`);
    assert.deepEqual(await htmlLanguage(again), ["ar", "rtl"]);
    await signInAnyLanguage(again, server, agent);
    await waitForPath(again, "/desk");
    assert.deepEqual(await htmlLanguage(again), ["de", "ltr"]);
  });

  it("the account page offers the browser's own time zone, and saving it shows times there", async () => {
    const page = await open({ timezoneId: "Asia/Tokyo" });
    await signIn(page, server, admin);
    await page.goto(`${server.url}/account`);
    const offer = page.getByRole("button", { name: "Use this browser's time zone: Asia/Tokyo" });
    await offer.click();
    assert.equal(await page.locator("#field-timeZone").inputValue(), "Asia/Tokyo");
    assert.equal(await offer.isVisible(), false, "the offer goes once taken");
    await page.getByRole("button", { name: "Save language and time zone" }).click();
    await page.getByText("Language and time zone saved.").waitFor();
    assert.equal(await page.locator("#field-timeZone").inputValue(), "Asia/Tokyo");
    assert.equal(
      await page.getByRole("button", { name: /Use this browser's time zone/ }).isVisible(),
      false,
      "no offer once the saved zone is the browser's",
    );
  });
});
