// The browser suite's shared launcher: the real server on a free port with a fresh
// embedded database, Debian's Chromium through playwright-core, axe-core checks,
// and a few UI steps (setup, sign-up, sign-in, create user, submit ticket) that
// journeys share. Everything goes through the browser and the HTTP server: the
// server holds an exclusive lock on its data directory, so the CLI cannot seed it.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { freePort } from "../helpers/net.ts";
import { type SmtpSink, startSmtpSink } from "../helpers/smtp-sink.ts";
import { scaled } from "../helpers/time.ts";

/** Debian's Chromium; `.ci/run` installs the `chromium` package when it is missing. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

// The machine has no internet: without these Chromium waits on network services.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** How long a page action or wait may take before the test fails (ms), times TEST_TIME_FACTOR. */
export const ACTION_TIMEOUT_MS = scaled(15_000);

const START_TIMEOUT_MS = scaled(60_000);
const STOP_TIMEOUT_MS = scaled(15_000);

export interface Server {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The one-time first-run link the server logs while it has no accounts. */
  setupLink(): Promise<string>;
  /** Everything the server wrote to stdout and stderr so far. */
  log(): string;
  /**
   * The newest link to `pathname` in a mail the server sent to `to` (through the SMTP
   * sink it was started with), waiting for the mail to arrive.
   */
  mailedLink(to: string, pathname: string): Promise<string>;
  /** SIGTERM, wait for the process to exit, delete its data directory. */
  stop(): Promise<void>;
}

