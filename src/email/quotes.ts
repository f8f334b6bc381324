import { hasReplyAbove } from "./compose.ts";

/**
 * Splits a reply into what the person wrote and the quoted history below it,
 * so a ticket shows the new text while nothing is lost: the history is kept and
 * shown behind "Show quoted text". Pure and conservative: when nothing looks
 * like history, all of the text is visible.
 *
 * Measured on test/fixtures/replies (clients and languages named in issue 16);
 * src/email/quotes.test.ts holds the threshold, quotes.compare.ts the libraries
 * it was compared with.
 */

export interface SplitReply {
  /** What the ticket shows. */
  visible: string;
  /** What was trimmed (history, the client's "Sent from" line); undefined when nothing was. */
  quoted: string | undefined;
  /** Index of the line where a forwarded message starts (kept whole), if any. */
  forwardAt: number | undefined;
  /** The lines of `visible`, for callers that format a forward. */
  lines: string[];
}

// Words introducing an attribution ("On ... wrote:") in the languages customers write in.
const WROTE =
  /(?:^|[\s,])(wrote|writes|schrieb|a écrit|ha scritto|schreef|het volgende geschreven|pisze|napisał\(a\)|napisała|napisał|escreveu|escribió|skrev|kirjoitti|написал\(а\)|написала|написал|пишет|yazdı)(?=[\s:-]|$)/iu;
const LEADS =
  /^(?:-{2,}\s*)?(on|am|le|il|il giorno|op|w dniu|em|el|den|en date de|dne|в|el día)\b/i;
const DATEISH = /\b(19|20)\d{2}\b|\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b/;
// mail.ru, Yandex and Gmail in Russian: `date, "Name" <email>:` with no verb.
const ENDS_WITH_ADDRESS = /(@[^\s<>()[\]]+[>)\]]?|[>)\]])\s*:$/;

const SEPARATOR =
  /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|messaggio originale|oorspronkelijk bericht|исходное сообщение|wiadomość oryginalna|mensaje original|mensagem original|opprinnelig melding|alkuperäinen viesti|originalmeddelande|oprindelig meddelelse|původní zpráva)\s*-{2,}$/i;
const FORWARD_SEPARATOR =
  /^(?:[-=]{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|messaggio inoltrato|doorgestuurd bericht|пересылаемое сообщение|wiadomość przekazana dalej|mensagem encaminhada|mensaje reenviado|videresendt melding|vidarebefordrat meddelande|välitetty viesti)\s*[-=]{2,}|(begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|inizio messaggio inoltrato|begin doorgestuurd bericht|начало переадресованного сообщения)\s*:)$/i;
const FORWARD_SUBJECT =
  /^\s*(fwd?|wg|tr|rv|i|enc|doorst|vs|vb|vl|pd|пересл|переслано)\s*(\[\d+\])?\s*:/i;

// Outlook-style header blocks, in the languages Outlook writes them.
const H = (names: string) => new RegExp(`^\\*{0,2}(${names})\\s*:\\*{0,2}(\\s|$)`, "i");
const FROM_HEADER = H("from|von|de|da|van|от|od|fra|från|lähettäjä|frå");
const SENT_HEADER = H(
  "sent|date|gesendet|datum|envoyé|inviato|data|verzonden|отправлено|дата|wysłano|enviado|enviado el|sendt|skickat|lähetetty",
);
const OTHER_HEADER = H(
  "to|an|à|a|aan|кому|do|til|till|vastaanottaja|para|pour|cc|kopie|subject|betreff|objet|oggetto|ogg|onderwerp|тема|temat|emne|ämne|aihe|asunto|assunto|sujet",
);
const RULE = /^(_{10,}|-{20,})$/;

// Client noise just above the history: trimmed with it, never on its own.
const NOISE =
  /^(sent from my \w+|sent from (yahoo )?mail (on|for) \w+|get outlook for (ios|android)\S*|von meinem \w+ gesendet|envoyé de mon \w+|inviato da( il mio)? \w+|verstuurd vanaf mijn \w+|verzonden vanaf mijn \w+|отправлено с \w+|enviado do meu \w+|enviado desde mi \w+|sendt fra min \w+|skickat från min \w+|lähetetty \w+-laitteesta|wysłane z( mojego)? \S+)\b.*$/i;

const isQuoted = (line: string) => line.trimStart().startsWith(">");
const isBlank = (line: string | undefined) => (line ?? "").trim() === "";

