import type { ComponentChildren } from "preact";
import { useContext } from "preact/hooks";
import { ruleName } from "../../i18n/built-in-rules.ts";
import {
  DEFAULT_TRANSLATOR,
  type Locale,
  type MessageKey,
  type Translator,
} from "../../i18n/i18n.ts";
import type { FieldError, MessageArgs } from "../../lib/errors.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldErrorText,
  isMessageKey,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { ReaderContext } from "../../platform/views/reader.ts";
import { Time } from "../../platform/views/time.tsx";
import type { Status } from "../../tickets/lifecycle.ts";
import { statusLabel } from "../../tickets/views/badges.tsx";
import {
  type ActionType,
  type Clock,
  CONDITION_FIELDS,
  CONDITIONS_MAX,
  type Condition,
  type ConditionField,
  type ConditionOp,
  type MailRecipient,
  type Match,
  type Rule,
  type RuleForm,
  type RuleKind,
  type TriggerEvent,
} from "../rules.schemas.ts";
import type { Placeholder } from "../templates.ts";

type T = Translator["t"];

/** Each trigger event's name in the catalogs (the order the form offers them). */
const EVENT_KEYS: Record<TriggerEvent, MessageKey> = {
  ticket_created: "rules.event.ticketCreated",
  ticket_updated: "rules.event.ticketUpdated",
  customer_replied: "rules.event.customerReplied",
  agent_replied: "rules.event.agentReplied",
  note_added: "rules.event.noteAdded",
  status_changed: "rules.event.statusChanged",
};

/** Each time rule clock's name in the catalogs. */
const CLOCK_KEYS: Record<Clock, MessageKey> = {
  created: "rules.clock.created",
  updated: "rules.clock.updated",
  solved: "rules.clock.solved",
  pending: "rules.clock.pending",
  customer_reply: "rules.clock.customerReply",
  agent_reply: "rules.clock.agentReply",
};

/** Each condition field's name in the catalogs. */
const FIELD_KEYS: Record<ConditionField, MessageKey> = {
  status: "rules.field.status",
  priority: "rules.field.priority",
  channel: "rules.field.channel",
  requester_email: "rules.field.requesterEmail",
  requester_domain: "rules.field.requesterDomain",
  subject: "rules.field.subject",
  body: "rules.field.body",
  assignee: "rules.field.assignee",
  team: "rules.field.team",
  tag: "tags.rules.field",
  field: "fields.rules.field",
};

/** Each operator's name in the catalogs. */
const OP_KEYS: Record<ConditionOp, MessageKey> = {
  is: "rules.op.is",
  is_not: "rules.op.isNot",
  contains: "rules.op.contains",
  not_contains: "rules.op.notContains",
};

/**
 * One condition as a phrase ("subject contains {value}"): one message per field
 * and operator, since languages word each differently; typed by the operators
 * `CONDITION_FIELDS` gives each field, so a new pair does not compile without its message.
 */
const CONDITION_KEYS: {
  [F in ConditionField]: Record<(typeof CONDITION_FIELDS)[F]["ops"][number], MessageKey>;
} = {
  status: { is: "rules.cond.status.is", is_not: "rules.cond.status.isNot" },
  priority: { is: "rules.cond.priority.is", is_not: "rules.cond.priority.isNot" },
  channel: { is: "rules.cond.channel.is", is_not: "rules.cond.channel.isNot" },
  requester_email: {
    is: "rules.cond.requesterEmail.is",
    is_not: "rules.cond.requesterEmail.isNot",
  },
  requester_domain: {
    is: "rules.cond.requesterDomain.is",
    is_not: "rules.cond.requesterDomain.isNot",
  },
  subject: {
    contains: "rules.cond.subject.contains",
    not_contains: "rules.cond.subject.notContains",
  },
  body: { contains: "rules.cond.body.contains", not_contains: "rules.cond.body.notContains" },
  assignee: { is: "rules.cond.assignee.is", is_not: "rules.cond.assignee.isNot" },
  team: { is: "rules.cond.team.is", is_not: "rules.cond.team.isNot" },
  tag: { is: "tags.rules.cond.is", is_not: "tags.rules.cond.isNot" },
  field: { is: "fields.rules.cond.is", is_not: "fields.rules.cond.isNot" },
};