/** Servers not stopped yet, with their data directories. */
const running = new Map<ChildProcess, string>();
// A crashed or interrupted test run must not leave servers or data behind.
process.once("exit", () => {
  for (const [child, dataDir] of running) {
    child.kill("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `node bin/tessera.js serve` on a free port with a fresh data directory
 * (PGlite) and resolves once /healthz answers.
 */
export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  // The free port is found before the server binds it: another process (a parallel test
  // file's server or SMTP sink) may take it in between. Then another port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(env);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function startServerOnce(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Mail goes to a sink of its own unless the caller names a server: sign-up needs its link.
  const sink: SmtpSink | undefined = env.SMTP_URL ? undefined : await startSmtpSink();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-e2e-"));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    LOG_LEVEL: "info",
    ...(sink ? { SMTP_URL: sink.url } : {}),
    ...env,
  };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  // Set by `node --test` for its own children; the server is not one of its tests.
  delete childEnv.NODE_TEST_CONTEXT;

  const child = spawn(process.execPath, [path.join(ROOT, "bin", "tessera.js"), "serve"], {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.set(child, dataDir);
  const chunks: string[] = [];
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const log = () => chunks.join("");

  const removeDir = () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    void sink?.close();
  };
  const stop = async () => {
    if (exitCode === undefined) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    removeDir();
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) {
      removeDir();
      throw new Error(`the server exited with code ${exitCode} while starting:\n${log()}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the server did not answer /healthz within ${START_TIMEOUT_MS} ms:\n${log()}`,
      );
    }
    await sleep(100);
  }

  const setupLink = async () => {
    // Logged just after the server starts listening, so it may lag /healthz a little.
    const until = Date.now() + scaled(10_000);
    for (;;) {
      const match = /(https?:\/\/[^\s"]+\/setup\?token=[^\s"]+)/.exec(log());
      if (match?.[1]) return match[1];
      if (Date.now() > until) throw new Error(`no setup link in the server log:\n${log()}`);
      await sleep(50);
    }
  };

  const mailedLink = async (to: string, pathname: string) => {
    if (!sink) throw new Error("this server was started with its own SMTP_URL");
    const pattern = new RegExp(`${url}${pathname.replace(/[/?]/g, "\\$&")}\\?token=[A-Za-z0-9_-]+`);
    const until = Date.now() + scaled(15_000);
    for (;;) {
      const mail = sink.mails
        .filter((m) => m.envelopeTo.some((a) => a.toLowerCase() === to.toLowerCase()))
        .map((m) => pattern.exec(m.parsed.text ?? "")?.[0])
        .filter((link) => link !== undefined)
        .at(-1);
      if (mail) return mail;
      if (Date.now() > until) throw new Error(`no ${pathname} link mailed to ${to}:\n${log()}`);
      await sleep(50);
    }
  };

  return { url, setupLink, log, stop, mailedLink };
}

/** Headless Debian Chromium; fails with a clear message when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install chromium).`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface PageOptions {
  /** false: a context with JavaScript switched off (plain HTML forms only). Default true. */
  javaScript?: boolean;
  /** Viewport width in CSS pixels. Default 1280. */
  width?: number;
  /** Viewport height in CSS pixels. Default 900. */
  height?: number;
  /** What `prefers-color-scheme` reports. Default light. */
  colorScheme?: "light" | "dark";
  /** The browser's language (its `Accept-Language` and `navigator.language`). Default the system's. */
  locale?: string;
  /** The browser's time zone (IANA). Default the system's. */
  timezoneId?: string;
}

/** Pages from `newPage(..., { javaScript: false })`; see checkA11y. */
const withoutJavaScript = new WeakSet<Page>();

/**
 * A page in a fresh browser context (its own cookies). Close it with
 * `page.context().close()`.
 */
export async function newPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  const javaScript = options.javaScript ?? true;
  const context = await browser.newContext({
    javaScriptEnabled: javaScript,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? "light",
    reducedMotion: "reduce",
    ...(options.locale ? { locale: options.locale } : {}),
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  if (!javaScript) withoutJavaScript.add(page);
  return page;
}

// ---------------------------------------------------------------------------
// Accessibility

const FAILING_IMPACTS = new Set(["serious", "critical"]);

/**
 * A copy of a page whose context runs no JavaScript, for axe: without script
 * execution Chromium never settles a promise, and axe is built on them. The
 * copy is the same HTML at the same URL and viewport (stylesheets load from the
 * server), in a context with JavaScript on but the page's own scripts blocked.
 */
async function scriptableCopy(page: Page): Promise<Page> {
  const browser = page.context().browser();
  if (!browser) throw new Error("checkA11y needs a page from a launched browser");
  const url = page.url();
  const html = await page.content();
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  const copy = await newPage(browser, viewport);
  await copy.route("**/*", (route) => {
    const request = route.request();
    if (request.isNavigationRequest() && request.url() === url) {
      return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    }
    if (request.resourceType() === "script") return route.abort();
    return route.continue();
  });
  await copy.goto(url);
  return copy;
}

/**
 * Runs axe-core on the page as it is now, in the light and the dark colour
 * scheme, and throws listing every serious or critical violation (rule, help
 * text, impact and the selectors of the offending elements). Works on pages
 * without JavaScript too (it checks a copy of their HTML).
 */
export async function checkA11y(page: Page, label: string): Promise<void> {
  if (withoutJavaScript.has(page)) {
    const copy = await scriptableCopy(page);
    try {
      await checkA11y(copy, `${label} [checked on a copy of its HTML]`);
    } finally {
      await copy.context().close();
    }
    return;
  }
  const problems: string[] = [];
  const isDark = await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches);
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page }).analyze();
    for (const violation of results.violations) {
      if (!FAILING_IMPACTS.has(violation.impact ?? "")) continue;
      const targets = violation.nodes.map((node) => `      ${node.target.join(" ")}`).join("\n");
      problems.push(
        `  [${scheme}] ${violation.id} (${violation.impact}): ${violation.help}\n` +
          `    ${violation.helpUrl}\n${targets}`,
      );
    }
  }
  await page.emulateMedia({ colorScheme: isDark ? "dark" : "light" });
  if (problems.length > 0) {
    throw new Error(
      `accessibility violations on ${label} (${page.url()}):\n${problems.join("\n")}`,
    );
  }
}

// ---------------------------------------------------------------------------
// UI steps shared by journeys

export interface Account {
  name: string;
  email: string;
  password: string;
}

let accountCounter = 0;

/** A new account's details, unique within this test process. */
export function newAccount(name: string): Account {
  accountCounter += 1;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, ".");
  return {
    name,
    email: `${slug}.${process.pid}.${accountCounter}@example.test`,
    password: `correct horse ${accountCounter} battery`,
  };
}

