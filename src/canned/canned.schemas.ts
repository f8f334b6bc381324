import Type, { type Static } from "typebox";
import { Text } from "../lib/validate.ts";
import { Instant } from "../platform/api.schemas.ts";

export const CANNED_TITLE_MAX = 100;
/** A canned reply's body; far below a reply's own limit, so the filled-in reply always fits. */
export const CANNED_BODY_MAX = 10_000;
/** Shared canned replies on the instance. */
export const SHARED_CANNED_MAX = 200;
/** Personal canned replies per agent. */
export const PERSONAL_CANNED_MAX = 100;

export const CannedInput = Type.Object(
  {
    title: Text({ min: 1, max: CANNED_TITLE_MAX }),
    body: Text({ min: 1, max: CANNED_BODY_MAX }),
    /** Shared with all staff (admins only); else the author's own. Fixed once created. */
    shared: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CannedInput = Static<typeof CannedInput>;

export const CannedReplyJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    title: Type.String(),
    body: Type.String({ description: "Markdown with `{{placeholders}}`, as saved" }),
    shared: Type.Boolean({ description: "Shared with all staff; false: the caller's own" }),
    updatedAt: Instant,
  },
  { $id: "CannedReply", additionalProperties: false },
);

export const RenderedCannedReplyJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    title: Type.String(),
    body: Type.String({
      description:
        "Markdown with every placeholder filled in for the ticket; the values are escaped so they read as plain text",
    }),
  },
  { $id: "RenderedCannedReply", additionalProperties: false },
);
