import { type Actor, findUserByEmail, getUser, isActiveStaff, isAdmin } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import * as fields from "../fields/index.ts";
import { type FieldError, Forbidden, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { checkTagName, findTag, findTagByName, tagsNamed } from "../tags/index.ts";
import { findTeamByName, listTeams } from "../teams/index.ts";
import { PRIORITIES, STATUSES } from "../tickets/lifecycle.ts";
import { enabledTriggers } from "./cache.ts";
import { EMAIL, oneOfProblem, parseConditions } from "./condition-form.ts";
import { fieldCondition } from "./conditions.ts";
import * as repo from "./rules.repo.ts";
import {
  ACTION_TYPES,
  ACTIONS_MAX,
  type Action,
  CLOCKS,
  type Clock,
  CONDITION_FIELDS,
  type Condition,
  type ConditionField,
  HOURS_MAX,
  MAIL_RECIPIENTS,
  type MailRecipient,
  NAME_MAX,
  RULE_KINDS,
  type Rule,
  type RuleForm,
  type RuleKind,
  SUBJECT_MAX,
  TEMPLATE_MAX,
  TRIGGER_EVENTS,
  type TriggerEvent,
} from "./rules.schemas.ts";
import { PLACEHOLDERS, unknownPlaceholders } from "./templates.ts";

/**
 * Rules as admins manage them: validated on save (every problem reported on
 * its form field, unknown placeholders named), ordered, enabled or disabled,
 * previewed against recent tickets. Running them is engine.ts and scheduler.ts.
 */

export type { Rule } from "./rules.schemas.ts";

/** A change to the rules, announced to every node's trigger cache as it commits. */
function changeRules<T>(deps: Deps, change: (tx: Tx) => Promise<T>): Promise<T> {
  return enabledTriggers.change(deps.db, change);
}

function requireAdminActor(actor: Actor): void {
  if (!isAdmin(actor)) throw new Forbidden("Only admins manage rules.", "error.onlyAdmins.rules");
}

function oneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

const noNul = (s: string) => !s.includes("\0");

/** A staff member named by address (or "nobody"), as a user id (null for nobody). */
async function staffValue(
  deps: Deps,
  raw: string,
  field: string,
  errors: FieldError[],
): Promise<number | null | undefined> {
  const value = raw.trim();
  if (value === "") {
    errors.push(
      fieldProblem(field, "needs an agent's address, or nobody", "error.field.needsAgent"),
    );
    return undefined;
  }
  if (value.toLowerCase() === "nobody") return null;
  const user = await findUserByEmail(deps, "system", value);
  if (!user || !(await isActiveStaff(deps.db, user.id))) {
    errors.push(
      fieldProblem(
        field,
        "must be the address of an active agent or admin, or nobody",
        "error.field.agentOrNobody",
      ),
    );
    return undefined;
  }
  return user.id;
}

/** A team named by its name (or "none"), as a team id (null for none). */
async function teamValue(
  deps: Deps,
  raw: string,
  field: string,
  errors: FieldError[],
): Promise<number | null | undefined> {
  const value = raw.trim();
  if (value === "") {
    errors.push(fieldProblem(field, "needs a team's name, or none", "error.field.needsTeam"));
    return undefined;
  }
  if (value.toLowerCase() === "none") return null;
  const team = await findTeamByName(deps.db, value);
  if (!team) {
    errors.push(
      fieldProblem(field, "must be the name of a team, or none", "error.field.teamOrNone"),
    );
    return undefined;
  }
  return team.id;
}

/** The enabled custom field named `name` (any case), or undefined with "is not a field" pushed. */
async function enabledField(
  deps: Deps,
  name: string,
  at: string,
  errors: FieldError[],
): Promise<fields.FieldDef | undefined> {
  const wanted = name.trim().toLowerCase();
  const def = (await fields.allFields(deps.db)).find(
    (d) => !d.disabled && d.name.toLowerCase() === wanted,
  );
  if (!def) errors.push(fieldProblem(at, "is not a field", "error.fields.unknown"));
  return def;
}

/**
 * A custom field condition as typed: `name` (the field is set) or
 * `name=value` (its value is that one, checked against its type; for several
 * choices, one of them is), stored by the field's id (see conditions.ts).
 */
async function fieldConditionValue(
  deps: Deps,
  raw: string,
  at: string,
  errors: FieldError[],
): Promise<string | undefined> {
  const eq = raw.indexOf("=");
  const def = await enabledField(deps, eq < 0 ? raw : raw.slice(0, eq), at, errors);
  if (!def) return undefined;
  if (eq < 0) return String(def.id);
  try {
    const { contains, negated } = fields.containment(def, raw.slice(eq + 1), at);
    if (negated) {
      errors.push(
        fieldProblem(
          at,
          "for a checkbox, write its name alone (is: ticked, is not: not ticked)",
          "error.fields.ruleCheckbox",
        ),
      );
      return undefined;
    }
    return `${def.id}=${JSON.stringify(contains[String(def.id)])}`;
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    errors.push(...error.errors);
    return undefined;
  }
}

/**
 * A "set field" action as its form shows it (rules' and macros'): `name=value`;
 * a deleted field as its old id, so saving it again asks for a field.
 */
export function typedFieldAction(
  defs: readonly fields.FieldDef[],
  action: Extract<Action, { type: "set_field" }>,
): string {
  const name = defs.find((d) => d.id === action.field)?.name ?? `#${action.field}`;
  return `${name}=${fields.valueText(action.value)}`;
}

/**
 * A "set field" action as typed: `name=value`, the value checked against the
 * field's type (several choices separated by commas; nothing after `=`
 * unsets it), stored by the field's id.
 */
async function fieldActionValue(
  deps: Deps,
  raw: string,
  at: string,
  errors: FieldError[],
): Promise<Extract<Action, { type: "set_field" }> | undefined> {
  const eq = raw.indexOf("=");
  if (eq < 0) {
    errors.push(
      fieldProblem(
        at,
        "must be name=value (nothing after = clears the field)",
        "error.fields.actionFormat",
      ),
    );
    return undefined;
  }
  const def = await enabledField(deps, raw.slice(0, eq), at, errors);
  if (!def) return undefined;
  try {
    return {
      type: "set_field",
      field: def.id,
      value: fields.typedValue(def, raw.slice(eq + 1), at),
    };
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    errors.push(...error.errors);
    return undefined;
  }
}

/**
 * A tag named by its name, as its id: an existing tag (any case), or, for an
 * action that adds it (`create`), a new one.
 */
async function tagValue(
  deps: Deps,
  raw: string,
  field: string,
  errors: FieldError[],
  create: boolean,
): Promise<number | undefined> {
  let name: string;
  try {
    name = checkTagName(raw, field);
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    errors.push(...error.errors);
    return undefined;
  }
  const tag = create ? (await tagsNamed(deps.db, [name]))[0] : await findTagByName(deps.db, name);
  if (!tag) {
    errors.push(fieldProblem(field, "must be the name of an existing tag", "error.tags.notATag"));
    return undefined;
  }
  return tag.id;
}

function checkTemplate(template: string, field: string, max: number, errors: FieldError[]): void {
  if (template.trim() === "")
    errors.push(fieldProblem(field, "is required", "error.field.required"));
  else if (template.length > max || !noNul(template))
    errors.push(
      fieldProblem(field, `must be at most ${max} characters of text`, "error.field.maxText", {
        max,
      }),
    );
  else {
    const unknown = unknownPlaceholders(template);
    if (unknown.length > 0) {
      const names = unknown.map((u) => `{{${u}}}`).join(", ");
      const known = PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ");
      errors.push(
        fieldProblem(
          field,
          `uses unknown placeholders: ${names} (known: ${known})`,
          "error.field.placeholders",
          { unknown: names, known },
        ),
      );
    }
  }
}

/**
 * One action row as submitted, checked and resolved (people by address, teams
 * and tags by name), or undefined with its problems pushed onto `errors`.
 * Macros share it for the field and tag actions they have in common with rules.
 */
export async function parseAction(
  deps: Deps,
  row: RuleForm["actions"][number],
  at: string,
  errors: FieldError[],
): Promise<Action | undefined> {
  const value = row.value.trim();
  switch (row.type) {
    case "set_status":
      if (!oneOf(STATUSES, value) || value === "new") {
        errors.push(
          oneOfProblem(
            `${at}.value`,
            STATUSES.filter((s) => s !== "new"),
          ),
        );
        return undefined;
      }
      return { type: "set_status", value };
    case "set_priority":
      if (!oneOf(PRIORITIES, value)) {
        errors.push(oneOfProblem(`${at}.value`, PRIORITIES));
        return undefined;
      }
      return { type: "set_priority", value };
    case "set_assignee": {
      const id = await staffValue(deps, value, `${at}.value`, errors);
      return id === undefined ? undefined : { type: "set_assignee", value: id };
    }
    case "set_team": {
      const id = await teamValue(deps, value, `${at}.value`, errors);
      return id === undefined ? undefined : { type: "set_team", value: id };
    }
    case "add_tag":
    case "remove_tag": {
      const id = await tagValue(deps, value, `${at}.value`, errors, row.type === "add_tag");
      return id === undefined ? undefined : { type: row.type, value: id };
    }
    case "set_field":
      return fieldActionValue(deps, value, `${at}.value`, errors);
    case "add_note": {
      const before = errors.length;
      checkTemplate(row.body, `${at}.body`, TEMPLATE_MAX, errors);
      return errors.length > before ? undefined : { type: "add_note", body: row.body.trim() };
    }
    case "send_mail": {
      const before = errors.length;
      if (!oneOf(MAIL_RECIPIENTS, row.to)) {
        errors.push(fieldProblem(`${at}.to`, "must say who gets the mail", "error.field.mailTo"));
      }
      const address = row.address.trim().toLowerCase();
      if (row.to === "address" && (!EMAIL.test(address) || address.length > 254)) {
        errors.push(fieldProblem(`${at}.address`, "must be an email address", "error.field.email"));
      }
      checkTemplate(row.subject, `${at}.subject`, SUBJECT_MAX, errors);
      checkTemplate(row.body, `${at}.body`, TEMPLATE_MAX, errors);
      if (errors.length > before) return undefined;
      return {
        type: "send_mail",
        to: row.to as MailRecipient,
        ...(row.to === "address" ? { address } : {}),
        subject: row.subject.trim(),
        body: row.body.trim(),
      };
    }
    default: {
      errors.push(oneOfProblem(`${at}.type`, ACTION_TYPES));
      return undefined;
    }
  }
}

/** The stored columns for a submitted rule, or Invalid naming every field with a problem. */
async function validate(
  deps: Deps,
  form: RuleForm,
): Promise<{ kind: RuleKind; values: repo.NewRuleRow }> {
  const errors: FieldError[] = [];
  const kind = form.kind;
  if (!oneOf(RULE_KINDS, kind))
    throw Invalid.field("kind", "must be trigger or automation", "error.field.ruleKind");
  const name = form.name.trim();
  if (name === "" || name.length > NAME_MAX || !noNul(name))
    errors.push(
      fieldProblem(
        "name",
        `is required (at most ${NAME_MAX} characters)`,
        "error.field.nameRequiredMax",
        { max: NAME_MAX },
      ),
    );
  let event: TriggerEvent | null = null;
  let clock: Clock | null = null;
  let hours: number | null = null;
  if (kind === "trigger") {
    if (oneOf(TRIGGER_EVENTS, form.event)) event = form.event;
    else errors.push(fieldProblem("event", "must say when the rule runs", "error.field.ruleEvent"));
  } else {
    if (oneOf(CLOCKS, form.clock)) clock = form.clock;
    else
      errors.push(
        fieldProblem("clock", "must say which clock the rule counts from", "error.field.ruleClock"),
      );
    const n = /^\s*\d+\s*$/.test(form.hours) ? Number(form.hours) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > HOURS_MAX)
      errors.push(
        fieldProblem(
          "hours",
          `must be a whole number from 1 to ${HOURS_MAX}`,
          "error.field.wholeNumberRange",
          { min: 1, max: HOURS_MAX },
        ),
      );
    else hours = n;
  }
  const {
    match,
    conditions,
    errors: conditionErrors,
  } = await parseConditions(form, Object.keys(CONDITION_FIELDS) as ConditionField[], {
    staff: (raw, field, errs) => staffValue(deps, raw, field, errs),
    team: (raw, field, errs) => teamValue(deps, raw, field, errs),
    tag: (raw, field, errs) => tagValue(deps, raw, field, errs, false),
    field: (raw, field, errs) => fieldConditionValue(deps, raw, field, errs),
  });
  errors.push(...conditionErrors);
  const actions: Action[] = [];
  for (const [i, row] of form.actions.slice(0, ACTIONS_MAX).entries()) {
    if (row.type === "") continue;
    const a = await parseAction(deps, row, `actions.${i}`, errors);
    if (a) actions.push(a);
  }
  if (actions.length === 0 && !errors.some((e) => e.field.startsWith("actions.")))
    errors.push(
      fieldProblem(
        "actions.0.type",
        "is required: a rule needs at least one action",
        "error.field.actionRequired",
      ),
    );
  if (errors.length > 0) throw new Invalid(errors);
  return {
    kind,
    values: { name, enabled: form.enabled, event, clock, hours, match, conditions, actions },
  };
}

