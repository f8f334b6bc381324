import Type, { type Static } from "typebox";

/** A tag's longest name: a label, not a sentence. */
export const TAG_MAX = 50;
/** At most this many tags on one ticket. */
export const MAX_TAGS_PER_TICKET = 20;
/** The most names the ticket page's autocomplete offers. */
export const SUGGESTIONS_MAX = 500;

/** A tag name as the API takes it (the service checks it in full: `checkTagName`). */
export const TagName = Type.String({ minLength: 1, maxLength: 200 });

export const TagListInput = Type.Object(
  {
    tags: Type.Array(TagName, {
      maxItems: MAX_TAGS_PER_TICKET,
      description: `Tag names (at most ${MAX_TAGS_PER_TICKET}; new names make new tags)`,
    }),
  },
  { additionalProperties: false },
);
export type TagListInput = Static<typeof TagListInput>;
