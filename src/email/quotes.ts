import { REPLY_ABOVE } from "./compose.ts";

/**
 * Cuts quoted history from a reply, so a ticket shows what the person wrote
 * rather than the whole conversation again (the full original is kept raw).
 * Pure and conservative: when nothing looks like history, the text is unchanged.
 */

// Where history starts, each a whole line.
const HISTORY_STARTS: RegExp[] = [
  // Gmail, Apple Mail, Thunderbird: "On Tue, 3 Mar 2026 at 10:00, Ann <ann@x> wrote:"
  /^On\b.{0,300}\bwrote:\s*$/i,
  /^Am\b.{0,300}\bschrieb.{0,100}:\s*$/i,
  /^Le\b.{0,300}\ba écrit\s*:\s*$/i,
  // Outlook
  /^-{2,}\s*Original Message\s*-{2,}\s*$/i,
  /^_{10,}\s*$/,
  // Forwards count as history too once someone replies above them.
  /^-{2,}\s*Forwarded message\s*-{2,}\s*$/i,
];

/** The text above our reply marker / the first quoted-history line, trailing blanks removed. */
export function trimQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    const unquoted = line.replace(/^(>\s?)+/, "");
    if (unquoted.includes(REPLY_ABOVE)) {
      end = i;
      break;
    }
    // "On ... wrote:" may wrap onto two lines in some clients.
    const joined = `${line} ${(lines[i + 1] ?? "").trim()}`;
    // Outlook's header block: "From: ..." then "Sent: ..." (or "Date: ...").
    const outlookBlock =
      /^From:\s/i.test(line) && /^(Sent|Date):\s/i.test((lines[i + 1] ?? "").trim());
    const startsHistory =
      outlookBlock ||
      HISTORY_STARTS.some((re) => re.test(line)) ||
      (i + 1 < lines.length && /^On\b/i.test(line) && HISTORY_STARTS[0]?.test(joined));
    // A block of ">" lines running to the end (only blanks after) is history as well.
    const restQuoted =
      line.startsWith(">") &&
      lines.slice(i).every((l) => l.trim() === "" || l.trim().startsWith(">"));
    if ((startsHistory && i > 0) || restQuoted) {
      end = i;
      break;
    }
  }
  const kept = lines.slice(0, end);
  while (kept.length > 0 && (kept.at(-1) ?? "").trim() === "") kept.pop();
  const result = kept.join("\n").trim();
  return result === "" ? text.trim() : result;
}
