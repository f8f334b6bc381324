import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { type CliRun, runCli, startServe } from "../../test/helpers/cli.ts";
import { createScratchDatabase } from "../../test/helpers/postgres.ts";
import { scaled } from "../../test/helpers/time.ts";
import { type DatabaseTarget, openDatabase, rowsOf } from "../db/client.ts";

/**
 * The real command line, run as child processes the way people run it
 * (`node bin/tessera.js ...`), each on a data directory of its own. These spawn
 * Node and open PGlite, so groups run side by side and each keeps to a few runs.
 */

// Each command has its own deadline from when it starts (runCli); this bound of a whole
// test also covers its wait for a slot among the others.
const SLOW = { timeout: scaled(1_200_000) };
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-cli-"));
  tempDirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

// Each run starts Node, tsx and often PGlite: more at once than the machine has cores only
// makes every one of them slow.
const MAX_RUNNING = Math.max(2, Math.min(4, os.availableParallelism()));
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Runs one command to its end, a few at a time. */
function tessera(
  args: string[],
  env: Record<string, string>,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return slot(() => runCli(args, env, options));
}

/** The failure a person sees: exactly one line on stderr, starting `tessera:`. */
function oneErrorLine(run: CliRun): string {
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${run.stderr}`);
  const line = lines[0] ?? "";
  assert.match(line, /^tessera: /);
  return line;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

interface DemoData {
  mails: number;
  suppressed: number;
  oldestDays: number;
  newestInPast: boolean;
}

/** What a demo left behind beyond its accounts and conversations: no mail to send, no loop warnings. */
async function demoData(target: DatabaseTarget): Promise<DemoData> {
  const database = await openDatabase(target);
  try {
    const [row] = rowsOf<DemoData>(
      await database.db.execute(sql`
        SELECT (SELECT count(*)::int FROM outbox) AS mails,
               (SELECT count(*)::int FROM ticket_events WHERE kind = 'auto_reply_suppressed') AS suppressed,
               (SELECT extract(day FROM now() - min(created_at))::int FROM tickets) AS "oldestDays",
               (SELECT max(created_at) < now() FROM tickets) AS "newestInPast"`),
    );
    assert.ok(row);
    return row;
  } finally {
    await database.close();
  }
}

/** The demo's data, as `demoData` reads it, for a demo of 90 days. */
const DEMO_DATA: DemoData = { mails: 0, suppressed: 0, oldestDays: 89, newestInPast: true };

describe("tessera CLI", { concurrency: true }, () => {
  describe("demo", () => {
    test("demo fills a fresh data directory and prints the sign-in details", SLOW, async (t) => {
      const env = { DATA_DIR: tempDir() };
      // A deadline, not a speed check: 28 s alone, 108 s in a suite under coverage.
      const run = await tessera(["demo"], env, { timeoutMs: 600_000 });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, "");
      assert.match(run.stdout, /3 agents, 50 customers and 300 tickets/);
      assert.match(run.stdout, /password "tessera-demo"/);
      assert.match(run.stdout, /http:\/\/localhost:3000\/login/);
      for (const email of ["admin@", "agent1@", "agent2@", "agent3@"]) {
        assert.ok(run.stdout.includes(`${email}demo.tessera.test`), `${email} missing`);
      }
      assert.equal(run.stdout.match(/^ {2}customer /gm)?.length, 2, run.stdout);
      t.diagnostic(`tessera demo ran for ${(run.ms / 1000).toFixed(1)} s`);
      assert.deepEqual(await demoData({ kind: "pglite", dataDir: env.DATA_DIR }), DEMO_DATA);
    });

    test("a demo over existing accounts is refused with a clear message", SLOW, async () => {
      const env = { DATA_DIR: tempDir() };
      const create = await tessera(
        ["user", "create", "--email", "first@b.test", "--name", "First", "--role", "admin"],
        env,
        { input: "longenough1\n" },
      );
      assert.equal(create.code, 0, create.stderr);
      const run = await tessera(["demo"], env);
      assert.equal(run.code, 1);
      assert.match(oneErrorLine(run), /the demo only loads into an empty database/);
    });
  });

  describe("api tokens", { concurrency: 1 }, () => {
    const env = { DATA_DIR: tempDir() };

    test("token create for an unknown email is refused with one line", SLOW, async () => {
      const run = await tessera(["token", "create", "--email", "nobody@b.test"], env);
      assert.equal(run.code, 1);
      assert.match(oneErrorLine(run), /email has no account/);
    });

    test(
      "a token from `token create` runs the sketch's whole call flow through the API",
      SLOW,
      async () => {
        const admin = await tessera(
          ["user", "create", "--email", "boss@b.test", "--name", "Boss", "--role", "admin"],
          env,
          { input: "longenough1\n" },
        );
        assert.equal(admin.code, 0, admin.stderr);
        const made = await tessera(
          ["token", "create", "--email", "boss@b.test", "--name", "script"],
          env,
        );
        assert.equal(made.code, 0, made.stderr);
        const token = made.stdout.trimEnd().split("\n").at(-1) ?? "";
        assert.match(token, /^tsr_[A-Za-z0-9_-]{43}$/);

        const { child, url } = await startServe(env);
        try {
          const call = async (method: string, path: string, body?: unknown) => {
            const response = await fetch(`${url}/api/v1${path}`, {
              method,
              headers: {
                authorization: `Bearer ${token}`,
                ...(body ? { "content-type": "application/json" } : {}),
              },
              ...(body ? { body: JSON.stringify(body) } : {}),
            });
            return {
              status: response.status,
              body: (await response.json()) as Record<string, unknown>,
            };
          };
          // create user -> create ticket -> add message -> assign -> list the user's tickets
          const agent = await call("POST", "/users", {
            email: "agent@b.test",
            name: "Agent",
            role: "agent",
          });
          assert.equal(agent.status, 201);
          const customer = await call("POST", "/users", {
            email: "cust@b.test",
            name: "Cust",
            role: "customer",
          });
          assert.equal(customer.status, 201);
          const ticket = await call("POST", "/tickets", {
            title: "Printer on fire",
            description: "Smoke everywhere",
            requesterEmail: "cust@b.test",
          });
          assert.equal(ticket.status, 201);
          assert.equal(ticket.body.requesterId, customer.body.id);
          const message = await call("POST", `/tickets/${ticket.body.id}/messages`, {
            content: "On our way",
          });
          assert.equal(message.status, 201);
          const assigned = await call("PATCH", `/tickets/${ticket.body.id}`, {
            assigneeId: agent.body.id,
          });
          assert.equal(assigned.status, 200);
          assert.equal(assigned.body.assigneeId, agent.body.id);
          assert.equal(assigned.body.status, "open");
          const list = await call("GET", `/tickets?requesterId=${customer.body.id}`);
          assert.equal(list.status, 200);
          assert.deepEqual(
            (list.body.data as { id: number }[]).map((t) => t.id),
            [ticket.body.id],
          );
          const me = await call("GET", "/me");
          assert.equal(me.body.email, "boss@b.test");
        } finally {
          child.kill("SIGTERM");
          await exited(child);
        }
      },
    );
  });

  describe("accounts", { concurrency: 1 }, () => {
    const env = { DATA_DIR: tempDir() };

    test("migrate applies the migrations and exits 0", SLOW, async () => {
      const run = await tessera(["migrate"], env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Migrations applied \(pglite\)/);
      assert.equal(run.stderr, "");
    });

    test("user create makes an account and prints its id", SLOW, async () => {
      const run = await tessera(
        [
          "user",
          "create",
          "--email",
          "a@b.test",
          "--name",
          "A",
          "--role",
          "agent",
          "--password",
          "longenough1",
        ],
        env,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^Created agent a@b\.test \(id \d+\)\.$/m);
    });

    test("without --password the password is read from standard input", SLOW, async () => {
      const run = await tessera(
        ["user", "create", "--email", "stdin@b.test", "--name", "From Stdin"],
        env,
        { input: "read from a pipe\n" },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^Created customer stdin@b\.test \(id \d+\)\.$/m);
    });

    test("a duplicate email is refused, whatever its case", SLOW, async () => {
      const run = await tessera(
        ["user", "create", "--email", "A@B.test", "--name", "Again", "--password", "longenough1"],
        env,
      );
      assert.equal(run.code, 1);
      assert.match(oneErrorLine(run), /email already has an account/);
    });

    test("an invalid email is refused with one line", SLOW, async () => {
      const run = await tessera(
        ["user", "create", "--email", "not-an-email", "--name", "X", "--password", "longenough1"],
        env,
      );
      assert.equal(run.code, 1);
      assert.match(oneErrorLine(run), /email must be an email address/);
    });

    test(
      "user reset-two-factor turns it off for an account; an unknown one is refused",
      SLOW,
      async () => {
        const run = await tessera(["user", "reset-two-factor", "--email", "a@b.test"], env);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^Two-factor sign-in was not on for a@b\.test\.$/m);
        const unknown = await tessera(
          ["user", "reset-two-factor", "--email", "x@nowhere.test"],
          env,
        );
        assert.equal(unknown.code, 1);
        assert.match(oneErrorLine(unknown), /No account with the email x@nowhere\.test/);
      },
    );

    test("a too short password from standard input is refused", SLOW, async () => {
      const run = await tessera(["user", "create", "--email", "short@b.test", "--name", "S"], env, {
        input: "short\n",
      });
      assert.equal(run.code, 1);
      assert.match(oneErrorLine(run), /password must be at least 8 characters/);
    });
  });

  describe("usage errors", () => {
    const env = { DATA_DIR: tempDir() };
    const cases: [string, string[], RegExp][] = [
      [
        "a bad role",
        ["user", "create", "--email", "x@y.test", "--name", "X", "--role", "boss"],
        /--role must be one of: customer, agent, admin/,
      ],
      ["a missing --email", ["user", "create", "--name", "X"], /--email is required/],
      ["an unknown option", ["user", "create", "--emial", "x@y.test"], /--emial/],
      ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ];
    for (const [what, args, message] of cases) {
      test(`${what} exits 2 with one line`, SLOW, async () => {
        const run = await tessera(args, env);
        assert.equal(run.code, 2, run.stderr);
        assert.match(oneErrorLine(run), message);
        assert.equal(run.stdout, "");
      });
    }

    test("no command prints the usage and exits 2; --help exits 0", SLOW, async () => {
      const [bare, help] = await Promise.all([tessera([], env), tessera(["--help"], env)]);
      assert.equal(bare.code, 2);
      assert.match(bare.stdout, /Usage: tessera <command>/);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Usage: tessera <command>/);
    });

    test(
      "a bad environment variable stops every command with one line naming it",
      SLOW,
      async () => {
        const bad = { ...env, PORT: "abc" };
        const runs = await Promise.all([
          tessera(["migrate"], bad),
          tessera(["serve"], bad),
          tessera(
            ["user", "create", "--email", "x@y.test", "--name", "X", "--password", "pw123456"],
            bad,
          ),
        ]);
        for (const run of runs) {
          assert.equal(run.code, 1, run.stderr);
          assert.match(oneErrorLine(run), /invalid configuration: PORT must be a whole number/);
        }
        // Refused before anything touched the data directory.
        assert.deepEqual(fs.readdirSync(env.DATA_DIR), []);
      },
    );
  });

  describe("data directory lock", () => {
    test(
      "a second process on a served data directory is refused; after a crash it is taken over",
      SLOW,
      async () => {
        const env = { DATA_DIR: tempDir() };
        const server = await startServe(env);
        try {
          // Refused, not left waiting on the server (which would end at runCli's deadline);
          // how soon the lock itself answers is lock.test.ts's to check.
          const refused = await tessera(["migrate"], env);
          assert.equal(refused.code, 1);
          assert.match(
            oneErrorLine(refused),
            /data directory .* is in use by another Tessera process/,
          );
          // The server is unharmed.
          assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
        } finally {
          server.child.kill("SIGKILL");
          await exited(server.child);
        }
        // SIGKILL left the lock socket behind; the next command takes it over.
        assert.ok(fs.existsSync(path.join(env.DATA_DIR, ".lock")));
        const run = await tessera(["migrate"], env);
        assert.equal(run.code, 0, run.stderr);
      },
    );

    test(
      "SIGTERM stops a running server with exit code 0 and frees the directory",
      SLOW,
      async () => {
        const env = { DATA_DIR: tempDir() };
        const server = await startServe(env);
        server.child.kill("SIGTERM");
        const { code, signal } = await exited(server.child);
        assert.equal(signal, null);
        assert.equal(code, 0);
        assert.equal(fs.existsSync(path.join(env.DATA_DIR, ".lock")), false);
      },
    );
  });

  const adminUrl = process.env.TEST_DATABASE_URL;
  describe("on a PostgreSQL server", { skip: !adminUrl && "TEST_DATABASE_URL is not set" }, () => {
    test("migrate, user create and demo work against DATABASE_URL", SLOW, async () => {
      if (!adminUrl) return;
      const scratch = await createScratchDatabase("tessera_cli");
      const env = { DATABASE_URL: scratch.url, DATA_DIR: tempDir() };
      try {
        const migrate = await tessera(["migrate"], env);
        assert.equal(migrate.code, 0, migrate.stderr);
        assert.match(migrate.stdout, /Migrations applied \(postgres\)/);
        const demo = await tessera(["demo"], env, { timeoutMs: 600_000 });
        assert.equal(demo.code, 0, demo.stderr);
        assert.match(demo.stdout, /300 tickets/);
        assert.equal(demo.stderr, "");
        assert.deepEqual(
          await demoData({ kind: "postgres", url: scratch.url, poolMax: 1 }),
          DEMO_DATA,
        );
        const create = await tessera(
          ["user", "create", "--email", "pg@b.test", "--name", "PG", "--role", "admin"],
          env,
          { input: "longenough1\n" },
        );
        assert.equal(create.code, 0, create.stderr);
        assert.match(create.stdout, /Created admin pg@b\.test/);
        const again = await tessera(["demo"], env);
        assert.equal(again.code, 1);
        assert.match(oneErrorLine(again), /the demo only loads into an empty database/);
      } finally {
        await scratch.drop();
      }
    });
  });
});
