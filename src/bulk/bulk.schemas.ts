import Type, { type Static } from "typebox";
import { Nullable } from "../platform/api.schemas.ts";
import { PRIORITIES, STATUSES } from "../tickets/lifecycle.ts";

/** The most tickets one bulk action changes. */
export const BULK_MAX = 500;

export const BulkChanges = Type.Object(
  {
    status: Type.Optional(Type.Enum([...STATUSES])),
    priority: Type.Optional(Type.Enum([...PRIORITIES])),
    assigneeId: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.Literal("me"), Type.Null()], {
        description: "An agent's id, `me`, or null for nobody",
      }),
    ),
    teamId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    addTags: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 20 })),
    removeTags: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 20 })),
    macroId: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Apply this macro (alone: no other change with it)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type BulkChanges = Static<typeof BulkChanges>;

export const BulkInput = Type.Object(
  {
    ids: Type.Array(Type.Integer({ minimum: 1 }), {
      minItems: 1,
      maxItems: 10_000,
      description: `At most ${BULK_MAX} ticket ids (more: 422)`,
    }),
    changes: BulkChanges,
  },
  { additionalProperties: false },
);
export type BulkInput = Static<typeof BulkInput>;

export const BULK_OUTCOMES = ["changed", "unchanged", "refused"] as const;
export type BulkOutcome = (typeof BULK_OUTCOMES)[number];

export const BulkResultJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    outcome: Type.Enum([...BULK_OUTCOMES]),
    code: Type.Optional(Type.String({ description: "Refused: the error's code" })),
    message: Type.Optional(Type.String({ description: "Refused: why, in English" })),
  },
  { $id: "BulkResult", additionalProperties: false },
);
