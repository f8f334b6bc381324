// Every page in the pseudo-locale (en-XA: accented, lengthened catalog text; see
// src/i18n/pseudo.ts). The journeys' people and ticket are made in English;
// then each of them (and a visitor) reads every page reachable from where they
// start, following the site's own links. A page fails when it shows English
// that is neither from the catalogs nor something a person typed, or when the
// longer words push it wider than the window or clip text in a fixed box.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  type Account,
  completeSetup,
  createUser,
  launchBrowser,
  newPage,
  type Server,
  signIn,
  signUp,
  startServer,
  submitTicket,
} from "./harness.ts";

/** Pages at most per reader: the crawl stops there (one page per path shape). */
const MAX_PAGES = 60;

/** Links never followed: not pages, files, sign-out, or off to another site. */
const NOT_FOLLOWED =
  /^\/(?:api|static|attachments|metrics|healthz|readyz|logout|login\/sso)(?:\/|$)/;

interface Problem {
  path: string;
  what: string;
}

/** A path's shape: ids become `:n`, so each kind of page is read once. */
function shape(path: string): string {
  return path.replace(/\/\d+(?=\/|$)/g, "/:n");
}

/**
 * What on the page is not pseudo text: visible text and the attributes people
 * read, minus what the test typed (`typed`), code, times (Intl's words) and
 * anything marked as another language or not to be translated.
 */
async function untranslated(page: Page, typed: string[]): Promise<string[]> {
  // A string, not a function: tsx would wrap a function's inner helpers in a
  // name-keeping call that does not exist in the page.
  return page.evaluate(`(${UNTRANSLATED_IN_PAGE})(${JSON.stringify(typed)})`);
}

const UNTRANSLATED_IN_PAGE = `(typed) => {
  const SKIP = "script,style,template,noscript,time,code,pre,kbd,samp,datalist,[translate=no],[lang]:not(html)";
  // Technical tokens read the same in every language: addresses, host names,
  // URLs, and names in capitals (UTC, INBOX, SMTP_URL).
  const TOKENS = /\\S*[.@:\\/]\\S*[A-Za-z]\\S*|\\b[A-Z][A-Z0-9_]+\\b/g;
  const english = (text) => {
    let rest = text;
    for (const value of typed) rest = rest.split(value).join(" ");
    return /[A-Za-z]{2,}/.test(rest.replace(TOKENS, " "));
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent || "";
    if (!english(text) || (node.parentElement && node.parentElement.closest(SKIP))) continue;
    found.push(text.trim().replace(/\\s+/g, " ").slice(0, 120));
  }
  for (const el of document.querySelectorAll("[placeholder],[title],[aria-label],[alt],input[type=submit],input[type=button]")) {
    if (el.closest(SKIP)) continue;
    for (const name of ["placeholder", "title", "aria-label", "alt", "value"]) {
      if (name === "value" && !(el instanceof HTMLInputElement && /submit|button/.test(el.type))) continue;
      const value = el.getAttribute(name);
      if (value && english(value)) found.push(el.tagName.toLowerCase() + "[" + name + '="' + value + '"]');
    }
  }
  if (english(document.title)) found.push("<title>" + document.title + "</title>");
  return found;
}`;

/** Layout the longer words broke: the page wider than the window, or text cut off in a box. */
async function brokenLayout(page: Page): Promise<string[]> {
  return page.evaluate(`(${BROKEN_LAYOUT_IN_PAGE})()`);
}

const BROKEN_LAYOUT_IN_PAGE = `() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    // Name the innermost elements that reach past the window, to say what to fix.
    const past = [...document.querySelectorAll("body *")].filter(
      (el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.children.length === 0,
    );
    const names = past.slice(0, 3).map((el) => "<" + el.tagName.toLowerCase() + (el.className ? ' class="' + el.className + '"' : "") + ">").join(", ");
    found.push("the page is " + root.scrollWidth + "px wide in a " + window.innerWidth + "px window (past it: " + names + ")");
  }
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (style.overflowX === "visible" || style.overflowX === "auto" || style.overflowX === "scroll") continue;
    if (el.clientWidth <= 1 || !(el.textContent || "").trim() || el.scrollWidth <= el.clientWidth + 1) continue;
    found.push("text cut off in <" + el.tagName.toLowerCase() + ' class="' + el.className + '">');
  }
  return found;
}`;

