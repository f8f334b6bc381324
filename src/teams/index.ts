// What other features may use from teams.

export {
  findTeam,
  findTeamByName,
  hiddenTeamIds,
  hidesFrom,
  listCategories,
  listTeams,
  type Team,
  teamIdsOf,
  teamNames,
} from "./teams.service.ts";
