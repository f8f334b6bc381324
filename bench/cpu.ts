// CPU time read from Linux's /proc: what a run cost the machine, which moves far
// less with other load than latency does. Undefined where /proc is not readable.
import fs from "node:fs";

/** USER_HZ: Linux reports process times in hundredths of a second on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, ms. */
export function cpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time used so far by each PostgreSQL backend on this machine (a local
 * server) connected to `database`, ms by process id: other databases' work
 * (another test suite) is left out. Compare two readings with `cpuBetween`.
 */
export function postgresCpuMs(database: string): Map<number, number> | undefined {
  try {
    const backends = new Map<number, number>();
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") continue;
        // A backend's title: "postgres: <user> <database> <client> <state>".
        const title = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        if (!title.split(" ").includes(database)) continue;
      } catch {
        continue;
      }
      const ms = cpuMs(Number(pid));
      if (ms !== undefined) backends.set(Number(pid), ms);
    }
    return backends;
  } catch {
    return undefined;
  }
}

/**
 * The CPU the backends used between two readings, ms: a backend that started
 * in between counts from zero; one that ended in between is lost (keep the
 * connections open around the work measured).
 */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
