import Type, { type Static } from "typebox";
import { Text } from "../lib/validate.ts";
import { WEBHOOK_EVENT_TYPES } from "./webhooks.events.ts";

export const URL_MAX = 2000;
export const DESCRIPTION_MAX = 200;
/** Enough for every integration an instance runs; each endpoint adds a query to every ticket change. */
export const ENDPOINTS_MAX = 50;

export const EventTypeSchema = Type.Enum([...WEBHOOK_EVENT_TYPES]);

const EventTypes = Type.Array(EventTypeSchema, {
  minItems: 1,
  uniqueItems: true,
  description: "The event types it gets",
});

export const CreateEndpointInput = Type.Object(
  {
    url: Text({ min: 1, max: URL_MAX }),
    description: Type.Optional(Text({ max: DESCRIPTION_MAX })),
    eventTypes: EventTypes,
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateEndpointInput = Static<typeof CreateEndpointInput>;

export const UpdateEndpointInput = Type.Object(
  {
    url: Type.Optional(Text({ min: 1, max: URL_MAX })),
    description: Type.Optional(Text({ max: DESCRIPTION_MAX })),
    eventTypes: Type.Optional(EventTypes),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateEndpointInput = Static<typeof UpdateEndpointInput>;