/** Triggers and time rules, each in the order they run (admins only). */
export async function listRules(deps: Deps, actor: Actor): Promise<Record<RuleKind, Rule[]>> {
  requireAdminActor(actor);
  const [trigger, automation] = await Promise.all([
    repo.listRules(deps.db, "trigger"),
    repo.listRules(deps.db, "automation"),
  ]);
  return { trigger, automation };
}

export async function getRule(deps: Deps, actor: Actor, id: number): Promise<Rule> {
  requireAdminActor(actor);
  const rule = await repo.findRule(deps.db, id);
  if (!rule) throw new NotFound("rule", id);
  return rule;
}

/** Creates a rule, last in its kind's order. */
export async function createRule(deps: Deps, actor: Actor, form: RuleForm): Promise<Rule> {
  requireAdminActor(actor);
  const { kind, values } = await validate(deps, form);
  return changeRules(deps, (tx) => repo.insertRule(tx, kind, values));
}

/** Replaces a rule's settings (its kind and place in the order stay). */
export async function updateRule(
  deps: Deps,
  actor: Actor,
  id: number,
  form: RuleForm,
): Promise<Rule> {
  const existing = await getRule(deps, actor, id);
  const { values } = await validate(deps, { ...form, kind: existing.kind });
  const updated = await changeRules(deps, (tx) => repo.updateRule(tx, id, values));
  if (!updated) throw new NotFound("rule", id);
  return updated;
}

