import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Actor } from "../accounts/index.ts";
import { tickets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import type { RuleForm } from "./rules.schemas.ts";
import * as rules from "./rules.service.ts";

/** A word no other test uses: rules of a test match only its own tickets by it. */
export function tag(): string {
  return `t${randomBytes(5).toString("hex")}`;
}

type ActionRow = RuleForm["actions"][number];

export function action(row: Partial<ActionRow> & { type: string }): ActionRow {
  return { value: "", to: "", address: "", subject: "", body: "", ...row };
}

/** A rule form with defaults: a trigger on ticket creation, all conditions. */
export function ruleForm(form: Partial<RuleForm>): RuleForm {
  return {
    kind: "trigger",
    name: `Rule ${tag()}`,
    enabled: true,
    event: "ticket_created",
    clock: "",
    hours: "",
    match: "all",
    conditions: [],
    actions: [],
    ...form,
  };
}

/** Creates the rules, runs `work`, and deletes them again (rules apply to the whole database). */
export async function withRules<T>(
  deps: Deps,
  admin: Actor,
  forms: RuleForm[],
  work: (created: rules.Rule[]) => Promise<T>,
): Promise<T> {
  const created: rules.Rule[] = [];
  try {
    for (const form of forms) created.push(await rules.createRule(deps, admin, form));
    return await work(created);
  } finally {
    for (const rule of created) await rules.deleteRule(deps, admin, rule.id).catch(() => {});
  }
}

/** `n` tickets of `requesterId` titled with `word`, last touched 10 days ago (generate_series: quick). */
export async function insertStaleTickets(deps: Deps, requesterId: number, word: string, n: number) {
  await deps.db.execute(sql`insert into ${tickets}
    (title, description, status, requester_id, created_at, updated_at, status_changed_at)
    select ${word} || ' #' || g, 'Old ticket', 'open', ${requesterId},
      now() - interval '10 days', now() - interval '10 days', now() - interval '10 days'
    from generate_series(1, ${n}) g`);
}
