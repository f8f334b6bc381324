// What other features may use from teams.

export {
  findTeam,
  findTeamByName,
  hiddenTeamIds,
  hiddenTeamsQuery,
  hidesFrom,
  listCategories,
  listTeams,
  type Team,
  teamIdsOf,
  teamNames,
  type VisibleTeam,
  visibleTeams,
} from "./teams.service.ts";