/** Reads every page reachable from `start` as the reader signed in on `page`. */
async function crawl(
  page: Page,
  server: Server,
  start: string[],
  typed: string[],
): Promise<{ pages: number; problems: Problem[] }> {
  const queue = [...start];
  const seen = new Set(queue.map(shape));
  const problems: Problem[] = [];
  let pages = 0;
  while (queue.length > 0 && pages < MAX_PAGES) {
    const path = queue.shift() as string;
    await page.goto(`${server.url}${path}`);
    pages += 1;
    for (const what of await untranslated(page, typed)) problems.push({ path, what });
    for (const what of await brokenLayout(page)) problems.push({ path, what });
    const links = await page.$$eval("a[href]", (anchors) =>
      anchors.map((a) => (a as HTMLAnchorElement).href),
    );
    for (const href of links) {
      const url = new URL(href);
      if (url.origin !== server.url || NOT_FOLLOWED.test(url.pathname)) continue;
      const key = shape(url.pathname);
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(url.pathname);
    }
  }
  return { pages, problems };
}

function report(problems: Problem[]): string {
  return problems.map((p) => `  ${p.path}: ${p.what}`).join("\n");
}

describe("every page in the pseudo-locale", () => {
  let server: Server;
  let browser: Browser;
  let admin: Account;
  let agent: Account;
  let customer: Account;
  let ticketId: number;
  const ticket = {
    title: "Printer jams on floor three",
    description: "It eats every second page.",
  };

  /** A page signed in as `account` (in English), then reading in the pseudo-locale. */
  async function reader(account?: Account): Promise<Page> {
    const page = await newPage(browser);
    if (account) await signIn(page, server, account);
    await page.context().setExtraHTTPHeaders({ "accept-language": "en-XA" });
    return page;
  }

  before(async () => {
    [server, browser] = await Promise.all([startServer({ PSEUDO_LOCALE: "1" }), launchBrowser()]);
    const setup = await newPage(browser);
    admin = await completeSetup(setup, server);
    agent = await createUser(setup, server, "agent");
    await setup.context().close();
    const signingUp = await newPage(browser);
    customer = await signUp(signingUp, server);
    ticketId = await submitTicket(signingUp, server, ticket);
    await signingUp.context().close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // What is not the catalogs' to translate: what the test typed, the product's
  // name, the rules setup creates (data, renamed at will), the browser's own
  // name on the sessions page, and Intl's weekday names (Intl has no en-XA).
  const typed = () => [
    ...[admin, agent, customer].flatMap((a) => [a.name, a.email]),
    ticket.title,
    ticket.description,
    "Tessera",
    "Close solved tickets after 4 days without activity",
    "Remind the customer of a pending ticket after 3 days",
    "Solve pending tickets 7 days after the reminder",
    "HeadlessChrome",
    "Chrome",
    "Linux",
    ...Array.from({ length: 7 }, (_, day) =>
      new Intl.DateTimeFormat("en", { weekday: "long", timeZone: "UTC" }).format(
        Date.UTC(2024, 0, 1 + day),
      ),
    ),
  ];

  for (const [who, start] of [
    ["a visitor", () => ["/login", "/signup", "/password/forgot", "/no/such/page"]],
    ["the customer", () => ["/tickets", "/tickets/new", `/tickets/${ticketId}`, "/account"]],
    ["the agent", () => ["/desk", `/tickets/${ticketId}`, "/account"]],
    ["the admin", () => ["/desk", "/admin/users", "/account"]],
  ] as const) {
    it(`${who}: no English outside the catalogs, no layout broken by longer words`, async () => {
      const account = {
        "a visitor": undefined,
        "the customer": customer,
        "the agent": agent,
        "the admin": admin,
      }[who];
      const page = await reader(account);
      try {
        const { pages, problems } = await crawl(page, server, start(), typed());
        assert.ok(pages >= start().length, `read ${pages} pages`);
        assert.equal(problems.length, 0, `${who}, ${pages} pages read:\n${report(problems)}`);
      } finally {
        await page.context().close();
      }
    });
  }
});
