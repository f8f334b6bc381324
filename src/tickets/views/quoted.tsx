import type { Translator } from "../../i18n/i18n.ts";
import { renderMarkdown } from "../../lib/markdown.ts";

/**
 * What was trimmed from an incoming mail (quoted history, a "Sent from my
 * iPhone" line), behind a native <details> so it opens without JavaScript.
 * Rendered like message bodies: Markdown with raw HTML shown as text.
 */
export function QuotedText({
  quoted,
  t,
}: {
  quoted: string | null | undefined;
  /** The page's translator. */
  t: Translator["t"];
}) {
  if (!quoted) return null;
  return (
    <details class="quoted">
      <summary>{t("quoted.show")}</summary>
      {/* renderMarkdown output is safe: raw HTML is escaped and links are filtered. */}
      <div
        class="message-body quoted-body"
        dangerouslySetInnerHTML={{ __html: renderMarkdown(quoted) }}
      />
    </details>
  );
}
