const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/**
 * The only way a URL built from user data reaches an `href` or `src`: allows
 * http, https, mailto and relative URLs; anything else (javascript:, data:, ...)
 * becomes "#". Escaping alone does not make a URL safe.
 */
export function safeHref(url: string): string {
  const trimmed = url.trim();
  // Control characters and whitespace inside a scheme are how filters get bypassed.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return "#";
  try {
    const parsed = new URL(trimmed, "http://relative.invalid");
    if (parsed.origin === "http://relative.invalid" && !/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) {
      return trimmed.startsWith("//") ? "#" : trimmed;
    }
    return SAFE_PROTOCOLS.has(parsed.protocol) ? trimmed : "#";
  } catch {
    return "#";
  }
}

/**
 * A redirect target from user input (`next=`): only a local path is accepted,
 * never another origin (`//evil`, `/\evil`, `https://evil`).
 */
export function localPath(next: unknown, fallback: string): string {
  if (typeof next !== "string" || !next.startsWith("/")) return fallback;
  if (next.startsWith("//") || next.startsWith("/\\")) return fallback;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  return next;
}
