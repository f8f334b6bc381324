import type { ComponentChildren } from "preact";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldError,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import {
  ACTION_TYPES,
  CLOCKS,
  CONDITION_FIELDS,
  CONDITIONS_MAX,
  type Condition,
  type ConditionField,
  type ConditionOp,
  MAIL_RECIPIENTS,
  type Match,
  OP_LABELS,
  type Rule,
  type RuleForm,
  type RuleKind,
  TRIGGER_EVENTS,
} from "../rules.schemas.ts";
import { PLACEHOLDERS } from "../templates.ts";

export interface Failure {
  id: number;
  ruleId: number;
  ruleName: string;
  ticketId: number | null;
  reason: string;
  createdAt: Date;
}

const KIND_TITLES: Record<RuleKind, string> = { trigger: "Triggers", automation: "Time rules" };

/** Conditions in words ("channel is email and subject contains refund"); values as stored. */
export function describeConditions(match: Match, conditions: readonly Condition[]): string {
  return conditions
    .map(
      (c) =>
        `${CONDITION_FIELDS[c.field].label.toLowerCase()} ${OP_LABELS[c.op]} ${c.value ?? "none"}`,
    )
    .join(match === "all" ? " and " : " or ");
}

function describeRule(rule: Rule): string {
  if (rule.kind === "trigger") {
    return `When: ${rule.event ? TRIGGER_EVENTS[rule.event] : "?"}`;
  }
  return `${rule.clock ? CLOCKS[rule.clock] : "?"}: ${rule.hours ?? "?"}`;
}