/** Each action type's name in the catalogs. */
const ACTION_KEYS: Record<ActionType, MessageKey> = {
  set_status: "rules.action.setStatus",
  set_priority: "rules.action.setPriority",
  set_assignee: "rules.action.setAssignee",
  set_team: "rules.action.setTeam",
  add_note: "rules.action.addNote",
  send_mail: "rules.action.sendMail",
  add_tag: "tags.rules.action.add",
  remove_tag: "tags.rules.action.remove",
  set_field: "fields.actions.set",
};

/** Each mail recipient's name in the catalogs. */
const RECIPIENT_KEYS: Record<MailRecipient, MessageKey> = {
  requester: "rules.to.requester",
  assignee: "rules.to.assignee",
  all_agents: "rules.to.allAgents",
  address: "rules.to.address",
};

/** What each template placeholder stands for, in the catalogs. */
const PLACEHOLDER_KEYS: Record<Placeholder, MessageKey> = {
  "ticket.id": "rules.placeholder.ticketId",
  "ticket.title": "rules.placeholder.ticketTitle",
  "ticket.status": "rules.placeholder.ticketStatus",
  "ticket.priority": "rules.placeholder.ticketPriority",
  "ticket.url": "rules.placeholder.ticketUrl",
  "requester.name": "rules.placeholder.requesterName",
  "requester.email": "rules.placeholder.requesterEmail",
  "agent.name": "rules.placeholder.agentName",
};

/** Options of a select: each value with its name in the reader's language. */
function labelled<K extends string>(keys: Record<K, MessageKey>, t: T): Record<K, string> {
  return Object.fromEntries((Object.keys(keys) as K[]).map((k) => [k, t(keys[k])])) as Record<
    K,
    string
  >;
}

export interface Failure {
  id: number;
  ruleId: number;
  ruleName: string;
  ticketId: number | null;
  /** English, as stored; what is shown where there is no `reasonKey`. */
  reason: string;
  reasonKey: string | null;
  reasonValues: MessageArgs | null;
  createdAt: Date;
}

const KIND_KEYS: Record<RuleKind, MessageKey> = {
  trigger: "rules.kind.trigger",
  automation: "rules.kind.automation",
};

const CAPTION_KEYS: Record<RuleKind, MessageKey> = {
  trigger: "rules.caption.trigger",
  automation: "rules.caption.automation",
};

type ListType = "conjunction" | "disjunction";

// One per language and kind of list, made on first use.
const listFormats = new Map<string, Intl.ListFormat>();

function listFormat(locale: Locale, type: ListType): Intl.ListFormat {
  const id = `${locale} ${type}`;
  let format = listFormats.get(id);
  if (!format) {
    format = new Intl.ListFormat(locale, { type });
    listFormats.set(id, format);
  }
  return format;
}

/** A list the English joined with ", " (a FieldError's values), joined the reader's way. */
function relist(
  joined: string | number | readonly string[] | undefined,
  type: ListType,
  i18n: Translator,
  names: Readonly<Record<string, string>> = {},
): string | number | undefined {
  if (typeof joined === "number" || joined === undefined) return joined;
  const items = (typeof joined === "string" ? joined.split(", ") : joined).map(
    (item) => names[item] ?? item,
  );
  return listFormat(i18n.locale, type).format(items);
}

/**
 * Why a rule did not run, in the reader's language: by its catalog key (a rule
 * it names is a rule's name, so a built-in one's is translated too); a reason
 * stored before keys were (or one without) as stored, in English.
 */
function failureReason(failure: Failure, t: Translator["t"]): string {
  const key = failure.reasonKey ?? undefined;
  if (!isMessageKey(key)) return failure.reason;
  const values = { ...failure.reasonValues };
  if (typeof values.rule === "string") values.rule = ruleName(values.rule, t);
  return t(key, values);
}

/**
 * A field's problem as a sentence in the reader's language, with its lists
 * (the choices of `error.field.oneOf`, unknown and known placeholders) joined
 * the reader's way. `names`: the words a select offers its values under, so
 * its choices read as the select shows them; typed values stay as typed.
 */