/** Whether an Outlook header block (From, Sent/Date, and To or Subject) starts at `i`. */
function headerBlockAt(lines: string[], i: number): boolean {
  const first = (lines[i] ?? "").trim();
  const isFrom = FROM_HEADER.test(first);
  // web.de and GMX put "Gesendet:" first.
  if (!isFrom && !SENT_HEADER.test(first)) return false;
  let from = isFrom;
  let sent = !isFrom;
  let other = 0;
  // A wrapped From line means the next headers may be a line further down.
  for (let j = i + 1; j < Math.min(lines.length, i + 6); j++) {
    const line = (lines[j] ?? "").trim();
    if (line === "") break;
    if (FROM_HEADER.test(line)) from = true;
    else if (SENT_HEADER.test(line)) sent = true;
    else if (OTHER_HEADER.test(line)) other++;
  }
  return from && sent && other > 0;
}

/** Where non-quoted history starts at line i: a separator, a rule over headers, or a header block. */
function historyAt(lines: string[], i: number): "history" | "forward" | undefined {
  const line = (lines[i] ?? "").trim();
  if (FORWARD_SEPARATOR.test(line)) return "forward";
  if (SEPARATOR.test(line)) return "history";
  if (RULE.test(line)) {
    let j = i + 1;
    while (j < lines.length && isBlank(lines[j])) j++;
    return headerBlockAt(lines, j) ? "history" : undefined;
  }
  return headerBlockAt(lines, i) ? "history" : undefined;
}

/** An attribution ending on line `end` (wrapped over up to three lines): its first line, if any. */
function attributionEndingAt(
  lines: string[],
  end: number,
  nextLine: (i: number) => string | undefined,
): number | undefined {
  const last = (lines[end] ?? "").trim().replace(/^>\s?/, "");
  if (last.length > 400 || !/(:|wrote|-{2,}|\S\s{2,}\S.*)$/i.test(last)) return undefined;
  const nextQuoted = isQuoted(nextLine(end) ?? "");
  for (let k = 0; k <= 2 && end - k >= 0; k++) {
    const part = lines.slice(end - k, end + 1).map((l) => l.trim().replace(/^>\s?/, ""));
    if (part.some((l) => l === "")) return undefined;
    const text = part.join(" ");
    if (text.length > 400 || !DATEISH.test(text)) continue;
    const hasAddress = text.includes("@");
    const wrote = WROTE.exec(text);
    if (wrote) {
      const rest = text.slice(wrote.index + wrote[0].length);
      // Zoho closes with "----"; Yahoo puts the quoted text on the same line after a few spaces.
      // Verb-first languages end with the name ("schrieb Ann <a@x>:"), Finnish with the date.
      const closes =
        /^\s*:?\s*(-{2,})?\s*$/.test(rest) || (rest.length <= 150 && /:\s*(-{2,})?\s*$/.test(rest));
      const yahoo = hasAddress && /^[^:]{0,150}:\s{2,}\S/.test(rest);
      if ((closes || yahoo) && (hasAddress || nextQuoted || LEADS.test(text))) return end - k;
      continue;
    }
    // `02.03.2026, 10:00, "Ann" <ann@x>:` (mail.ru, Yandex, Gmail in Russian) needs a date too.
    if (
      hasAddress &&
      ENDS_WITH_ADDRESS.test(text) &&
      /\b\d{1,2}[:.]\d{2}\b|\b(19|20)\d{2}\b/.test(text)
    ) {
      return end - k;
    }
  }
  return undefined;
}

function trimBlankEdges(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && isBlank(lines[a])) a++;
  while (b > a && isBlank(lines[b - 1])) b--;
  return lines.slice(a, b);
}

