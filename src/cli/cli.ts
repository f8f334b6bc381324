import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { createUser } from "../accounts/accounts.service.ts";
import { ROLES, type Role } from "../accounts/index.ts";
import { resetTwoFactor } from "../accounts/two-factor.service.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { DataDirLocked } from "../db/lock.ts";
import { databaseTarget } from "../db/target.ts";
import type { Deps } from "../deps.ts";
import { AppError, Invalid } from "../lib/errors.ts";
import { serve } from "../main.ts";
import { composeDeps } from "../reactions.ts";
import { createToken } from "../tokens/tokens.service.ts";
import { backupDatabase, restoreDatabase } from "./backup.ts";
import { seedDemo } from "./demo.ts";

const USAGE = `Usage: tessera <command> [options]

Commands:
  serve                         run the helpdesk (what npm start runs)
  migrate                       apply database migrations and exit
  user create --email E --name N --role customer|agent|admin [--password P]
                                create an account; without --password it is read from standard input
  user reset-two-factor --email E
                                turn two-factor sign-in off for an account that lost its phone
                                and its recovery codes (they sign in with the password alone)
  token create --email E [--name N]
                                create a personal API token for that account; the token is
                                printed once, as the last line
  demo                          fill the database with demo agents, customers and tickets
  backup FILE                   write the embedded database and attachments to FILE
                                (a tar archive; stop the server first)
  restore FILE [--force]        replace the embedded database with a backup; --force
                                overwrites a database that holds accounts or tickets

Configuration comes from environment variables; see .env.example.`;

/** A problem with how the command was called: printed as one line, exit 2. */
class UsageError extends Error {}

const cliLog: Deps["log"] = {
  info: () => {},
  debug: () => {},
  warn: (...args: unknown[]) => console.error(...args),
  error: (...args: unknown[]) => console.error(...args),
};

async function withDatabase<T>(run: (deps: Deps, database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(databaseTarget(config));
  try {
    await database.migrate();
    return await run(composeDeps({ db: database.db, config, log: cliLog }), database);
  } finally {
    await database.close();
  }
}

/**
 * The password from standard input: its first line. At a terminal it asks,
 * and what is typed is not shown.
 */
async function readPassword(): Promise<string> {
  const tty = process.stdin.isTTY === true;
  if (tty) process.stderr.write("Password: ");
  // At a terminal readline echoes keystrokes to its output; give it one that discards them.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: tty });
  try {
    for await (const line of rl) return line;
    return "";
  } finally {
    rl.close();
    if (tty) process.stderr.write("\n");
  }
}

async function userCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: "string" },
      name: { type: "string" },
      role: { type: "string", default: "customer" },
      password: { type: "string" },
    },
    strict: true,
  });
  if (!values.email) throw new UsageError("--email is required");
  if (!values.name) throw new UsageError("--name is required");
  if (!ROLES.includes(values.role as Role))
    throw new UsageError(`--role must be one of: ${ROLES.join(", ")}`);
  const password = values.password ?? (await readPassword());
  await withDatabase(async (deps) => {
    const user = await createUser(deps, "system", {
      email: values.email ?? "",
      name: values.name ?? "",
      role: values.role as Role,
      password,
    });
    console.log(`Created ${user.role} ${user.email} (id ${user.id}).`);
  });
}

async function userResetTwoFactor(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: "string" } }, strict: true });
  if (!values.email) throw new UsageError("--email is required");
  await withDatabase(async (deps) => {
    const wasOn = await resetTwoFactor(deps, "system", values.email ?? "");
    console.log(
      wasOn
        ? `Two-factor sign-in is off for ${values.email}; they sign in with their password.`
        : `Two-factor sign-in was not on for ${values.email}.`,
    );
  });
}

async function tokenCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, name: { type: "string", default: "command line" } },
    strict: true,
  });
  if (!values.email) throw new UsageError("--email is required");
  await withDatabase(async (deps) => {
    const { token, record } = await createToken(
      deps,
      { system: true, email: values.email ?? "" },
      { name: values.name ?? "" },
    );
    console.log(`Created API token "${record.name}" for ${values.email}. It is shown only now:`);
    console.log(token);
  });
}

/** Runs one command; returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve":
        await serve(loadConfig());
        return -1; // keeps running
      case "migrate":
        await withDatabase(async (_deps, database) => {
          console.log(`Migrations applied (${database.kind}).`);
        });
        return 0;
      case "user":
        if (rest[0] === "reset-two-factor") {
          await userResetTwoFactor(rest.slice(1));
          return 0;
        }
        if (rest[0] !== "create")
          throw new UsageError(`unknown user command "${rest[0] ?? ""}"; try: tessera user create`);
        await userCreate(rest.slice(1));
        return 0;
      case "token":
        if (rest[0] !== "create")
          throw new UsageError(
            `unknown token command "${rest[0] ?? ""}"; try: tessera token create`,
          );
        await tokenCreate(rest.slice(1));
        return 0;
      case "demo":
        parseArgs({ args: rest, options: {}, strict: true });
        await withDatabase(async (deps) => {
          console.log(await seedDemo(deps));
        });
        return 0;
      case "backup": {
        const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
        if (positionals.length !== 1) throw new UsageError("usage: tessera backup FILE");
        console.log(await backupDatabase(loadConfig(), positionals[0] ?? ""));
        return 0;
      }
      case "restore": {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { force: { type: "boolean", default: false } },
          allowPositionals: true,
        });
        if (positionals.length !== 1) throw new UsageError("usage: tessera restore FILE [--force]");
        console.log(
          await restoreDatabase(loadConfig(), positionals[0] ?? "", { force: values.force }),
        );
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    console.error(`tessera: ${describeFailure(error)}`);
    return error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
      ? 2
      : 1;
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join("; ")}`;
  if (error instanceof DataDirLocked) return error.message;
  if (error instanceof Invalid && error.errors.length > 0) {
    return error.errors.map((e) => `${e.field} ${e.message}`).join("; ");
  }
  if (error instanceof AppError || error instanceof UsageError) return error.message;
  if (error instanceof Error && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
    return error.message;
  return error instanceof Error ? error.message : String(error);
}
