/**
 * Placeholders in canned replies: `{{requester.name}}` and the like, found when
 * a canned reply is saved (unknown names are refused) and filled in when it is
 * inserted into a reply. Pure; where the values come from is the service's
 * (its placeholder sources).
 */
import { escapeMarkdown } from "../lib/markdown.ts";

/** The built-in placeholders, in the order the help text lists them. */
export const BUILT_IN_PLACEHOLDERS = [
  "requester.name",
  "requester.email",
  "ticket.id",
  "ticket.title",
  "agent.name",
] as const;

/** `{{ name }}`, spaces inside the braces allowed. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names in `body`, each once, in order of appearance. */
export function placeholdersIn(body: string): string[] {
  return [...new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""))];
}

/**
 * `body` with each placeholder that has a value replaced by it, escaped so the
 * value reads as plain text in the Markdown reply (a name like
 * `[x](https://evil.test)` stays text, never a link); one without a value stays
 * as it was written, for the agent to see and fix.
 */
export function fillPlaceholders(body: string, values: ReadonlyMap<string, string>): string {
  return body.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values.get(name);
    return value === undefined ? whole : escapeMarkdown(value);
  });
}

/** A draft with a canned reply added at its end, after a blank line (the draft is kept). */
export function appendToDraft(draft: string, text: string): string {
  const kept = draft.replace(/\s+$/, "");
  return kept === "" ? text : `${kept}\n\n${text}`;
}
