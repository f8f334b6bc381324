import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "./net.ts";
import { scaled } from "./time.ts";

/** The real command line, as people run it. */
export const BIN = path.resolve(import.meta.dirname, "../../bin/tessera.js");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** How long the process ran. */
  ms: number;
}

/** Only what the CLI needs from the outside, so the runner's own settings never leak in. */
export function cliEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = { LOG_LEVEL: "silent" };
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, ...env };
}

/** Starts `tessera <args>` as a child process with piped standard streams. */
export function startCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: path.dirname(BIN),
    env: cliEnv(env),
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/**
 * Runs one command to its end; `input` goes to its standard input (closed either way).
 * It fails if still running after `timeoutMs` (180 s), times TEST_TIME_FACTOR: a bound for
 * a hang, not a speed check (a command takes 3 to 8 s here, 40 s and more beside another suite).
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const started = Date.now();
  const child = startCli(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin?.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill("SIGKILL");
        reject(new Error(`tessera ${args.join(" ")} took too long\n${stdout}\n${stderr}`));
      },
      scaled(options.timeoutMs ?? 180_000),
    );
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/**
 * Starts `tessera serve` on a free port of 127.0.0.1 and waits until /healthz answers.
 * Fails at once if the server exits first, or after `timeoutMs` (180 s; a fresh PGlite
 * directory takes 5 s here, and several times that on a machine running other suites), times
 * TEST_TIME_FACTOR.
 */
export async function startServe(
  env: Record<string, string>,
  timeoutMs = 180_000,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = startCli(["serve"], { ...env, PORT: String(port), HOST: "127.0.0.1" });
  child.stdin?.end();
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + scaled(timeoutMs);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`serve exited (${child.exitCode ?? child.signalCode}): ${output}`);
    }
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false, // not listening yet
    );
    if (ok) return { child, url };
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`serve did not answer /healthz within ${scaled(timeoutMs)} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