export function problemText(
  error: FieldError,
  label: string,
  i18n: Translator,
  names?: Readonly<Record<string, string>>,
): string {
  const values = { ...error.values };
  if (error.key === "error.field.oneOf")
    values.choices = relist(values.choices, "disjunction", i18n, names) ?? "";
  if (error.key === "error.field.placeholders") {
    values.unknown = relist(values.unknown, "conjunction", i18n) ?? "";
    values.known = relist(values.known, "conjunction", i18n) ?? "";
  }
  return fieldErrorText({ ...error, values }, label, i18n.t);
}

/**
 * Conditions in words ("channel is email and subject contains refund"), in the
 * reader's language; values as stored (they are what the admin types).
 */
export function describeConditions(
  match: Match,
  conditions: readonly Condition[],
  i18n: Translator = DEFAULT_TRANSLATOR,
): string {
  const { t } = i18n;
  const phrases = conditions.map((c) => {
    const value = c.value === null ? t("rules.cond.none") : String(c.value);
    // Only the operators a field takes are ever stored (condition-form.ts checks them).
    const key = (CONDITION_KEYS[c.field] as Partial<Record<ConditionOp, MessageKey>>)[c.op];
    return key
      ? t(key, { value })
      : t("rules.cond.other", { field: t(FIELD_KEYS[c.field]), value });
  });
  return listFormat(i18n.locale, match === "all" ? "conjunction" : "disjunction").format(phrases);
}

function describeRule(rule: Rule, t: T): string {
  if (rule.kind === "trigger") {
    return t("rules.runsWhen", { event: rule.event ? t(EVENT_KEYS[rule.event]) : "?" });
  }
  return t("rules.runsAfter", {
    clock: rule.clock ? t(CLOCK_KEYS[rule.clock]) : "?",
    hours: rule.hours === null ? "?" : String(rule.hours),
  });
}

