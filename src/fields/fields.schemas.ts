import Type, { type Static } from "typebox";
import { FIELD_TYPES, type FieldType } from "../db/schema/fields.ts";

export { FIELD_TYPES, type FieldType };

/** A field's name: a key for the API, search and rules. */
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;
export const FIELD_LABEL_MAX = 100;
export const FIELD_CHOICES_MAX = 100;
export const FIELD_CHOICE_MAX = 100;
/** At most this many fields (enabled or not). */
export const FIELDS_MAX = 100;

export const FieldJson = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String({
      description: "The key: `fields.<name>` in tickets, `field:<name>=` in search",
    }),
    label: Type.String(),
    type: Type.Enum([...FIELD_TYPES]),
    choices: Type.Array(Type.String(), { description: "For `choice` and `choices` fields" }),
    customerVisible: Type.Boolean({
      description: "Shown to customers (their ticket, and the new-ticket form)",
    }),
    requiredToSolve: Type.Boolean({
      description: "A ticket is solved or closed only with a value (rules excepted)",
    }),
    position: Type.Integer(),
  },
  { $id: "TicketField", additionalProperties: false },
);
export type FieldJson = Static<typeof FieldJson>;

/**
 * Values by field name, as the API takes them: text, a number, a date
 * (`YYYY-MM-DD`), a choice, an array of choices, a boolean; null unsets.
 */
export const FieldValuesInput = Type.Record(
  Type.String({ pattern: "^[A-Za-z][A-Za-z0-9_]{0,39}$" }),
  Type.Union([
    Type.String({ maxLength: 2000 }),
    Type.Number(),
    Type.Boolean(),
    Type.Null(),
    Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }),
  ]),
  {
    description:
      "Custom field values by name (GET /api/v1/fields): text, number, date `YYYY-MM-DD`, a choice, an array of choices, or a boolean; null unsets",
  },
);
export type FieldValuesInput = Static<typeof FieldValuesInput>;