export async function setRuleEnabled(
  deps: Deps,
  actor: Actor,
  id: number,
  enabled: boolean,
): Promise<void> {
  requireAdminActor(actor);
  if (!(await changeRules(deps, (tx) => repo.updateRule(tx, id, { enabled }))))
    throw new NotFound("rule", id);
}

export async function deleteRule(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdminActor(actor);
  if (!(await changeRules(deps, (tx) => repo.deleteRule(tx, id)))) throw new NotFound("rule", id);
}

/** Moves a rule one place earlier or later among its kind (no change at an end). */
export async function moveRule(
  deps: Deps,
  actor: Actor,
  id: number,
  direction: "up" | "down",
): Promise<void> {
  requireAdminActor(actor);
  await changeRules(deps, async (tx) => {
    if (!(await repo.findRule(tx, id))) throw new NotFound("rule", id);
    await repo.moveRule(tx, id, direction);
  });
}

export const PREVIEW_TICKETS = 200;

/**
 * Which of the last PREVIEW_TICKETS tickets the rule's conditions match now
 * (for a time rule: before counting hours; its clock's status included).
 */
export async function previewRule(deps: Deps, actor: Actor, id: number) {
  const rule = await getRule(deps, actor, id);
  const implied: Condition[] =
    rule.clock === "solved" || rule.clock === "pending"
      ? [{ field: "status", op: "is", value: rule.clock }]
      : [];
  const conditions =
    implied.length === 0
      ? rule.conditions
      : rule.match === "all"
        ? [...implied, ...rule.conditions]
        : rule.conditions;
  const rows = await repo.previewMatches(deps.db, rule.match, conditions, PREVIEW_TICKETS);
  const matched = rows.filter((r) => r.matched);
  return { rule, looked: rows.length, matched };
}

