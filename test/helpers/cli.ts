import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

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

/** Runs one command to its end; `input` goes to its standard input (closed either way). */
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
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tessera ${args.join(" ")} took too long\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}
