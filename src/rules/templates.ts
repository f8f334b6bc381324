import { escapeHtml } from "../lib/html.ts";
/**
 * Mail and note templates with placeholders such as `{{ticket.title}}`. Pure.
 * The set of placeholders is closed: a rule naming another one is refused when
 * it is saved (see `unknownPlaceholders`), never rendered half-filled.
 */

/** The placeholders there are (what each stands for is in the catalogs, for the rule form). */
export const PLACEHOLDERS = [
  "ticket.id",
  "ticket.title",
  "ticket.status",
  "ticket.priority",
  "ticket.url",
  "requester.name",
  "requester.email",
  "agent.name",
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Record<Placeholder, string>;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** The placeholders in `template` that do not exist, in order of appearance. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? "")
    .filter((name) => !isPlaceholder(name));
}

/** Fills in the placeholders as plain text. */
export function renderText(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    isPlaceholder(name) ? values[name] : whole,
  );
}

/**
 * The template as HTML: the admin's text and every placeholder value are
 * escaped (a customer named `<script>` is shown, never run); line breaks
 * become paragraphs and breaks.
 */
export function renderHtml(template: string, values: TemplateValues): string {
  let html = "";
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? "";
    html += escapeHtml(template.slice(last, m.index));
    html += escapeHtml(isPlaceholder(name) ? values[name] : m[0]);
    last = m.index + m[0].length;
  }
  html += escapeHtml(template.slice(last));
  return html
    .split(/\r?\n\s*\r?\n/)
    .map((p) => `<p>${p.replace(/\r?\n/g, "<br>")}</p>`)
    .join("\n");
}
