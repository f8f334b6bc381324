// What other features may use from organisations.

export {
  colleaguesQuery,
  joinByVerifiedAddress,
  membersQuery,
  organisationChoices,
  organisationNames,
  sharesTickets,
} from "./organisations.service.ts";
