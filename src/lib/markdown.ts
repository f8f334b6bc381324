import MarkdownIt from "markdown-it";
import { safeHref } from "./urls.ts";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
md.validateLink = (url) => safeHref(url) !== "#";

const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (token) {
    token.attrSet("rel", "nofollow noopener noreferrer");
    token.attrSet("target", "_blank");
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/**
 * Renders a message body (Markdown) to HTML. Raw HTML in the source is shown as
 * text, and links only keep safe protocols, so the output can be trusted even
 * when the source is a customer's.
 */
export function renderMarkdown(source: string): string {
  return md.render(source);
}

/**
 * `text` as Markdown that renders as exactly that text: every ASCII punctuation
 * character that can start or close markup (emphasis, links, images, code,
 * headings, lists, tables, entities, autolinks, linkified addresses) is escaped
 * with a backslash, and line breaks become spaces. For values put into a
 * Markdown body (a requester's name in a canned reply), which must stay text.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[!#&()*+\-.:<=>[\\\]_`{|}~]/g, "\\$&");
}
