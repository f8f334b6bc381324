// sanitize-html is loaded on first use, not at start-up (it is a large module).
import type { IOptions } from "sanitize-html";

/**
 * Customer HTML (a mail's HTML part) made safe to show inside our pages: a
 * strict allow-list of structure and links; no scripts, styles, event
 * handlers, forms, SVG or CSS. Images are kept only where asked for, and
 * then only as `cid:<n>` (the n-th attachment of the message) or an https
 * URL, which renderMailHtml blocks unless the reader asked to load them.
 */

const TAGS = [
  "p",
  "br",
  "div",
  "span",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "s",
  "ul",
  "ol",
  "li",
  "blockquote",
  "pre",
  "code",
  "h1",
  "h2",
  "h3",
  "h4",
  "hr",
  "a",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
];

async function load() {
  return (await import("sanitize-html")).default;
}

type Attribs = Record<string, string>;

function options(
  sanitizeHtml: Awaited<ReturnType<typeof load>>,
  img?: (attribs: Attribs) => { tagName: string; attribs: Attribs; text?: string },
): IOptions {
  return {
    allowedTags: img ? [...TAGS, "img"] : TAGS,
    allowedAttributes: {
      a: ["href", "rel", "target"],
      img: ["src", "alt", "width", "height", "referrerpolicy", "class"],
      span: ["class"],
    },
    allowedClasses: { img: ["mail-image"], span: ["blocked-image"] },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["https", "cid"] },
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    transformTags: {
      a: sanitizeHtml.simpleTransform("a", {
        rel: "nofollow noopener noreferrer",
        target: "_blank",
      }),
      ...(img ? { img: (_tag: string, attribs: Attribs) => img(attribs) } : {}),
    },
    // An image whose source was refused is dropped, never an <img> without a source.
    exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
  };
}

/** Width and height as plain numbers (anything else is dropped). */
function size(attribs: Attribs): Attribs {
  const out: Attribs = {};
  for (const key of ["width", "height"]) {
    const value = attribs[key];
    if (value && /^\d{1,4}$/.test(value)) out[key] = value;
  }
  return out;
}

/**
 * Sanitises a mail's HTML for storing. Without `images`, no images at all
 * (what admins see of inbound mail). With `images` (content id -> index of
 * the attachment), `cid:` images become `cid:<index>` (unknown ones are
 * dropped) and https images are kept for renderMailHtml to block or show.
 */
export async function sanitizeMailHtml(
  html: string,
  images?: ReadonlyMap<string, number>,
): Promise<string> {
  const sanitizeHtml = await load();
  if (!images) return sanitizeHtml(html, options(sanitizeHtml));
  return sanitizeHtml(
    html,
    options(sanitizeHtml, (attribs) => {
      const src = (attribs.src ?? "").trim();
      let kept = "";
      if (/^cid:/i.test(src)) {
        const index = images.get(
          decodeURIComponent(src.slice(4)).replace(/^<|>$/g, "").toLowerCase(),
        );
        if (index !== undefined) kept = `cid:${index}`;
      } else if (/^https:\/\//i.test(src)) kept = src;
      return {
        tagName: "img",
        attribs: {
          ...(kept ? { src: kept } : {}),
          alt: (attribs.alt ?? "").slice(0, 200),
          ...size(attribs),
        },
      };
    }),
  );
}

/**
 * Stored mail HTML (from sanitizeMailHtml with images) ready for a page,
 * sanitised again on the way out: `cid:<n>` becomes the URL of the message's
 * n-th attachment; https images are replaced by a "remote image" marker
 * unless `remoteImages` (the reader asked), and then sent no referrer.
 * `blocked` counts the remote images left out.
 */
export async function renderMailHtml(
  html: string,
  files: readonly string[],
  remoteImages: boolean,
): Promise<{ html: string; blocked: number }> {
  const sanitizeHtml = await load();
  let blocked = 0;
  const out = sanitizeHtml(
    html,
    options(sanitizeHtml, (attribs) => {
      const src = attribs.src ?? "";
      const alt = (attribs.alt ?? "").slice(0, 200);
      const cid = /^cid:(\d{1,3})$/.exec(src);
      const file = cid ? files[Number(cid[1])] : undefined;
      if (file) {
        return {
          tagName: "img",
          attribs: { src: file, alt, class: "mail-image", ...size(attribs) },
        };
      }
      if (!cid && /^https:\/\//i.test(src) && remoteImages) {
        return {
          tagName: "img",
          attribs: {
            src,
            alt,
            class: "mail-image",
            referrerpolicy: "no-referrer",
            ...size(attribs),
          },
        };
      }
      if (!cid) blocked++;
      return {
        tagName: "span",
        attribs: { class: "blocked-image" },
        text: alt ? `[image: ${alt}]` : "[image]",
      };
    }),
  );
  return { html: out, blocked };
}
