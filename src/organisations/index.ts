// What other features may use from organisations.

export {
  colleaguesQuery,
  joinByVerifiedAddress,
  membersQuery,
  organisationChoices,
  organisationNames,
  parseDomains,
  sharesTickets,
} from "./organisations.service.ts";
