import Type, { type Static } from "typebox";
import { Text } from "../lib/validate.ts";
import { Instant } from "../platform/api.schemas.ts";

export const VIEW_NAME_MAX = 100;
/** Shared views on the instance. */
export const SHARED_VIEWS_MAX = 50;
/** Personal views per agent. */
export const PERSONAL_VIEWS_MAX = 50;

/** The desk's filters a view keeps (a requester and a cursor are not kept). */
export const VIEW_FILTERS = [
  "queue",
  "q",
  "status",
  "priority",
  "assignee",
  "team",
  "organisation",
  "tag",
  "sort",
] as const;

const filter = (description: string, maxLength = 200) =>
  Type.Optional(Type.String({ maxLength, description }));

/** A view's search: the desk's filters, each written as in the desk's address (`/desk?...`). */
export const ViewFilters = Type.Object(
  {
    queue: filter(
      "The desk queue it starts from: unassigned (the default), mine, myTeams, open, pending, done, team",
    ),
    q: filter("A search in the search language (as the ticket list's `q`)"),
    status: filter("One status (replaces the queue's)"),
    priority: filter("One priority"),
    assignee: filter("A user id, me or none"),
    team: filter("A team id, mine or none (a team id with the team queue)"),
    organisation: filter("An organisation's id"),
    tag: filter("A tag's name"),
    sort: filter("One of the ticket list's sorts (-updatedAt by default)"),
  },
  { additionalProperties: false },
);
export type ViewFilters = Static<typeof ViewFilters>;

export const ViewInput = Type.Object(
  {
    name: Text({ min: 1, max: VIEW_NAME_MAX }),
    filters: ViewFilters,
    /** Shared with all staff (admins only); else the author's own. Fixed once created. */
    shared: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ViewInput = Static<typeof ViewInput>;

export const ViewChange = Type.Object(
  {
    name: Type.Optional(Text({ min: 1, max: VIEW_NAME_MAX })),
    position: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: "Its place among its owner's views (or the shared ones), from 1",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ViewChange = Static<typeof ViewChange>;

export const SavedViewJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    name: Type.String(),
    shared: Type.Boolean({ description: "Shared with all staff; false: the caller's own" }),
    position: Type.Integer({ minimum: 1, description: "Its place among the shared or own views" }),
    filters: ViewFilters,
    count: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: "How many tickets it holds, up to 10,001 (more reads as 10,000+)",
      }),
    ),
    updatedAt: Instant,
  },
  { $id: "SavedView", additionalProperties: false },
);
