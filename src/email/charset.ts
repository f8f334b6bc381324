import chardet from "chardet";
import iconv from "iconv-lite";

/**
 * Repairs what mail clients get wrong before a message is parsed (the stored
 * raw message is never changed):
 * - 8-bit text that declares no charset (or only US-ASCII) and is not UTF-8:
 *   its charset is detected (chardet) and declared, instead of U+FFFD;
 * - raw 8-bit header bytes that are not UTF-8: converted to UTF-8 from the
 *   detected charset;
 * - a base64 transfer encoding over a body that is plainly not base64: the
 *   body is read as it is instead of decoding to nothing.
 * Works on the message as a "binary" (latin1) string so that bytes map 1:1.
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(binary: string): boolean {
  try {
    utf8.decode(Buffer.from(binary, "latin1"));
    return true;
  } catch {
    return false;
  }
}

const has8bit = (binary: string) => /[\u0080-\u00ff]/.test(binary);

/** The charset of 8-bit text that is not UTF-8, as iconv-lite names it; undefined when unsure. */
export function detectCharset(bytes: Buffer): string | undefined {
  const name = chardet.detect(bytes);
  if (!name || /^(utf-8|ascii|us-ascii)$/i.test(name)) return undefined;
  // ISO-8859-1 text is almost always Windows-1252 (curly quotes, dashes, the euro sign).
  return name.toUpperCase() === "ISO-8859-1" ? "windows-1252" : name.toLowerCase();
}

/** Bytes in `charset` as text; undefined for a charset iconv-lite does not know. */
function decodeAs(charset: string, bytes: Buffer): string | undefined {
  // Not TextDecoder: Node's maps windows-1252's 0x80-0x9f (curly quotes, the euro) to controls.
  return iconv.encodingExists(charset) ? iconv.decode(bytes, charset) : undefined;
}

interface Entity {
  header: string;
  separator: string;
  body: string;
}

function splitEntity(binary: string): Entity {
  const match = /\r?\n\r?\n/.exec(binary);
  if (!match) return { header: binary, separator: "", body: "" };
  return {
    header: binary.slice(0, match.index),
    separator: match[0],
    body: binary.slice(match.index + match[0].length),
  };
}

function headerValue(header: string, name: string): string | undefined {
  const unfolded = header.replace(/\r?\n[ \t]+/g, " ");
  return new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(unfolded)?.[1]?.trim();
}

/** Replaces (or adds) one header field, keeping the rest of the block as it is. */
function setHeader(header: string, name: string, value: string): string {
  const field = new RegExp(`^${name}:.*(\\r?\\n[ \\t].*)*`, "im");
  if (field.test(header)) return header.replace(field, `${name}: ${value}`);
  const eol = header.includes("\r\n") ? "\r\n" : "\n";
  return `${header}${eol}${name}: ${value}`;
}

function repairEntity(binary: string, depth: number): string {
  const { header, separator, body } = splitEntity(binary);
  const contentType = headerValue(header, "content-type") ?? "text/plain";
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  if (type.startsWith("multipart/") && depth < 20) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) return binary;
    const delimiter = new RegExp(
      `(^|\\r?\\n)(--${b.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:--)?[ \\t]*)(?=\\r?\\n|$)`,
    );
    const pieces = body.split(delimiter);
    // split() with two groups: [preamble, eol, delimiter, part, eol, delimiter, ...]
    let out = pieces[0] ?? "";
    for (let i = 1; i < pieces.length; i += 3) {
      const eol = pieces[i] ?? "";
      const line = pieces[i + 1] ?? "";
      const part = pieces[i + 2] ?? "";
      const isLast = line.trimEnd().endsWith("--");
      // A part starts after its delimiter line's own line break.
      const lead = /^\r?\n/.exec(part)?.[0] ?? "";
      out += eol + line + (isLast ? part : lead + repairEntity(part.slice(lead.length), depth + 1));
    }
    return header + separator + out;
  }
  if (!type.startsWith("text/") && headerValue(header, "content-type") !== undefined) {
    return binary;
  }
  let next = header;
  const nextBody = body;
  const encoding = (headerValue(header, "content-transfer-encoding") ?? "").toLowerCase();
  if (encoding === "base64" && /[^A-Za-z0-9+/=\s]/.test(body)) {
    next = setHeader(next, "Content-Transfer-Encoding", "8bit");
  } else if (encoding === "base64" || encoding === "quoted-printable") {
    return binary;
  }
  const declared = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if ((!declared || declared === "us-ascii") && has8bit(nextBody) && !isUtf8(nextBody)) {
    const detected = detectCharset(Buffer.from(nextBody, "latin1"));
    if (detected && decodeAs(detected, Buffer.alloc(0)) !== undefined) {
      const base = declared
        ? contentType.replace(/;?\s*charset\s*=\s*"?[^";\s]+"?/i, "")
        : contentType;
      next = setHeader(next, "Content-Type", `${base.trim() || "text/plain"}; charset=${detected}`);
    }
  }
  return next + separator + nextBody;
}

/**
 * The message bytes to parse: `raw` with undeclared charsets declared, 8-bit
 * headers in UTF-8, and impossible base64 read as plain text. `raw` itself is
 * returned when nothing needs repairing.
 */
export function repairForParsing(raw: Buffer): Buffer {
  try {
    return repair(raw);
  } catch {
    return raw; // a repair never stands between a message and the parser
  }
}

function repair(raw: Buffer): Buffer {
  const binary = raw.toString("latin1");
  if (!has8bit(binary) && !/content-transfer-encoding:\s*base64/i.test(binary)) return raw;
  const { header, separator, body } = splitEntity(binary);
  let top = header;
  if (has8bit(header) && !isUtf8(header)) {
    // Header bytes are few, and mostly ASCII field names: an 8-bit body says more.
    const sample =
      has8bit(body) && !isUtf8(body)
        ? body
        : header
            .split(/\r?\n/)
            .filter(has8bit)
            .map((l) => l.replace(/^[\w-]+:\s*/, ""))
            .join("\n");
    const detected = detectCharset(Buffer.from(sample, "latin1"));
    if (detected) {
      const text = decodeAs(detected, Buffer.from(header, "latin1"));
      if (text !== undefined) top = Buffer.from(text, "utf8").toString("latin1");
    }
  }
  const repaired = repairEntity(top + separator + body, 0);
  return repaired === binary ? raw : Buffer.from(repaired, "latin1");
}