/** Splits a mail's text into the visible reply and the quoted history (see the file comment). */
export function splitReply(
  text: string,
  options: { subject?: string | undefined } = {},
): SplitReply {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const isForwardSubject = FORWARD_SUBJECT.test(options.subject ?? "");
  // The next non-blank line after each line, found once (mail can be long).
  const nextIndex = new Array<number>(lines.length + 1).fill(-1);
  for (let i = lines.length - 1; i >= 0; i--) {
    nextIndex[i] = isBlank(lines[i + 1])
      ? (nextIndex[i + 1] ?? -1)
      : i + 1 < lines.length
        ? i + 1
        : -1;
  }
  const nextLine = (i: number) => {
    const j = nextIndex[i] ?? -1;
    return j < 0 ? undefined : lines[j];
  };
  // Lines of a ">" quote: the quoted lines and the attribution above them.
  const quote = lines.map(isQuoted);
  let cut = lines.length;
  let forwardAt: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (isQuoted(line)) continue;
    if (hasReplyAbove(line)) {
      cut = attributionEndingAt(lines, i, nextLine) ?? i;
      break;
    }
    const history = historyAt(lines, i);
    if (history === "forward" || (history === "history" && isForwardSubject)) {
      forwardAt = i;
      break;
    }
    if (history === "history") {
      cut = i;
      break;
    }
    const start = attributionEndingAt(lines, i, nextLine);
    if (start === undefined) continue;
    const next = nextLine(i);
    if (next !== undefined && isQuoted(next)) {
      for (let j = start; j <= i; j++) quote[j] = true;
    } else {
      cut = start;
      break;
    }
  }

  // Runs of reply text and of quote before the cut, blank lines ignored.
  const runs: { quoted: boolean; from: number; to: number }[] = [];
  for (let i = 0; i < cut; i++) {
    if (isBlank(lines[i])) continue;
    const q = quote[i] ?? false;
    const lastRun = runs.at(-1);
    if (lastRun && lastRun.quoted === q) lastRun.to = i;
    else runs.push({ quoted: q, from: i, to: i });
  }
  const kept = lines.map(() => false);
  const keep = (from: number, to: number) => {
    for (let i = from; i <= to; i++) kept[i] = true;
  };
  const quoteRuns = runs.filter((r) => r.quoted);
  const textRuns = runs.filter((r) => !r.quoted);
  if (quoteRuns.length === 0 || textRuns.length === 0) keep(0, cut - 1);
  else if (quoteRuns.length === 1 && runs[0]?.quoted) {
    // Bottom-posting: the quote first, the reply below it.
    keep((runs[0]?.to ?? 0) + 1, cut - 1);
  } else {
    // Top-posting or interleaved: everything up to the last reply line.
    keep(0, textRuns.at(-1)?.to ?? -1);
  }

  // The client's "Sent from my iPhone" right above the history goes with it
  // (below a bottom-posted reply, with nothing trimmed after it, it stays).
  const trimmedAfter = (i: number) => lines.some((l, j) => j > i && !kept[j] && !isBlank(l));
  if (forwardAt === undefined) {
    for (;;) {
      let last = kept.lastIndexOf(true);
      while (last >= 0 && isBlank(lines[last])) last--;
      const firstKept = kept.indexOf(true);
      if (last <= firstKept || !trimmedAfter(last) || !NOISE.test((lines[last] ?? "").trim()))
        break;
      for (let j = last; j < lines.length; j++) kept[j] = false;
    }
  }

  const visibleLines = trimBlankEdges(lines.filter((_, i) => kept[i]));
  if (visibleLines.length === 0) {
    const all = trimBlankEdges(lines);
    return { visible: all.join("\n").trim(), quoted: undefined, forwardAt: undefined, lines: all };
  }
  // What was removed, part by part, a blank line between parts.
  const parts: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const part = trimBlankEdges(current);
    if (part.length > 0) parts.push(part.join("\n"));
    current = [];
  };
  lines.forEach((l, i) => {
    if (kept[i]) flush();
    else current.push(l);
  });
  flush();
  const forwardLine = forwardAt === undefined ? -1 : visibleLines.indexOf(lines[forwardAt] ?? "");
  return {
    visible: visibleLines.join("\n").trim(),
    quoted: parts.length > 0 ? parts.join("\n\n") : undefined,
    forwardAt: forwardLine === -1 ? undefined : forwardLine,
    lines: visibleLines,
  };
}

/** The visible part of a reply (see splitReply). */
export function trimQuoted(text: string, subject?: string): string {
  return splitReply(text, { subject }).visible;
}

/**
 * A forwarded mail as Markdown: the sender's note, then the forwarded message
 * (its From, Date and Subject lines included) as one quoted block.
 */
export function quoteForward(lines: string[], at: number): string {
  const note = trimBlankEdges(lines.slice(0, at));
  const forwarded = trimBlankEdges(lines.slice(at)).map((l) => (l.trim() === "" ? ">" : `> ${l}`));
  return [...note, ...(note.length > 0 ? [""] : []), ...forwarded].join("\n");
}
