import Type from "typebox";
import { Nullable } from "../platform/api.schemas.ts";

/** What became of a message posted to POST /api/v1/inbound/email. */
export const InboundResultJson = Type.Object(
  {
    id: Type.Integer({
      description: "The stored message (admins see it under Email → Incoming mail)",
    }),
    status: Type.Enum(["received", "ticket", "reply", "ignored", "failed"], {
      description:
        "ticket: opened a ticket; reply: added to one; ignored: loop, bounce, bulk or rate limit; failed: kept raw, see reason",
    }),
    ticketId: Nullable(Type.Integer()),
    reason: Nullable(Type.String()),
  },
  { $id: "InboundEmailResult", additionalProperties: false },
);