/** Fills the name, email and password fields shared by setup, sign-up and new-user forms. */
async function fillAccount(page: Page, account: Account): Promise<void> {
  await page.getByLabel("Name", { exact: true }).fill(account.name);
  await page.getByLabel("Email", { exact: true }).fill(account.email);
  await page.getByLabel("Password", { exact: true }).fill(account.password);
}

/** The text a person sees in `locator` (rendered text: hidden parts left out). */
export function visibleText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point here.
  return locator.innerText();
}

/** The path part of a page's URL (e.g. `/tickets/3`), to compare against. */
export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/**
 * Waits until htmx has no request, swap or settle in flight, so the page is the
 * one a person would now see and focus is where the script put it. Returns at
 * once on pages without JavaScript.
 */
export async function settle(page: Page): Promise<void> {
  if (withoutJavaScript.has(page)) return;
  await page.waitForFunction(
    () => !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling"),
  );
}

/**
 * Waits (through boosted swaps and full loads alike) until the page's path is
 * `pathname` and the new page has settled.
 */
export async function waitForPath(page: Page, pathname: string | RegExp): Promise<void> {
  await page.waitForURL((url) =>
    typeof pathname === "string" ? url.pathname === pathname : pathname.test(url.pathname),
  );
  await settle(page);
}

/** Completes first-run setup from the logged link; leaves `page` signed in as that admin. */
export async function completeSetup(
  page: Page,
  server: Server,
  account: Account = newAccount("Ada Admin"),
): Promise<Account> {
  await page.goto(await server.setupLink());
  await fillAccount(page, account);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await waitForPath(page, "/admin/users");
  return account;
}

/**
 * Signs up through /signup and follows the confirmation link mailed; leaves
 * `page` signed in as the new customer.
 */
export async function signUp(
  page: Page,
  server: Server,
  account: Account = newAccount("Carla Customer"),
): Promise<Account> {
  await page.goto(`${server.url}/signup`);
  await fillAccount(page, account);
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmSignUp(page, server, account);
  return account;
}

/** After "check your inbox": opens the mailed confirmation link and confirms; lands on /tickets. */
export async function confirmSignUp(page: Page, server: Server, account: Account): Promise<void> {
  await page.getByText("Check your inbox.").waitFor();
  await page.goto(await server.mailedLink(account.email, "/signup/confirm"));
  await page.getByRole("button", { name: "Confirm and sign in" }).click();
  await waitForPath(page, "/tickets");
}

/** Signs in through /login and waits to land on the person's home page. */
export async function signIn(page: Page, server: Server, account: Account): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Email", { exact: true }).fill(account.email);
  await page.getByLabel("Password", { exact: true }).fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
}

/** Signs out with the header's button and waits for the sign-in page. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
}

/** An admin (signed in on `page`) creates an account through /admin/users/new. */
export async function createUser(
  page: Page,
  server: Server,
  role: "customer" | "agent" | "admin",
  account: Account = newAccount(role === "customer" ? "Cid Customer" : "Andy Agent"),
): Promise<Account> {
  await page.goto(`${server.url}/admin/users/new`);
  await fillAccount(page, account);
  await page.getByLabel("Role", { exact: true }).selectOption(role);
  await page.getByRole("button", { name: "Create user" }).click();
  await waitForPath(page, "/admin/users");
  await page.getByRole("row", { name: account.name }).waitFor();
  return account;
}

export interface TicketInput {
  title: string;
  description: string;
  priority?: "low" | "normal" | "high" | "urgent";
  /** Files to attach: paths, or `{ name, mimeType, buffer }` objects. */
  files?: Parameters<Page["setInputFiles"]>[1];
}

/** Submits /tickets/new as the signed-in person; resolves with the new ticket's id. */
export async function submitTicket(
  page: Page,
  server: Server,
  input: TicketInput,
): Promise<number> {
  await page.goto(`${server.url}/tickets/new`);
  await page.getByLabel("Subject").fill(input.title);
  await page.getByLabel("Description").fill(input.description);
  if (input.priority) await page.getByLabel("Priority").selectOption(input.priority);
  if (input.files) await page.getByLabel("Attachments (optional)").setInputFiles(input.files);
  await page.getByRole("button", { name: "Submit ticket" }).click();
  await waitForPath(page, /^\/tickets\/\d+$/);
  return Number(pathOf(page).split("/").pop());
}
