import type { Deps } from "../deps.ts";

/**
 * Security-relevant account events. Accounts have no audit table (the audit
 * trail, `ticket_events`, is about tickets): these go to the log as one
 * structured line each, `{"event": "...", "userId": ...}`, for the operator's
 * log store to keep and alert on.
 */
export type AccountEvent =
  | "sign_in.completed"
  | "sign_in.second_step_refused"
  | "sign_in.sso"
  | "sign_in.sso_refused"
  | "sso.account_created"
  | "sso.provider_saved"
  | "sso.provider_deleted"
  | "two_factor.enabled"
  | "two_factor.disabled"
  | "two_factor.reset"
  | "two_factor.recovery_codes_regenerated"
  | "two_factor.requirement_changed"
  | "sessions.ended_others"
  | "sessions.ended_by_admin";

export function logAccountEvent(
  deps: Pick<Deps, "log">,
  event: AccountEvent,
  fields: Record<string, unknown>,
): void {
  deps.log.info({ event, ...fields }, `account event: ${event}`);
}
