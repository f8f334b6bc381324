const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/**
 * The only way a URL built from user data reaches an `href` or `src`: allows
 * http, https, mailto and relative URLs; anything else (javascript:, data:, ...)
 * becomes "#". Escaping alone does not make a URL safe.
 */
export function safeHref(url: string): string {
  const trimmed = url.trim();
  // Browsers ignore control characters inside a scheme ("java\tscript:"), so refuse them.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return "#";
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  if (scheme === undefined) return trimmed; // relative: a path, query or fragment
  return SAFE_PROTOCOLS.has(`${scheme.toLowerCase()}:`) ? trimmed : "#";
}

/**
 * A redirect target from user input (`next=`): only a local path is accepted,
 * never another origin (`//evil`, `/\evil`, `https://evil`).
 */
export function localPath(next: unknown, fallback: string): string {
  if (typeof next !== "string" || !next.startsWith("/")) return fallback;
  if (next.startsWith("//") || next.startsWith("/\\")) return fallback;
  // Printable ASCII only: anything else cannot go into a Location header as it is.
  if (!/^[\x21-\x7e]*$/.test(next) || next.includes("\\")) return fallback;
  return next;
}
