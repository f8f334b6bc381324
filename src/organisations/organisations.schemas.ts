import Type, { type Static } from "typebox";
import { Text } from "../lib/validate.ts";

export const ORGANISATION_NAME_MAX = 200;
/** Domains one organisation may list. */
export const DOMAINS_MAX = 50;

export const OrganisationInput = Type.Object(
  {
    name: Text({ min: 1, max: ORGANISATION_NAME_MAX }),
    /** Mail domains, separated by commas, spaces or lines (`example.com`, not `@example.com`). */
    domains: Type.Optional(Text({ max: 20_000 })),
    shareTickets: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type OrganisationInput = Static<typeof OrganisationInput>;

const Id = Type.Integer({ minimum: 1 });

export const OrganisationJson = Type.Object(
  {
    id: Id,
    name: Type.String(),
    domains: Type.Array(Type.String(), { description: "Mail domains, lower case" }),
    shareTickets: Type.Boolean({ description: "Members see each other's tickets" }),
    memberIds: Type.Array(Id),
  },
  { $id: "Organisation" },
);
export type OrganisationJson = Static<typeof OrganisationJson>;
