import assert from "node:assert/strict";
import { test } from "node:test";
import { eq, inArray, sql } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { ruleFailures, ticketEvents, tickets } from "../db/schema/index.ts";
import { conditionsSql, matches } from "../rules/conditions.ts";
import type { Condition } from "../rules/rules.schemas.ts";
import * as rules from "../rules/rules.service.ts";
import { action, ruleForm, tag, withRules } from "../rules/test-support.ts";
import { updateTicket } from "../tickets/tickets.service.ts";
import { deleteField } from "./fields.service.ts";
import { makeFields } from "./test-support.ts";

describeEachDatabase("custom fields in automation rules", (world) => {
  test("field is / is not / is set: JavaScript and SQL agree, by type", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const f = await makeFields(deps, admin);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const values: Record<string, string | number | boolean | string[]>[] = [
      {
        product: "Printer",
        areas: ["Hardware", "Billing"],
        units: 2,
        vip: true,
        due: "2026-05-01",
      },
      { product: "Scanner", areas: ["Billing"], units: 2.5 },
      {},
    ];
    const ids: number[] = [];
    for (const v of values) {
      const t = await makeTicket(deps, customer);
      await updateTicket(deps, agent, t.id, { fields: v });
      ids.push(t.id);
    }
    const id = (name: string) => String(f[name]?.id);
    const cases: [Condition, boolean[]][] = [
      [{ field: "field", op: "is", value: id("product") }, [true, true, false]],
      [{ field: "field", op: "is_not", value: id("product") }, [false, false, true]],
      [{ field: "field", op: "is", value: `${id("product")}="Printer"` }, [true, false, false]],
      [{ field: "field", op: "is_not", value: `${id("product")}="Printer"` }, [false, true, true]],
      [{ field: "field", op: "is", value: `${id("areas")}=["Billing"]` }, [true, true, false]],
      [{ field: "field", op: "is", value: `${id("areas")}=["Hardware"]` }, [true, false, false]],
      [{ field: "field", op: "is", value: `${id("units")}=2` }, [true, false, false]],
      [{ field: "field", op: "is", value: `${id("units")}=2.5` }, [false, true, false]],
      [{ field: "field", op: "is", value: id("vip") }, [true, false, false]],
      [{ field: "field", op: "is", value: `${id("due")}="2026-05-01"` }, [true, false, false]],
    ];
    const rows = await deps.db
      .select({ id: tickets.id, fields: tickets.fields })
      .from(tickets)
      .where(inArray(tickets.id, ids));
    for (const [condition, expected] of cases) {
      const inSql = await deps.db
        .select({ id: tickets.id, matched: sql<boolean>`${conditionsSql("all", [condition])}` })
        .from(tickets)
        .where(inArray(tickets.id, ids))
        .orderBy(tickets.id);
      assert.deepEqual(
        inSql.map((r) => r.matched),
        expected,
        `SQL: ${JSON.stringify(condition)}`,
      );
      const inJs = ids.map((ticketId) => {
        const row = rows.find((r) => r.id === ticketId);
        return matches("all", [condition], {
          status: "new",
          priority: "normal",
          channel: "web",
          assigneeId: null,
          teamId: null,
          title: "",
          body: "",
          requesterEmail: "",
          fields: row?.fields,
        });
      });
      assert.deepEqual(inJs, expected, `JS: ${JSON.stringify(condition)}`);
    }
  });

  test("a rule form takes `name` or `name=value`, checked by type; a field change sets off ticket_updated rules", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    await makeFields(deps, admin);
    const bad = await rules
      .createRule(
        deps,
        admin,
        ruleForm({
          event: "ticket_updated",
          conditions: [
            { field: "field", op: "is", value: "colour=red" },
            { field: "field", op: "is", value: "units=many" },
            { field: "field", op: "is", value: "vip=false" },
          ],
          actions: [action({ type: "set_priority", value: "high" })],
        }),
      )
      .catch((e: { errors: { field: string; message: string }[] }) => e.errors);
    assert.deepEqual(
      (bad as { field: string; message: string }[]).map((e) => [e.field, e.message]),
      [
        ["conditions.0.value", "is not a field"],
        ["conditions.1.value", "must be a number"],
        [
          "conditions.2.value",
          "for a checkbox, write its name alone (is: ticked, is not: not ticked)",
        ],
      ],
    );
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          event: "ticket_updated",
          conditions: [{ field: "field", op: "is", value: "Areas=network" }],
          actions: [action({ type: "set_priority", value: "urgent" })],
        }),
      ],
      async ([rule]) => {
        assert.ok(rule);
        const form = await rules.ruleToForm(deps, admin, rule);
        assert.equal(form.conditions[0]?.value, "areas=Network", "shown as typed, by name");
        await updateTicket(deps, agent, ticket.id, { fields: { areas: ["Billing"] } });
        let [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
        assert.equal(row?.priority, "normal");
        await updateTicket(deps, agent, ticket.id, { fields: { areas: ["Network", "Billing"] } });
        [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
        assert.equal(row?.priority, "urgent", "the field change set the rule off");
      },
    );
  });

  test("a rule's set-field action: typed name=value and checked by type, applied as the rule's change, refused once the field is gone", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const f = await makeFields(deps, admin);
    const bad = await rules
      .createRule(
        deps,
        admin,
        ruleForm({
          actions: [
            action({ type: "set_field", value: "colour=red" }),
            action({ type: "set_field", value: "units" }),
            action({ type: "set_field", value: "units=many" }),
            action({ type: "set_field", value: "product=Fax" }),
            action({ type: "set_field", value: "areas=Billing, Sales" }),
          ],
        }),
      )
      .catch((e: { errors: { field: string; message: string }[] }) => e.errors);
    assert.deepEqual(
      (bad as { field: string; message: string }[]).map((e) => [e.field, e.message]),
      [
        ["actions.0.value", "is not a field"],
        ["actions.1.value", "must be name=value (nothing after = clears the field)"],
        ["actions.2.value", "must be a number"],
        ["actions.3.value", "must be one of: Printer, Scanner, Laptop"],
        ["actions.4.value", "must be some of: Hardware, Billing, Network"],
      ],
    );
    const word = tag();
    const customer = await makeCustomer(deps);
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [
            action({ type: "set_field", value: "product=printer" }),
            action({ type: "set_field", value: "Areas=network, billing" }),
            action({ type: "set_field", value: "vip=true" }),
            action({ type: "set_field", value: "units=3" }),
            action({ type: "set_field", value: "due=" }),
            // "serial" is required before solving; a rule is not held back by it.
            action({ type: "set_status", value: "solved" }),
          ],
        }),
      ],
      async ([rule]) => {
        assert.ok(rule);
        const form = await rules.ruleToForm(deps, admin, rule);
        assert.deepEqual(
          form.actions.map((a) => a.value),
          ["product=Printer", "areas=Billing, Network", "vip=true", "units=3", "due=", "solved"],
          "shown as typed, by name, choices in the field's order",
        );
        const ticket = await makeTicket(deps, customer, { title: `Broken ${word}` });
        const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
        assert.equal(row?.status, "solved");
        assert.deepEqual(row?.fields, {
          [String(f.product?.id)]: "Printer",
          [String(f.areas?.id)]: ["Billing", "Network"],
          [String(f.vip?.id)]: true,
          [String(f.units?.id)]: 3,
        });
        const audited = await deps.db
          .select({ field: ticketEvents.field, to: ticketEvents.toValue })
          .from(ticketEvents)
          .where(eq(ticketEvents.ticketId, ticket.id));
        assert.deepEqual(
          audited
            .filter((e) => e.field !== null)
            .map((e) => [e.field, e.to])
            .sort(),
          [
            ["areas", "Billing, Network"],
            ["product", "Printer"],
            ["units", "3"],
            ["vip", "true"],
          ],
          "each field change is in the audit trail",
        );

        await deleteField(deps, admin, f.units?.id as number);
        const after = await makeTicket(deps, customer, { title: `Again ${word}` });
        const [untouched] = await deps.db.select().from(tickets).where(eq(tickets.id, after.id));
        assert.deepEqual(untouched?.fields, {}, "nothing of the refused firing is applied");
        assert.equal(untouched?.status, "new");
        const failures = await deps.db
          .select()
          .from(ruleFailures)
          .where(eq(ruleFailures.ticketId, after.id));
        assert.deepEqual(
          failures.map((x) => x.ruleId),
          [rule.id],
        );
        const shown = await rules.ruleToForm(deps, admin, rule);
        assert.equal(shown.actions[3]?.value, `#${f.units?.id}=3`, "a deleted field shows its id");
      },
    );
  });
});
