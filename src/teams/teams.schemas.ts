import Type, { type Static } from "typebox";
import { Text } from "../lib/validate.ts";
import { Nullable } from "../platform/api.schemas.ts";

export const TEAM_NAME_MAX = 100;
export const TEAM_DESCRIPTION_MAX = 1_000;
/** The most open tickets a team may let one agent hold before assignment skips them. */
export const MAX_OPEN_CAP = 10_000;

/** How a team's new tickets get an agent (pages name each from the catalogs, `teams.assignment.*`). */
export const ASSIGNMENT_MODES = ["off", "round_robin", "fewest_open"] as const;
export type AssignmentMode = (typeof ASSIGNMENT_MODES)[number];

export const TeamInput = Type.Object(
  {
    name: Text({ min: 1, max: TEAM_NAME_MAX }),
    description: Type.Optional(Text({ max: TEAM_DESCRIPTION_MAX })),
    offeredOnForm: Type.Optional(Type.Boolean()),
    restricted: Type.Optional(Type.Boolean()),
    assignment: Type.Optional(Type.Enum(ASSIGNMENT_MODES)),
    maxOpenPerAgent: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_OPEN_CAP }))),
    handBackWhenAway: Type.Optional(Type.Boolean()),
    /** The business-hours calendar of its tickets' SLA clocks; null: their policy's. */
    calendarId: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }))),
  },
  { additionalProperties: false },
);
export type TeamInput = Static<typeof TeamInput>;

const Id = Type.Integer({ minimum: 1 });

export const TeamJson = Type.Object(
  {
    id: Id,
    name: Type.String(),
    description: Type.String(),
    offeredOnForm: Type.Boolean(),
    restricted: Type.Boolean(),
    assignment: Type.Enum(ASSIGNMENT_MODES),
    maxOpenPerAgent: Nullable(Id),
    calendarId: Nullable(Id, {
      description:
        "The business-hours calendar its tickets' SLA clocks run on; null: the calendar of the SLA policy they get.",
    }),
    memberIds: Type.Array(Id),
  },
  { $id: "Team" },
);
export type TeamJson = Static<typeof TeamJson>;
