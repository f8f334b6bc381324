import { DEFAULT_TRANSLATOR, type Translator } from "../i18n/i18n.ts";

/**
 * "Firefox on Linux": a short name for a browser from its User-Agent header,
 * good enough for a person to recognise their own devices on the sessions page,
 * in the reader's language (the names themselves are proper names).
 * Order matters: Edge and Opera say "Chrome", Chrome says "Safari".
 */
export function describeUserAgent(
  userAgent: string | null | undefined,
  t: Translator["t"] = DEFAULT_TRANSLATOR.t,
): string {
  if (!userAgent) return t("sessions.unknownBrowser");
  const ua = userAgent.slice(0, 500);
  const browser = /Edg(e|A|iOS)?\//.test(ua)
    ? "Edge"
    : /OPR\/|Opera/.test(ua)
      ? "Opera"
      : /Firefox\/|FxiOS\//.test(ua)
        ? "Firefox"
        : /Chrome\/|Chromium\/|CriOS\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua)
            ? "Safari"
            : /^curl\//.test(ua)
              ? "curl"
              : undefined;
  const system = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad|iPod/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X|Macintosh/.test(ua)
          ? "macOS"
          : /CrOS/.test(ua)
            ? "ChromeOS"
            : /Linux/.test(ua)
              ? "Linux"
              : undefined;
  if (browser && system) return t("sessions.browserOnSystem", { browser, system });
  return browser ?? system ?? t("sessions.unknownBrowser");
}
