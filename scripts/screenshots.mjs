// `npm run screenshots`: regenerates docs/screenshots/<page>-<light|dark>.png, the
// pictures in the README. Loads the demo (`tessera demo`) into a fresh data
// directory, starts the real server on it with the browser suite's harness,
// signs in as a customer, an agent and the admin in Debian's Chromium, and
// saves each main page at 1440x900 in the light and the dark theme (the desk
// also in Arabic, right to left).
//
// Runs through tsx (`node --import tsx scripts/screenshots.mjs`) because the
// harness is TypeScript.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, newPage, signIn, startServer } from "../test/e2e/harness.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "docs", "screenshots");
const WIDTH = 1440;
const HEIGHT = 900;
const SCHEMES = /** @type {const} */ (["light", "dark"]);

/** Runs `tessera demo` on `dataDir`; returns the accounts it printed, by role. */
function loadDemo(dataDir) {
  const env = { ...process.env, DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  const result = spawnSync(process.execPath, [path.join(ROOT, "bin", "tessera.js"), "demo"], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(
      `tessera demo failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  const password = /password "([^"]+)"/.exec(result.stdout)?.[1];
  const accounts = { admin: [], agent: [], customer: [] };
  for (const match of result.stdout.matchAll(/^\s+(admin|agent|customer)\s+(\S+@\S+)\s+(.+)$/gm)) {
    accounts[match[1]].push({ email: match[2], name: match[3].trim(), password });
  }
  for (const role of Object.keys(accounts)) {
    if (!password || accounts[role].length === 0) {
      throw new Error(`no ${role} sign-in details in the demo's output:\n${result.stdout}`);
    }
  }
  return accounts;
}

/**
 * A ticket whose conversation shows an internal note within the first screen:
 * an open or pending one with a few messages, so the picture shows a real exchange.
 */
async function findConversation(page, baseUrl) {
  let fallback;
  for (let id = 1; id <= 300; id++) {
    const response = await page.goto(`${baseUrl}/tickets/${id}`);
    if (!response?.ok()) continue;
    const info = await page.evaluate(() => {
      const note = document.querySelector(".message.internal");
      const status = document.querySelector(".ticket-head [class*='status-']")?.textContent;
      return {
        noteBottom: note ? note.getBoundingClientRect().bottom : undefined,
        messages: document.querySelectorAll(".conversation > .message").length,
        active: status === "Open" || status === "Pending",
        assigned: /Assigned to/.test(document.querySelector(".ticket-head")?.textContent ?? ""),
      };
    });
    if (info.noteBottom === undefined) continue;
    fallback ??= id;
    if (info.active && info.assigned && info.messages >= 3 && info.noteBottom < HEIGHT - 40) {
      return id;
    }
  }
  if (fallback === undefined) throw new Error("the demo has no ticket with an internal note");
  return fallback;
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-screenshots-"));
  let server;
  let browser;
  try {
    console.log("Loading the demo data…");
    const accounts = loadDemo(dataDir);
    server = await startServer({ DATA_DIR: dataDir });
    browser = await launchBrowser();
    const base = server.url;
    const [admin] = accounts.admin;
    const [agent] = accounts.agent;
    const [customer] = accounts.customer;

    /** Signs `account` in on a fresh 1440x900 page in `scheme`. */
    const pageAs = async (account, scheme) => {
      const page = await newPage(browser, { width: WIDTH, height: HEIGHT, colorScheme: scheme });
      await signIn(page, server, account);
      return page;
    };

    let conversationId;
    for (const scheme of SCHEMES) {
      const shots = [];
      const shoot = async (page, name, url, fill = async () => {}) => {
        await page.goto(url);
        await fill(page);
        // No focus ring or hover left over from signing in.
        await page.mouse.move(0, 0);
        await page.evaluate(() => {
          if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
        });
        const file = path.join(OUT, `${name}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: false, animations: "disabled" });
        shots.push(path.relative(ROOT, file));
      };

      const customerPage = await pageAs(customer, scheme);
      await shoot(customerPage, "my-tickets", `${base}/tickets`);
      await shoot(customerPage, "new-ticket", `${base}/tickets/new`, async (page) => {
        await page.getByLabel("Subject").fill("Invoices page shows last year's totals");
        await page
          .getByLabel("Description")
          .fill(
            "Since this morning the **Invoices** page shows the totals for 2024 instead of this year.\n\n" +
              "I tried another browser and signing out and in again; same result.",
          );
        await page.getByLabel("Priority").selectOption("high");
      });
      await customerPage.context().close();

      const agentPage = await pageAs(agent, scheme);
      conversationId ??= await findConversation(agentPage, base);
      await shoot(agentPage, "ticket", `${base}/tickets/${conversationId}`);
      await shoot(agentPage, "desk", `${base}/desk?queue=open`);
      // The same desk in Arabic (the switcher's cookie: the demo's agents chose no
      // language), laid out right to left.
      await agentPage.context().addCookies([{ name: "tessera_lang", value: "ar", url: base }]);
      await shoot(agentPage, "desk-ar", `${base}/desk?queue=open`);
      await agentPage.context().close();

      const adminPage = await pageAs(admin, scheme);
      await shoot(adminPage, "admin-users", `${base}/admin/users`);
      await adminPage.context().close();

      for (const shot of shots) console.log(`  ${shot}`);
    }
  } finally {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