function RuleTable({ ctx, kind, rules }: { ctx: PageContext; kind: RuleKind; rules: Rule[] }) {
  return (
    <section>
      <div class="page-head">
        <h2>{KIND_TITLES[kind]}</h2>
        <a href={`/admin/rules/new?kind=${kind}`} class="button">
          {kind === "trigger" ? "New trigger" : "New time rule"}
        </a>
      </div>
      {rules.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table class="rules">
          <caption class="visually-hidden">{KIND_TITLES[kind]}, in the order they run</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Name</th>
              <th scope="col">Runs</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((rule, i) => (
              <tr>
                <td>{i + 1}</td>
                <td>
                  <a href={`/admin/rules/${rule.id}`}>{rule.name}</a>
                </td>
                <td>{describeRule(rule)}</td>
                <td>{rule.enabled ? "Enabled" : "Disabled"}</td>
                <td class="inline-forms">
                  <form method="post" action={`/admin/rules/${rule.id}/move`}>
                    <Csrf token={ctx.csrfToken} />
                    <input type="hidden" name="direction" value="up" />
                    <button type="submit" disabled={i === 0} aria-label={`Move ${rule.name} up`}>
                      Up
                    </button>
                  </form>
                  <form method="post" action={`/admin/rules/${rule.id}/move`}>
                    <Csrf token={ctx.csrfToken} />
                    <input type="hidden" name="direction" value="down" />
                    <button
                      type="submit"
                      disabled={i === rules.length - 1}
                      aria-label={`Move ${rule.name} down`}
                    >
                      Down
                    </button>
                  </form>
                  <form method="post" action={`/admin/rules/${rule.id}/enabled`}>
                    <Csrf token={ctx.csrfToken} />
                    <input type="hidden" name="enabled" value={rule.enabled ? "false" : "true"} />
                    <button type="submit">{rule.enabled ? "Disable" : "Enable"}</button>
                  </form>
                  <a href={`/admin/rules/${rule.id}/preview`}>Preview</a>
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
  return (
    <Layout ctx={ctx} title="Rules">
      <h1>Rules</h1>
      <p>
        Triggers act when something happens to a ticket; time rules when a ticket has waited a
        number of hours. Each runs in the order shown, as the Automation account.
      </p>
      <RuleTable ctx={ctx} kind="trigger" rules={rules.trigger} />
      <RuleTable ctx={ctx} kind="automation" rules={rules.automation} />
      <section>
        <h2>Recent problems</h2>
        {failures.length === 0 ? (
          <p>No rule was refused lately.</p>
        ) : (
          <ul class="rule-failures">
            {failures.map((f) => (
              <li>
                <a href={`/admin/rules/${f.ruleId}`}>{f.ruleName}</a>
                {f.ticketId !== null && (
                  <>
                    {" on "}
                    <a href={`/tickets/${f.ticketId}`}>#{f.ticketId}</a>
                  </>
                )}
                : {f.reason} <Time date={f.createdAt} />
              </li>
            ))}
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

/** A small input with its label and error, named like `conditions.0.value`. */
function Cell({
  form,
  name,
  label,
  children,
}: {
  form: FormState<unknown>;
  name: string;
  label: string;
  children: (a: { id: string; "aria-invalid"?: "true" }) => ComponentChildren;
}) {
  const id = `field-${name}`;
  const error = fieldError(form, name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id}>{label}</label>
      {children({ id, ...(error ? { "aria-invalid": "true" as const } : {}) })}
      {error && <p class="error">{`${label} ${error}`}</p>}
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
}: {
  form: FormState<unknown>;
  match: string;
  conditions: readonly { field: string; op: string; value: string }[];
  fields?: readonly ConditionField[];
  hint: string;
}) {
  const rows = Math.min(CONDITIONS_MAX, Math.max(3, conditions.length + 2));
  const labels = Object.fromEntries(fields.map((f) => [f, CONDITION_FIELDS[f].label]));
  return (
    <fieldset>
      <legend>If</legend>
      <Field form={form} name="match" label="Match">
        {(a) => (
          <select {...a} name="match">
            <Options
              options={{ all: "All of these conditions", any: "Any of these conditions" }}
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
            <legend class="visually-hidden">{`Condition ${i + 1}`}</legend>
            <Cell form={form} name={`${at}.field`} label="Field">
              {(a) => (
                <select {...a} name={`${at}.field`}>
                  <Options options={labels} selected={row.field} blank="(none)" />
                </select>
              )}
            </Cell>
            <Cell form={form} name={`${at}.op`} label="Operator">
              {(a) => (
                <select {...a} name={`${at}.op`}>
                  <Options options={OP_LABELS as Record<ConditionOp, string>} selected={row.op} />
                </select>
              )}
            </Cell>
            <Cell form={form} name={`${at}.value`} label="Value">
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
  const v = form.values;
  const kind = v.kind === "automation" ? "automation" : "trigger";
  const title = ruleId
    ? `Edit ${kind === "trigger" ? "trigger" : "time rule"}`
    : kind === "trigger"
      ? "New trigger"
      : "New time rule";
  const actionRows = Math.min(10, Math.max(3, v.actions.length + 1));
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
          <FormErrors form={form} />
          <Field form={form} name="name" label="Name">
            {(a) => <input {...a} name="name" value={v.name} maxLength={200} required />}
          </Field>
          <div class="field checkbox">
            <input
              id="field-enabled"
              type="checkbox"
              name="enabled"
              value="true"
              checked={v.enabled}
            />
            <label for="field-enabled">Enabled</label>
          </div>
          {kind === "trigger" ? (
            <Field form={form} name="event" label="When">
              {(a) => (
                <select {...a} name="event">
                  <Options options={TRIGGER_EVENTS} selected={v.event} blank="Choose..." />
                </select>
              )}
            </Field>
          ) : (
            <fieldset>
              <legend>When</legend>
              <Field form={form} name="clock" label="Clock">
                {(a) => (
                  <select {...a} name="clock">
                    <Options options={CLOCKS} selected={v.clock} blank="Choose..." />
                  </select>
                )}
              </Field>
              <Field form={form} name="hours" label="Hours">
                {(a) => <input {...a} name="hours" inputMode="numeric" value={v.hours} />}
              </Field>
            </fieldset>
          )}
          <ConditionsFieldset
            form={form}
            match={v.match}
            conditions={v.conditions}
            hint={
              'Values: a status (new, open, pending, solved, closed), a priority (low, normal, high, urgent), a channel (web, email, api), an address, a domain like bigcustomer.example, words to find, for the assignee an agent\'s address or "nobody", for the team its name or "none".'
            }
          />
          <fieldset>
            <legend>Then</legend>
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
                  <legend class="visually-hidden">{`Action ${i + 1}`}</legend>
                  <Cell form={form} name={`${at}.type`} label="Action">
                    {(a) => (
                      <select {...a} name={`${at}.type`}>
                        <Options options={ACTION_TYPES} selected={row.type} blank="(none)" />
                      </select>
                    )}
                  </Cell>
                  <Cell form={form} name={`${at}.value`} label="Status, priority, assignee or team">
                    {(a) => <input {...a} name={`${at}.value`} value={row.value} />}
                  </Cell>
                  <Cell form={form} name={`${at}.to`} label="Mail to">
                    {(a) => (
                      <select {...a} name={`${at}.to`}>
                        <Options options={MAIL_RECIPIENTS} selected={row.to} blank="(not a mail)" />
                      </select>
                    )}
                  </Cell>
                  <Cell form={form} name={`${at}.address`} label="Address">
                    {(a) => (
                      <input {...a} type="email" name={`${at}.address`} value={row.address} />
                    )}
                  </Cell>
                  <Cell form={form} name={`${at}.subject`} label="Mail subject">
                    {(a) => <input {...a} name={`${at}.subject`} value={row.subject} />}
                  </Cell>
                  <Cell form={form} name={`${at}.body`} label="Note or mail text">
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
              Placeholders in notes and mails:{" "}
              {Object.entries(PLACEHOLDERS).map(([name, what], i) => (
                <>
                  {i > 0 && ", "}
                  <code>{`{{${name}}}`}</code> ({what})
                </>
              ))}
              .
            </p>
          </fieldset>
          <button type="submit" class="primary">
            Save rule
          </button>
        </form>
        {ruleId && (
          <form method="post" action={`/admin/rules/${ruleId}/delete`} class="stack">
            <Csrf token={ctx.csrfToken} />
            <button type="submit" class="danger">
              Delete rule
            </button>
          </form>
        )}
        <p>
          <a href="/admin/rules">Back to rules</a>
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
  matched: { id: number; title: string; status: string; createdAt: Date }[];
}) {
  return (
    <Layout ctx={ctx} title={`Preview: ${rule.name}`}>
      <section>
        <h1>Preview: {rule.name}</h1>
        <p class="preview-count">
          Would have matched {matched.length} of the last {looked} tickets
          {rule.kind === "automation" ? " (conditions only, before counting hours)" : ""}.
        </p>
        {matched.length > 0 && (
          <ul class="preview">
            {matched.map((t) => (
              <li>
                <a href={`/tickets/${t.id}`}>
                  #{t.id} {t.title}
                </a>{" "}
                ({t.status}) <Time date={t.createdAt} />
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href={`/admin/rules/${rule.id}`}>Edit rule</a> ·{" "}
          <a href="/admin/rules">Back to rules</a>
        </p>
      </section>
    </Layout>
  );
}
