// What other features may use from accounts.

export {
  AUTOMATION_EMAIL,
  activeStaffActor,
  automationActor,
  findOrCreateCustomer,
  findPublicProfiles,
  findUserByEmail,
  getUser,
  isActiveStaff,
  listAssignableStaff,
  listUsers,
  setAwayFlag,
  type User,
} from "./accounts.service.ts";
export { type Actor, isAdmin, isStaff, ROLES, type Role } from "./actor.ts";
export { issueTicketLinks } from "./links.service.ts";
