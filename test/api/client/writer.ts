// The other process of the change-feed check: opens tickets and changes their
// priority from several concurrent loops (half the writes are creates) through its own client, printing one
// JSON line `{"id", "version"}` for every write the server confirmed.
//   TESSERA_URL=... TESSERA_TOKEN=... WRITES=40 node --import tsx writer.ts
import { ok, tessera } from "./tessera.ts";

const url = process.env.TESSERA_URL ?? "";
const api = tessera(url, process.env.TESSERA_TOKEN ?? "");
const writes = Number(process.env.WRITES ?? "40");
const LOOPS = 4;
const PRIORITIES = ["low", "normal", "high", "urgent"] as const;

function report(ticket: { id: number; version: number }): void {
  process.stdout.write(`${JSON.stringify({ id: ticket.id, version: ticket.version })}\n`);
}

/** Loop `n`: opens a ticket, changes it, opens the next, changes that, ... */
async function loop(n: number): Promise<void> {
  let last = 0;
  for (let k = 0; k < writes / LOOPS; k++) {
    if (k % 2 === 0) {
      const created = ok(
        "create",
        await api.POST("/api/v1/tickets", {
          body: { title: `Feed write ${n}.${k}`, description: `Written by loop ${n}.` },
        }),
      );
      last = created.id;
      report(created);
    } else {
      const changed = ok(
        "patch",
        await api.PATCH("/api/v1/tickets/{id}", {
          params: { path: { id: last } },
          body: { priority: PRIORITIES[(n + k) % PRIORITIES.length] ?? "high" },
        }),
      );
      report(changed);
    }
  }
}

await Promise.all(Array.from({ length: LOOPS }, (_, n) => loop(n)));
