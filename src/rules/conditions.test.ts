import assert from "node:assert/strict";
import { test } from "node:test";
import { eq, inArray } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { tickets } from "../db/schema/index.ts";
import type { Channel } from "../events/events.ts";
import { createTeam } from "../teams/teams.service.ts";
import type { Priority, Status } from "../tickets/lifecycle.ts";
import { createTicket } from "../tickets/tickets.service.ts";
import { matches } from "./conditions.ts";
import * as repo from "./rules.repo.ts";
import type { Condition, Match } from "./rules.schemas.ts";
import { tag } from "./test-support.ts";

describeEachDatabase("rule conditions", (world) => {
  test("every condition field and operator gives the same answer in JavaScript (triggers) and in SQL (time rules, preview)", async () => {
    const { deps } = world();
    const one = await makeAgent(deps);
    const two = await makeAgent(deps);
    const admin = await makeAdmin(deps);
    const billing = await createTeam(deps, admin, { name: `Billing ${tag()}` });
    const support = await createTeam(deps, admin, { name: `Support ${tag()}` });
    const domain = `${tag()}.example`;
    const a = await makeCustomer(deps, { email: `Ann@${domain}` });
    const b = await makeCustomer(deps, { email: `bob@other-${domain}` });
    const c = await makeCustomer(deps, { email: `cy@sub.${domain}` });
    const make = async (
      requester: typeof a,
      title: string,
      description: string,
      set: {
        status: Status;
        priority: Priority;
        channel: Channel;
        assigneeId: number | null;
        teamId?: number;
      },
    ) => {
      const t = await createTicket(deps, requester, { title, description }, [], {
        channel: set.channel,
      });
      await deps.db
        .update(tickets)
        .set({
          status: set.status,
          priority: set.priority,
          assigneeId: set.assigneeId,
          teamId: set.teamId ?? null,
        })
        .where(eq(tickets.id, t.id));
      return t.id;
    };
    const t1 = await make(a, "Printer ON fire", "smoke everywhere", {
      status: "new",
      priority: "high",
      channel: "web",
      assigneeId: one.id,
      teamId: billing.id,
    });
    const t2 = await make(b, "Login", "cannot log in", {
      status: "pending",
      priority: "low",
      channel: "email",
      assigneeId: null,
    });
    const t3 = await make(c, "Invoice", "Fire drill", {
      status: "solved",
      priority: "urgent",
      channel: "api",
      assigneeId: two.id,
      teamId: support.id,
    });
    const ids = [t1, t2, t3];
    const cases: [Match, Condition[], number[]][] = [
      ["all", [{ field: "status", op: "is", value: "new" }], [t1]],
      ["all", [{ field: "status", op: "is_not", value: "new" }], [t2, t3]],
      ["all", [{ field: "priority", op: "is", value: "urgent" }], [t3]],
      ["all", [{ field: "priority", op: "is_not", value: "low" }], [t1, t3]],
      ["all", [{ field: "channel", op: "is", value: "email" }], [t2]],
      ["all", [{ field: "channel", op: "is_not", value: "web" }], [t2, t3]],
      ["all", [{ field: "requester_email", op: "is", value: `ann@${domain}` }], [t1]],
      ["all", [{ field: "requester_email", op: "is_not", value: `ann@${domain}` }], [t2, t3]],
      ["all", [{ field: "requester_domain", op: "is", value: domain }], [t1]],
      ["all", [{ field: "requester_domain", op: "is_not", value: domain }], [t2, t3]],
      ["all", [{ field: "subject", op: "contains", value: "fire" }], [t1]],
      ["all", [{ field: "subject", op: "not_contains", value: "fire" }], [t2, t3]],
      ["all", [{ field: "body", op: "contains", value: "FIRE" }], [t3]],
      ["all", [{ field: "body", op: "not_contains", value: "FIRE" }], [t1, t2]],
      ["all", [{ field: "body", op: "contains", value: "%" }], []],
      ["all", [{ field: "assignee", op: "is", value: one.id }], [t1]],
      ["all", [{ field: "assignee", op: "is_not", value: one.id }], [t2, t3]],
      ["all", [{ field: "assignee", op: "is", value: null }], [t2]],
      ["all", [{ field: "assignee", op: "is_not", value: null }], [t1, t3]],
      ["all", [{ field: "team", op: "is", value: billing.id }], [t1]],
      ["all", [{ field: "team", op: "is_not", value: billing.id }], [t2, t3]],
      ["all", [{ field: "team", op: "is", value: null }], [t2]],
      ["all", [{ field: "team", op: "is_not", value: null }], [t1, t3]],
      ["all", [], [t1, t2, t3]],
      [
        "all",
        [
          { field: "priority", op: "is_not", value: "low" },
          { field: "assignee", op: "is", value: two.id },
        ],
        [t3],
      ],
      [
        "any",
        [
          { field: "channel", op: "is", value: "email" },
          { field: "subject", op: "contains", value: "invoice" },
        ],
        [t2, t3],
      ],
    ];
    const rows = await deps.db.select().from(tickets).where(inArray(tickets.id, ids));
    const emails = new Map([
      [a.id, a.email.toLowerCase()],
      [b.id, b.email.toLowerCase()],
      [c.id, c.email.toLowerCase()],
    ]);
    for (const [match, conditions, expected] of cases) {
      const label = `${match} ${JSON.stringify(conditions)}`;
      const inJs = rows
        .filter((t) =>
          matches(match, conditions, {
            ...t,
            body: t.description,
            requesterEmail: emails.get(t.requesterId) ?? "",
          }),
        )
        .map((t) => t.id)
        .sort((x, y) => x - y);
      const inSql = (await repo.previewMatches(deps.db, match, conditions, 200))
        .filter((r) => ids.includes(r.id) && r.matched)
        .map((r) => r.id)
        .sort((x, y) => x - y);
      assert.deepEqual(inJs, expected, `JavaScript: ${label}`);
      assert.deepEqual(inSql, expected, `SQL: ${label}`);
    }
  });
});
