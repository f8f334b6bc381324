import Type from "typebox";

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
    ticketId: Type.Union([Type.Integer(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: "InboundEmailResult", additionalProperties: false },
);
