import Type, { type Static } from "typebox";
import { Text } from "../lib/validate.ts";
import { Instant } from "../platform/api.schemas.ts";
import { ACTIONS_MAX, type Action, TEMPLATE_MAX } from "../rules/rules.schemas.ts";

/**
 * What a macro is made of. The field and tag actions are the automation
 * rules' own (`Action` in rules.schemas.ts, checked by the rules' parseAction);
 * a macro adds a public reply, and its reply and note texts use the canned
 * replies' placeholders (src/canned/placeholders.ts), filled in for the ticket.
 */

export const MACRO_ACTION_TYPES = [
  "add_reply",
  "add_note",
  "set_status",
  "set_priority",
  "set_assignee",
  "set_team",
  "add_tag",
  "remove_tag",
  "set_field",
] as const;
export type MacroActionType = (typeof MACRO_ACTION_TYPES)[number];

/** The rule actions a macro shares. */
export type SharedAction = Extract<
  Action,
  {
    type:
      | "set_status"
      | "set_priority"
      | "set_assignee"
      | "set_team"
      | "add_tag"
      | "remove_tag"
      | "set_field";
  }
>;

export type MacroAction =
  | SharedAction
  /** Markdown with canned-reply placeholders: a public reply, or an internal note. */
  | { readonly type: "add_reply" | "add_note"; readonly body: string };

export const MACRO_NAME_MAX = 100;
/** A reply's or note's text, as for rules' notes. */
export const MACRO_TEXT_MAX = TEMPLATE_MAX;
/** Rows the form offers (and the most a macro may have), as for rules. */
export const MACRO_ACTIONS_MAX = ACTIONS_MAX;
/** Shared macros on the instance. */
export const SHARED_MACROS_MAX = 200;
/** Personal macros per agent. */
export const PERSONAL_MACROS_MAX = 100;

/**
 * One action as typed: `value` a status or priority name, an agent's address
 * or `nobody`, a team's name or `none`, a tag's name, a custom field's
 * `name=value`; `body` the reply or note text.
 */
export const MacroActionInput = Type.Object(
  {
    type: Type.Enum([...MACRO_ACTION_TYPES]),
    value: Type.Optional(Type.String({ maxLength: 500 })),
    body: Type.Optional(Type.String({ maxLength: MACRO_TEXT_MAX })),
  },
  { additionalProperties: false },
);
export type MacroActionInput = Static<typeof MacroActionInput>;

export const MacroInput = Type.Object(
  {
    name: Text({ min: 1, max: MACRO_NAME_MAX }),
    /** Shared with all staff (admins only); else the author's own. Fixed once created. */
    shared: Type.Optional(Type.Boolean()),
    actions: Type.Array(MacroActionInput, { maxItems: MACRO_ACTIONS_MAX }),
  },
  { additionalProperties: false },
);
export type MacroInput = Static<typeof MacroInput>;

export const MacroJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    name: Type.String(),
    shared: Type.Boolean({ description: "Shared with all staff; false: the caller's own" }),
    actions: Type.Array(
      Type.Object(
        {
          type: Type.Enum([...MACRO_ACTION_TYPES]),
          value: Type.Optional(Type.String()),
          body: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      {
        description:
          "As they are typed: people by address, teams and tags by name, custom fields as name=value",
      },
    ),
    updatedAt: Instant,
  },
  { $id: "Macro", additionalProperties: false },
);

export const MacroPreviewJson = Type.Object(
  {
    ticketId: Type.Integer({ minimum: 1 }),
    macro: Type.Object({ id: Type.Integer({ minimum: 1 }), name: Type.String() }),
    changes: Type.Array(
      Type.Object({
        field: Type.Enum(["status", "priority", "assignee", "team"]),
        from: Type.Union([Type.String(), Type.Null()]),
        to: Type.Union([Type.String(), Type.Null()]),
      }),
      { description: "Each field that would change: old and new (people by name, teams by name)" },
    ),
    fieldChanges: Type.Array(
      Type.Object({
        name: Type.String(),
        label: Type.String(),
        from: Type.Union([Type.String(), Type.Null()]),
        to: Type.Union([Type.String(), Type.Null()]),
      }),
      { description: "Each custom field that would change: old and new as text (null: unset)" },
    ),
    tagsAdded: Type.Array(Type.String()),
    tagsRemoved: Type.Array(Type.String()),
    replies: Type.Array(Type.Object({ internal: Type.Boolean(), body: Type.String() }), {
      description: "Each reply or note, its placeholders filled in for the ticket",
    }),
    openChildren: Type.Array(Type.Integer({ minimum: 1 }), {
      description:
        "Solving or closing: the child tickets still open (apply then needs confirmation)",
    }),
    closed: Type.Boolean({ description: "The ticket is closed: the macro cannot be applied" }),
  },
  { $id: "MacroPreview", additionalProperties: false },
);
