import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { tags, ticketEvents, tickets } from "../db/schema/index.ts";
import { createMacro, getMacro } from "../macros/macros.service.ts";
import { conditionsSql, matches } from "../rules/conditions.ts";
import type { Condition } from "../rules/rules.schemas.ts";
import * as rules from "../rules/rules.service.ts";
import { action, ruleForm, tag, withRules } from "../rules/test-support.ts";
import * as ticketService from "../tickets/tickets.service.ts";
import * as tagService from "./tags.service.ts";
import { tagsOf } from "./test-support.ts";

describeEachDatabase("tags in automation rules", (world) => {
  test("a rule adds a tag; another reacts to the tag (tag is) and removes one; both audited as the automation", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const hw = `hw-${word}`;
    const triage = `triage-${word}`;
    // Taking a tag off needs the tag to exist; adding one makes it.
    await deps.db.insert(tags).values({ name: triage });
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          name: `Tag ${word}`,
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "add_tag", value: hw })],
        }),
        ruleForm({
          name: `Urgent hardware ${word}`,
          event: "ticket_updated",
          conditions: [{ field: "tag", op: "is", value: hw.toUpperCase() }],
          actions: [
            action({ type: "set_priority", value: "high" }),
            action({ type: "remove_tag", value: triage }),
          ],
        }),
      ],
      async () => {
        const ticket = await ticketService.createTicket(deps, customer, {
          title: `Printer ${word}`,
          description: "Broken.",
        });
        assert.deepEqual(await tagsOf(deps, ticket.id), [hw], "the first rule tagged it");
        const [after] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
        assert.equal(after?.priority, "high", "the tag set off the second rule");

        // An agent's tag sets it off too, and the rule takes "triage" off again.
        await ticketService.updateTicket(deps, agent, ticket.id, { priority: "low" });
        await ticketService.changeTags(deps, agent, ticket.id, { add: [triage] });
        assert.deepEqual(await tagsOf(deps, ticket.id), [hw]);
        const trail = await deps.db
          .select()
          .from(ticketEvents)
          .where(eq(ticketEvents.ticketId, ticket.id))
          .orderBy(ticketEvents.id);
        const kinds = trail.map((e) => [e.kind, e.fromValue ?? e.toValue]);
        assert.ok(kinds.some(([k, v]) => k === "tag_added" && v === hw));
        assert.ok(kinds.some(([k, v]) => k === "tag_added" && v === triage));
        assert.ok(kinds.some(([k, v]) => k === "tag_removed" && v === triage));
        const removal = trail.find((e) => e.kind === "tag_removed");
        assert.notEqual(removal?.actorId, agent.id, "the rule removed it, not the agent");
      },
    );
  });

  test("tag is / is not: JavaScript and SQL agree; a missing tag in a condition is refused by name", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const a = await ticketService.createTicket(deps, customer, { title: word, description: "a" });
    const b = await ticketService.createTicket(deps, customer, { title: word, description: "b" });
    await ticketService.changeTags(deps, agent, a.id, { add: [`vip-${word}`] });
    const [vip] = await deps.db
      .select()
      .from(tags)
      .where(eq(tags.name, `vip-${word}`));
    assert.ok(vip);
    for (const op of ["is", "is_not"] as const) {
      const conditions: Condition[] = [{ field: "tag", op, value: vip.id }];
      const bySql = await deps.db
        .select({ id: tickets.id })
        .from(tickets)
        .where(conditionsSql("all", conditions));
      const sqlIds = bySql.map((r) => r.id).filter((id) => id === a.id || id === b.id);
      const facts = (tagIds: number[]) => ({
        status: "new" as const,
        priority: "normal" as const,
        channel: "web" as const,
        assigneeId: null,
        teamId: null,
        title: word,
        body: "",
        requesterEmail: customer.email,
        tagIds,
      });
      const jsIds: number[] = [
        ...(matches("all", conditions, facts([vip.id])) ? [a.id] : []),
        ...(matches("all", conditions, facts([])) ? [b.id] : []),
      ];
      assert.deepEqual(sqlIds.sort(), jsIds.sort(), op);
      assert.deepEqual(jsIds, op === "is" ? [a.id] : [b.id]);
    }
    await assert.rejects(
      rules.createRule(
        deps,
        admin,
        ruleForm({
          conditions: [{ field: "tag", op: "is", value: `nope-${word}` }],
          actions: [action({ type: "set_priority", value: "high" })],
        }),
      ),
      (error: { errors?: { field: string; message: string }[] }) =>
        error.errors?.[0]?.field === "conditions.0.value" &&
        /existing tag/.test(error.errors[0].message),
    );
    await assert.rejects(
      rules.createRule(
        deps,
        admin,
        ruleForm({ actions: [action({ type: "add_tag", value: "a,b" })] }),
      ),
      (error: { errors?: { field: string }[] }) => error.errors?.[0]?.field === "actions.0.value",
    );
  });

  test("the rule form shows a tag by its name, after a rename too", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const word = tag();
    const rule = await rules.createRule(
      deps,
      admin,
      ruleForm({ actions: [action({ type: "add_tag", value: `old-${word}` })] }),
    );
    try {
      const [created] = await deps.db
        .select()
        .from(tags)
        .where(eq(tags.name, `old-${word}`));
      assert.ok(created);
      await deps.db
        .update(tags)
        .set({ name: `new-${word}` })
        .where(eq(tags.id, created.id));
      const form = await rules.ruleToForm(deps, admin, rule);
      assert.equal(form.actions[0]?.value, `new-${word}`);
    } finally {
      await rules.deleteRule(deps, admin, rule.id);
    }
  });

  test("merging a tag makes the rules and macros naming it name the other; deleting a tag they name is refused with their names", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const [old, kept, loose] = await deps.db
      .insert(tags)
      .values([{ name: `old-${word}` }, { name: `kept-${word}` }, { name: `loose-${word}` }])
      .returning();
    assert.ok(old && kept && loose);
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          name: `Escalate ${word}`,
          event: "ticket_updated",
          conditions: [{ field: "tag", op: "is", value: old.name }],
          actions: [action({ type: "set_priority", value: "urgent" })],
        }),
        ruleForm({
          name: `Label ${word}`,
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "add_tag", value: old.name })],
        }),
      ],
      async () => {
        const macro = await createMacro(deps, admin, {
          name: `Triage ${word}`,
          shared: true,
          actions: [{ type: "remove_tag", value: old.name }],
        });
        await assert.rejects(tagService.deleteTag(deps, admin, old.id), (error: Error) => {
          assert.ok(error instanceof tagService.TagInUse);
          assert.deepEqual(error.rules, [`Escalate ${word}`, `Label ${word}`]);
          assert.deepEqual(error.macros, [`Triage ${word}`]);
          return true;
        });
        assert.equal((await deps.db.select().from(tags).where(eq(tags.id, old.id))).length, 1);
        // A tag no rule names goes.
        await tagService.deleteTag(deps, admin, loose.id);
        assert.equal((await deps.db.select().from(tags).where(eq(tags.id, loose.id))).length, 0);

        await tagService.mergeTag(deps, admin, old.id, kept.name);
        const [retargeted] = (await getMacro(deps, admin, macro.id)).actions;
        assert.deepEqual(retargeted, { type: "remove_tag", value: kept.id }, "the macro too");
        const ticket = await ticketService.createTicket(deps, customer, {
          title: `Printer ${word}`,
          description: "Broken.",
        });
        // The action adds the kept tag, and the condition on it sets the priority.
        assert.deepEqual(await tagsOf(deps, ticket.id), [kept.name]);
        const [after] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
        assert.equal(after?.priority, "urgent");
        const listed = await rules.listRules(deps, admin);
        const forms = await Promise.all(
          Object.values(listed)
            .flat()
            .filter((r) => r.name.endsWith(word))
            .map((r) => rules.ruleToForm(deps, admin, r)),
        );
        assert.deepEqual(
          forms.map((f) => [f.conditions[0]?.value, f.actions[0]?.value]),
          [
            [kept.name, "urgent"],
            [word, kept.name],
          ],
        );
      },
    );
  });
});