function RuleTable({ ctx, kind, rules }: { ctx: PageContext; kind: RuleKind; rules: Rule[] }) {
  const { t } = ctx.i18n;
  return (
    <section>
      <div class="page-head">
        <h2>{t(KIND_KEYS[kind])}</h2>
        <a href={`/admin/rules/new?kind=${kind}`} class="button">
          {kind === "trigger" ? t("rules.newTrigger") : t("rules.newTimeRule")}
        </a>
      </div>
      {rules.length === 0 ? (
        <p>{t("rules.noneYet")}</p>
      ) : (
        <table class="rules">
          <caption class="visually-hidden">{t(CAPTION_KEYS[kind])}</caption>
          <thead>
            <tr>
              <th scope="col">{t("rules.col.order")}</th>
              <th scope="col">{t("rules.col.name")}</th>
              <th scope="col">{t("rules.col.runs")}</th>
              <th scope="col">{t("rules.col.state")}</th>
              <th scope="col">{t("rules.col.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((rule, i) => (
              <tr>
                <td>{i + 1}</td>
                <td>
                  <a href={`/admin/rules/${rule.id}`}>{ruleName(rule.name, t)}</a>
                </td>
                <td>{describeRule(rule, t)}</td>
                <td>{rule.enabled ? t("rules.enabled") : t("rules.disabled")}</td>
                <td class="inline-forms">
                  <form method="post" action={`/admin/rules/${rule.id}/move`}>
                    <Csrf token={ctx.csrfToken} />
                    <input type="hidden" name="direction" value="up" />
                    <button
                      type="submit"
                      disabled={i === 0}
                      aria-label={t("rules.moveUp", { rule: ruleName(rule.name, t) })}
                    >
                      {t("rules.up")}
                    </button>
                  </form>
                  <form method="post" action={`/admin/rules/${rule.id}/move`}>
                    <Csrf token={ctx.csrfToken} />
                    <input type="hidden" name="direction" value="down" />
                    <button
                      type="submit"
                      disabled={i === rules.length - 1}
                      aria-label={t("rules.moveDown", { rule: ruleName(rule.name, t) })}
                    >
                      {t("rules.down")}
                    </button>
                  </form>
                  <form method="post" action={`/admin/rules/${rule.id}/enabled`}>
                    <Csrf token={ctx.csrfToken} />
                    <input type="hidden" name="enabled" value={rule.enabled ? "false" : "true"} />
                    <button type="submit">
                      {rule.enabled ? t("rules.disable") : t("rules.enable")}
                    </button>
                  </form>
                  <a href={`/admin/rules/${rule.id}/preview`}>{t("rules.preview")}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function RulesPage({
  ctx,
  rules,
  failures,
}: {
  ctx: PageContext;
  rules: Record<RuleKind, Rule[]>;
  failures: Failure[];
}) {
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("rules.title")}>
      <h1>{t("rules.title")}</h1>
      <p>{t("rules.intro")}</p>
      <RuleTable ctx={ctx} kind="trigger" rules={rules.trigger} />
      <RuleTable ctx={ctx} kind="automation" rules={rules.automation} />
      <section>
        <h2>{t("rules.recentProblems")}</h2>
        {failures.length === 0 ? (
          <p>{t("rules.noProblems")}</p>
        ) : (
          <ul class="rule-failures">
            {failures.map((f) => {
              const rule = (chunks: ComponentChildren) => (
                <a href={`/admin/rules/${f.ruleId}`}>{chunks}</a>
              );
              const name = ruleName(f.ruleName, t);
              const reason = failureReason(f, t);
              return (
                <li>
                  {f.ticketId === null
                    ? rich("rules.failure", { rule, name, reason })
                    : rich("rules.failureOnTicket", {
                        rule,
                        ticket: (chunks: ComponentChildren) => (
                          <a href={`/tickets/${f.ticketId}`}>{chunks}</a>
                        ),
                        name,
                        id: String(f.ticketId),
                        reason,
                      })}{" "}
                  <Time date={f.createdAt} />
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </Layout>
  );
}

function Options({
  options,
  selected,
  blank,
}: {
  options: Record<string, string>;
  selected: string;
  blank?: string;
}) {
  return (
    <>
      {blank !== undefined && (
        <option value="" selected={selected === ""}>
          {blank}
        </option>
      )}
      {Object.entries(options).map(([value, label]) => (
        <option value={value} selected={value === selected}>
          {label}
        </option>
      ))}
    </>
  );
}

/**
 * A small input with its label and error, named like `conditions.0.value`.
 * `names`: a select's options, to name its choices in an error.
 */
function Cell({
  form,
  name,
  label,
  names,
  children,
}: {
  form: FormState<unknown>;
  name: string;
  label: string;
  names?: Readonly<Record<string, string>>;
  children: (a: {
    id: string;
    "aria-invalid"?: "true";
    "aria-describedby"?: string;
  }) => ComponentChildren;
}) {
  const i18n = useContext(ReaderContext);
  const id = `field-${name}`;
  const error = form.errors.find((e) => e.field === name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id}>{label}</label>
      {children({
        id,
        ...(error ? { "aria-invalid": "true" as const, "aria-describedby": `${id}-error` } : {}),
      })}
      {error && (
        <p class="error" id={`${id}-error`}>
          {problemText(error, label, i18n, names)}
        </p>
      )}
    </div>
  );
}

/**
 * The "If" part of a form: all or any, and condition rows (field, operator,
 * value) named like `conditions.0.value`, with two empty rows beyond those in
 * use (at least three: enough without scripts). `fields`: the condition
 * fields offered (a rule: all; an SLA condition: those that stay with a ticket).
 */
export function ConditionsFieldset({
  form,
  match,
  conditions,
  fields = Object.keys(CONDITION_FIELDS) as ConditionField[],
  hint,
  t,
}: {
  form: FormState<unknown>;
  match: string;
  conditions: readonly { field: string; op: string; value: string }[];
  fields?: readonly ConditionField[];
  hint: string;
  /** The page's translator. */
  t: T;
}) {
  const rows = Math.min(CONDITIONS_MAX, Math.max(3, conditions.length + 2));
  const labels = Object.fromEntries(fields.map((f) => [f, t(FIELD_KEYS[f])]));
  const ops = labelled(OP_KEYS, t);
  return (
    <fieldset>
      <legend>{t("rules.if")}</legend>
      <Field form={form} name="match" label={t("rules.match")}>
        {(a) => (
          <select {...a} name="match">
            <Options
              options={{ all: t("rules.match.all"), any: t("rules.match.any") }}
              selected={match}
            />
          </select>
        )}
      </Field>
      {Array.from({ length: rows }, (_, i) => {
        const row = conditions[i] ?? { field: "", op: "", value: "" };
        const at = `conditions.${i}`;
        return (
          <fieldset class="rule-row">
            <legend class="visually-hidden">{t("rules.conditionN", { n: i + 1 })}</legend>
            <Cell form={form} name={`${at}.field`} label={t("rules.conditionField")}>
              {(a) => (
                <select {...a} name={`${at}.field`}>
                  <Options options={labels} selected={row.field} blank={t("rules.none")} />
                </select>
              )}
            </Cell>
            <Cell form={form} name={`${at}.op`} label={t("rules.operator")} names={ops}>
              {(a) => (
                <select {...a} name={`${at}.op`}>
                  <Options options={ops} selected={row.op} />
                </select>
              )}
            </Cell>
            <Cell form={form} name={`${at}.value`} label={t("rules.value")}>
              {(a) => <input {...a} name={`${at}.value`} value={row.value} />}
            </Cell>
          </fieldset>
        );
      })}
      <p class="hint">{hint}</p>
    </fieldset>
  );
}

export function RuleFormPage({
  ctx,
  form,
  ruleId,
}: {
  ctx: PageContext;
  form: FormState<RuleForm> & { values: RuleForm };
  ruleId?: number | undefined;
}) {
  const { t } = ctx.i18n;
  const v = form.values;
  const kind = v.kind === "automation" ? "automation" : "trigger";
  const title = t(
    ruleId
      ? kind === "trigger"
        ? "rules.editTrigger"
        : "rules.editTimeRule"
      : kind === "trigger"
        ? "rules.newTrigger"
        : "rules.newTimeRule",
  );
  const actionRows = Math.min(10, Math.max(3, v.actions.length + 1));
  const actionTypes = labelled(ACTION_KEYS, t);
  const recipients = labelled(RECIPIENT_KEYS, t);
  return (
    <Layout ctx={ctx} title={title}>
      <section>
        <h1>{title}</h1>
        <form
          method="post"
          action={ruleId ? `/admin/rules/${ruleId}` : "/admin/rules"}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="kind" value={kind} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="name" label={t("rules.name")}>
            {(a) => (
              <input {...a} name="name" value={ruleName(v.name, t)} maxLength={200} required />
            )}
          </Field>
          <div class="field checkbox">
            <input
              id="field-enabled"
              type="checkbox"
              name="enabled"
              value="true"
              checked={v.enabled}
            />
            <label for="field-enabled">{t("rules.enabled")}</label>
          </div>
          {kind === "trigger" ? (
            <Field form={form} name="event" label={t("rules.when")}>
              {(a) => (
                <select {...a} name="event">
                  <Options
                    options={labelled(EVENT_KEYS, t)}
                    selected={v.event}
                    blank={t("rules.choose")}
                  />
                </select>
              )}
            </Field>
          ) : (
            <fieldset>
              <legend>{t("rules.when")}</legend>
              <Field form={form} name="clock" label={t("rules.clock")}>
                {(a) => (
                  <select {...a} name="clock">
                    <Options
                      options={labelled(CLOCK_KEYS, t)}
                      selected={v.clock}
                      blank={t("rules.choose")}
                    />
                  </select>
                )}
              </Field>
              <Field form={form} name="hours" label={t("rules.hours")}>
                {(a) => <input {...a} name="hours" inputMode="numeric" value={v.hours} />}
              </Field>
            </fieldset>
          )}
          <ConditionsFieldset
            form={form}
            match={v.match}
            conditions={v.conditions}
            hint={t("rules.valuesHint")}
            t={t}
          />
          <fieldset>
            <legend>{t("rules.then")}</legend>
            {Array.from({ length: actionRows }, (_, i) => {
              const row = v.actions[i] ?? {
                type: "",
                value: "",
                to: "",
                address: "",
                subject: "",
                body: "",
              };
              const at = `actions.${i}`;
              return (
                <fieldset class="rule-row">
                  <legend class="visually-hidden">{t("rules.actionN", { n: i + 1 })}</legend>
                  <Cell
                    form={form}
                    name={`${at}.type`}
                    label={t("rules.actionType")}
                    names={actionTypes}
                  >
                    {(a) => (
                      <select {...a} name={`${at}.type`}>
                        <Options
                          options={actionTypes}
                          selected={row.type}
                          blank={t("rules.none")}
                        />
                      </select>
                    )}
                  </Cell>
                  <Cell form={form} name={`${at}.value`} label={t("rules.actionValue")}>
                    {(a) => <input {...a} name={`${at}.value`} value={row.value} />}
                  </Cell>
                  <Cell form={form} name={`${at}.to`} label={t("rules.mailTo")} names={recipients}>
                    {(a) => (
                      <select {...a} name={`${at}.to`}>
                        <Options
                          options={recipients}
                          selected={row.to}
                          blank={t("rules.notAMail")}
                        />
                      </select>
                    )}
                  </Cell>
                  <Cell form={form} name={`${at}.address`} label={t("rules.address")}>
                    {(a) => (
                      <input {...a} type="email" name={`${at}.address`} value={row.address} />
                    )}
                  </Cell>
                  <Cell form={form} name={`${at}.subject`} label={t("rules.mailSubject")}>
                    {(a) => <input {...a} name={`${at}.subject`} value={row.subject} />}
                  </Cell>
                  <Cell form={form} name={`${at}.body`} label={t("rules.body")}>
                    {(a) => (
                      <textarea {...a} name={`${at}.body`} rows={3}>
                        {row.body}
                      </textarea>
                    )}
                  </Cell>
                </fieldset>
              );
            })}
            <p class="hint">
              {ctx.i18n.rich("fields.actions.hint", { example: <code>product=Printer</code> })}
            </p>
            <p class="hint">
              {ctx.i18n.rich("rules.placeholders", {
                list: (Object.keys(PLACEHOLDER_KEYS) as Placeholder[]).map((name, i) => (
                  <>
                    {i > 0 && t("rules.placeholderSeparator")}
                    {ctx.i18n.rich("rules.placeholder", {
                      code: <code>{`{{${name}}}`}</code>,
                      what: t(PLACEHOLDER_KEYS[name]),
                    })}
                  </>
                )),
              })}
            </p>
          </fieldset>
          <button type="submit" class="primary">
            {t("rules.save")}
          </button>
        </form>
        {ruleId && (
          <form method="post" action={`/admin/rules/${ruleId}/delete`} class="stack">
            <Csrf token={ctx.csrfToken} />
            <button type="submit" class="danger">
              {t("rules.delete")}
            </button>
          </form>
        )}
        <p>
          <a href="/admin/rules">{t("rules.back")}</a>
        </p>
      </section>
    </Layout>
  );
}

export function PreviewPage({
  ctx,
  rule,
  looked,
  matched,
}: {
  ctx: PageContext;
  rule: Rule;
  looked: number;
  matched: { id: number; title: string; status: Status; createdAt: Date }[];
}) {
  const { t } = ctx.i18n;
  const title = t("rules.previewTitle", { rule: ruleName(rule.name, t) });
  return (
    <Layout ctx={ctx} title={title}>
      <section>
        <h1>{title}</h1>
        <p class="preview-count">
          {t(rule.kind === "automation" ? "rules.previewCountAutomation" : "rules.previewCount", {
            matched: matched.length,
            looked,
          })}
        </p>
        {matched.length > 0 && (
          <ul class="preview">
            {matched.map((ticket) => (
              <li>
                <a href={`/tickets/${ticket.id}`}>
                  #{ticket.id} {ticket.title}
                </a>{" "}
                ({statusLabel(ticket.status, t)}) <Time date={ticket.createdAt} />
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href={`/admin/rules/${rule.id}`}>{t("rules.edit")}</a> ·{" "}
          <a href="/admin/rules">{t("rules.back")}</a>
        </p>
      </section>
    </Layout>
  );
}
