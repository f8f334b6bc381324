import { renderMarkdown } from "../../lib/markdown.ts";

/**
 * What was trimmed from an incoming mail (quoted history, a "Sent from my
 * iPhone" line), behind a native <details> so it opens without JavaScript.
 * Rendered like message bodies: Markdown with raw HTML shown as text.
 */
export function QuotedText({ quoted }: { quoted: string | null | undefined }) {
  if (!quoted) return null;
  return (
    <details class="quoted">
      <summary>Show quoted text</summary>
      {/* renderMarkdown output is safe: raw HTML is escaped and links are filtered. */}
      <div
        class="message-body quoted-body"
        dangerouslySetInnerHTML={{ __html: renderMarkdown(quoted) }}
      />
    </details>
  );
}
