import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { storedRuleName } from "../i18n/built-in-rules.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { readerOf } from "../platform/i18n.ts";
import { pageContext } from "../platform/views/context.ts";
import {
  ACTIONS_MAX,
  conditionRowsOf,
  conditionRowUsed,
  lastUsed,
  type RuleForm,
} from "./rules.schemas.ts";
import * as rules from "./rules.service.ts";
import { PreviewPage, RuleFormPage, RulesPage } from "./views/rules.tsx";

function ruleId(raw: string): number {
  const id = parseId(raw);
  if (id === undefined) throw new NotFound("rule");
  return id;
}

/**
 * The submitted rule, every value as typed (kept on a 422); rows come as
 * `conditions.3.value`. A built-in rule's name as the form showed it, in the
 * reader's language, is its stored name (i18n/built-in-rules.ts).
 */
function readForm(req: FastifyRequest): RuleForm {
  const f = formFields(req);
  const get = (name: string) => f[name] ?? "";
  return {
    kind: get("kind"),
    name: storedRuleName(get("name"), readerOf(req).t),
    enabled: f.enabled === "true" || f.enabled === "on",
    event: get("event"),
    clock: get("clock"),
    hours: get("hours"),
    match: get("match"),
    conditions: conditionRowsOf(get),
    actions: Array.from({ length: ACTIONS_MAX }, (_, i) => ({
      type: get(`actions.${i}.type`),
      value: get(`actions.${i}.value`),
      to: get(`actions.${i}.to`),
      address: get(`actions.${i}.address`),
      subject: get(`actions.${i}.subject`),
      body: get(`actions.${i}.body`),
    })),
  };
}

/** Rows the admin left empty are not shown back as used rows. */
function compact(form: RuleForm): RuleForm {
  return {
    ...form,
    conditions: lastUsed(form.conditions, conditionRowUsed),
    actions: lastUsed(form.actions, (a) =>
      [a.type, a.value, a.address, a.subject, a.body].some((x) => x !== ""),
    ),
  };
}

function blankForm(kind: string): RuleForm {
  return {
    kind: kind === "automation" ? "automation" : "trigger",
    name: "",
    enabled: true,
    event: "",
    clock: "",
    hours: "",
    match: "all",
    conditions: [],
    actions: [],
  };
}

/** Automation rules (triggers and time rules), for admins only. */
export async function rulesPages(app: FastifyInstance, deps: Deps) {
  app.get("/admin/rules", async (req, reply) => {
    const actor = requireAdmin(req);
    const [list, failures] = await Promise.all([
      rules.listRules(deps, actor),
      rules.listFailures(deps, actor),
    ]);
    return reply.render(
      <RulesPage ctx={pageContext(req, reply)} rules={list} failures={failures} />,
    );
  });

  app.get("/admin/rules/new", async (req, reply) => {
    requireAdmin(req);
    const { kind } = req.query as { kind?: string };
    return reply.render(
      <RuleFormPage
        ctx={pageContext(req, reply)}
        form={{ values: blankForm(kind ?? ""), errors: [] }}
      />,
    );
  });

  app.post("/admin/rules", async (req, reply) => {
    const actor = requireAdmin(req);
    const form = readForm(req);
    const result = await attempt(() => rules.createRule(deps, actor, form));
    if (!result.ok) {
      return reply.render(
        <RuleFormPage ctx={pageContext(req, reply)} form={refusedForm(compact(form), result)} />,
        422,
      );
    }
    return reply.redirect("/admin/rules?notice=rule-saved", 303);
  });

  app.get<{ Params: { id: string } }>("/admin/rules/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const rule = await rules.getRule(deps, actor, ruleId(req.params.id));
    const values = await rules.ruleToForm(deps, actor, rule);
    return reply.render(
      <RuleFormPage ctx={pageContext(req, reply)} form={{ values, errors: [] }} ruleId={rule.id} />,
    );
  });

  app.post<{ Params: { id: string } }>("/admin/rules/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = ruleId(req.params.id);
    const form = readForm(req);
    const result = await attempt(() => rules.updateRule(deps, actor, id, form));
    if (!result.ok) {
      return reply.render(
        <RuleFormPage
          ctx={pageContext(req, reply)}
          form={refusedForm(compact(form), result)}
          ruleId={id}
        />,
        422,
      );
    }
    return reply.redirect("/admin/rules?notice=rule-saved", 303);
  });

  app.post<{ Params: { id: string } }>("/admin/rules/:id/enabled", async (req, reply) => {
    const actor = requireAdmin(req);
    const { enabled } = formFields(req);
    if (enabled !== "true" && enabled !== "false")
      throw Invalid.field("enabled", "must be one of: true, false", "error.field.oneOf", {
        choices: "true, false",
      });
    await rules.setRuleEnabled(deps, actor, ruleId(req.params.id), enabled === "true");
    return reply.redirect("/admin/rules?notice=rule-saved", 303);
  });

  app.post<{ Params: { id: string } }>("/admin/rules/:id/move", async (req, reply) => {
    const actor = requireAdmin(req);
    const { direction } = formFields(req);
    if (direction !== "up" && direction !== "down")
      throw Invalid.field("direction", "must be one of: up, down", "error.field.oneOf", {
        choices: "up, down",
      });
    await rules.moveRule(deps, actor, ruleId(req.params.id), direction);
    return reply.redirect("/admin/rules", 303);
  });

  app.post<{ Params: { id: string } }>("/admin/rules/:id/delete", async (req, reply) => {
    const actor = requireAdmin(req);
    await rules.deleteRule(deps, actor, ruleId(req.params.id));
    return reply.redirect("/admin/rules?notice=rule-deleted", 303);
  });

  app.get<{ Params: { id: string } }>("/admin/rules/:id/preview", async (req, reply) => {
    const actor = requireAdmin(req);
    const { rule, looked, matched } = await rules.previewRule(deps, actor, ruleId(req.params.id));
    return reply.render(
      <PreviewPage ctx={pageContext(req, reply)} rule={rule} looked={looked} matched={matched} />,
    );
  });
}
