// What other features may use from accounts.
export { type Actor, isAdmin, isStaff, ROLES, type Role } from "./actor.ts";
export {
  findPublicProfile,
  getUser,
  isActiveStaff,
  listAssignableStaff,
  type User,
} from "./accounts.service.ts";