/** Recent refused actions and cut loops, newest first (admins only). */
export async function listFailures(deps: Deps, actor: Actor, limit = 20) {
  requireAdminActor(actor);
  return repo.listFailures(deps.db, limit);
}

/** A stored rule as the form shows it (people by address). */
export async function ruleToForm(deps: Deps, actor: Actor, rule: Rule): Promise<RuleForm> {
  const ids = new Set([
    ...rule.conditions.flatMap((c) =>
      c.field === "assignee" && typeof c.value === "number" ? [c.value] : [],
    ),
    ...rule.actions.flatMap((a) =>
      a.type === "set_assignee" && a.value !== null ? [a.value] : [],
    ),
  ]);
  const emails = new Map<number, string>();
  for (const id of ids) {
    const user = await getUser(deps, actor, id).catch(() => undefined);
    if (user) emails.set(id, user.email);
  }
  const person = (id: number | null) => (id === null ? "nobody" : (emails.get(id) ?? `#${id}`));
  const teamNames = new Map((await listTeams(deps, actor)).map((t) => [t.id, t.name]));
  const team = (id: number | null) => (id === null ? "none" : (teamNames.get(id) ?? `#${id}`));
  const tagIds = new Set([
    ...rule.conditions.flatMap((c) => (c.field === "tag" ? [Number(c.value)] : [])),
    ...rule.actions.flatMap((a) =>
      a.type === "add_tag" || a.type === "remove_tag" ? [a.value] : [],
    ),
  ]);
  const tagNames = new Map<number, string>();
  for (const id of tagIds) {
    const found = await findTag(deps.db, id);
    if (found) tagNames.set(id, found.name);
  }
  // A deleted tag shows as its old id: saving the rule then asks for a tag's name.
  const tag = (id: number) => tagNames.get(id) ?? `#${id}`;
  const defs = await fields.allFields(deps.db);
  // `name` or `name=value`, as typed; a deleted field as its old id.
  const field = (value: Condition["value"]) => {
    const { id, wanted } = fieldCondition(value);
    const name = defs.find((d) => String(d.id) === id)?.name ?? `#${id}`;
    if (wanted === undefined) return name;
    const one = Array.isArray(wanted) ? wanted[0] : wanted;
    return `${name}=${String(one)}`;
  };
  return {
    kind: rule.kind,
    name: rule.name,
    enabled: rule.enabled,
    event: rule.event ?? "",
    clock: rule.clock ?? "",
    hours: rule.hours === null ? "" : String(rule.hours),
    match: rule.match,
    conditions: rule.conditions.map((c) => ({
      field: c.field,
      op: c.op,
      value:
        c.field === "assignee"
          ? person(c.value as number | null)
          : c.field === "team"
            ? team(c.value as number | null)
            : c.field === "tag"
              ? tag(Number(c.value))
              : c.field === "field"
                ? field(c.value)
                : String(c.value),
    })),
    actions: rule.actions.map((a) => ({
      type: a.type,
      value:
        a.type === "set_status" || a.type === "set_priority"
          ? a.value
          : a.type === "set_assignee"
            ? person(a.value)
            : a.type === "set_team"
              ? team(a.value)
              : a.type === "add_tag" || a.type === "remove_tag"
                ? tag(a.value)
                : a.type === "set_field"
                  ? typedFieldAction(defs, a)
                  : "",
      to: a.type === "send_mail" ? a.to : "",
      address: a.type === "send_mail" ? (a.address ?? "") : "",
      subject: a.type === "send_mail" ? a.subject : "",
      body: a.type === "add_note" || a.type === "send_mail" ? a.body : "",
    })),
  };
}
