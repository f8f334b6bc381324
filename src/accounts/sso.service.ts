import { createHash } from "node:crypto";
import * as oidc from "openid-client";
import type { Deps } from "../deps.ts";
import {
  BadGateway,
  Forbidden,
  Invalid,
  type MessageArgs,
  NotFound,
  Taken,
} from "../lib/errors.ts";
import { openSecret, sealSecret } from "../lib/secrets.ts";
import { parse, trimFields } from "../lib/validate.ts";
import { parseDomains } from "../organisations/index.ts";
import * as settings from "../settings/settings.service.ts";
import * as repo from "./accounts.repo.ts";
import { NAME_MAX, SsoProviderInput } from "./accounts.schemas.ts";
import { toActor } from "./accounts.service.ts";
import { type Actor, isAdmin } from "./actor.ts";
import { logAccountEvent } from "./security-log.ts";
import * as ssoRepo from "./sso.repo.ts";

/**
 * Single sign-on with OpenID Connect (the authorization code flow with PKCE,
 * through `openid-client`), with providers an admin sets up.
 *
 * - Starting a sign-in seals the state, nonce and PKCE verifier (with the
 *   provider and where to go next) into a short-lived cookie, so any app node
 *   can finish it; `openid-client` checks all three, the issuer and the ID token.
 * - The person is found by the provider's subject once linked, else by the
 *   address the provider says it has verified (then linked). With no account,
 *   an address at one of the provider's new-staff domains gets an agent
 *   account; anyone else is refused, as is a disabled account.
 * - What follows is the password's path (`twoFactor.startSignIn`): the
 *   provider replaces the password, not the second step.
 */

export interface SsoProvider {
  id: number;
  name: string;
  issuer: string;
  clientId: string;
  /** Whether a client secret is stored (it is never shown again). */
  hasSecret: boolean;
  newStaffDomains: string[];
  enabled: boolean;
}

/** What a sign-in button needs. */
export interface SsoChoice {
  id: number;
  name: string;
}

/** How long a started sign-in may take at the provider. */
export const STATE_TTL_MS = 10 * 60_000;
/** Seconds each request to a provider may take. */
const REQUEST_TIMEOUT_S = 10;
/** Discovery documents are read again after this long (keys rotate). */
const DISCOVERY_TTL_MS = 60 * 60_000;

function toProvider(row: ssoRepo.SsoProviderRow): SsoProvider {
  return {
    id: row.id,
    name: row.name,
    issuer: row.issuer,
    clientId: row.clientId,
    hasSecret: row.clientSecret !== null,
    newStaffDomains: row.newStaffDomains,
    enabled: row.enabled,
  };
}

function requireAdminActor(actor: Actor): void {
  if (!isAdmin(actor))
    throw new Forbidden("Only admins manage single sign-on.", "error.onlyAdmins.sso");
}

/**
 * Where every provider sends people back: register it with the provider. One
 * address for all, so an admin knows it before saving; the state cookie says
 * which provider a sign-in was begun with, and only that one is asked for the tokens.
 */
export function redirectUri(deps: Pick<Deps, "config">): string {
  return new URL("/login/sso/callback", deps.config.publicUrl).href;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The issuer as typed, checked: https (plain http only on this machine, for a
 * provider under test or development), no user, query or fragment, no trailing slash.
 */
function parseIssuer(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw Invalid.field(
      "issuer",
      "is not a URL (e.g. https://login.example.com/realms/staff)",
      "error.field.issuerUrl",
    );
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLocal(url))) {
    throw Invalid.field(
      "issuer",
      "must start with https:// (http only for localhost)",
      "error.field.issuerHttps",
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw Invalid.field(
      "issuer",
      "must not contain a user name, password, query or fragment",
      "error.field.issuerParts",
    );
  }
  return url;
}

function isLocal(issuer: URL): boolean {
  return LOOPBACK.test(issuer.hostname);
}

// --- the provider's configuration (discovery), kept in memory ---

const discovered = new Map<string, { config: oidc.Configuration; until: number }>();

function cacheKey(row: ssoRepo.SsoProviderRow): string {
  return createHash("sha256")
    .update(JSON.stringify([row.issuer, row.clientId, row.clientSecret]))
    .digest("hex");
}

/** Reads the provider's discovery document: its endpoints and keys. */
async function discover(
  issuer: URL,
  clientId: string,
  clientSecret: string | null,
): Promise<oidc.Configuration> {
  const auth = clientSecret === null ? oidc.None() : oidc.ClientSecretBasic(clientSecret);
  return oidc.discovery(issuer, clientId, undefined, auth, {
    timeout: REQUEST_TIMEOUT_S,
    ...(isLocal(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
  });
}

/** Why a provider could not be used, in words for an admin (details go to the log). */
function unreachable(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.slice(0, 300);
}

async function configOf(deps: Deps, row: ssoRepo.SsoProviderRow): Promise<oidc.Configuration> {
  const key = cacheKey(row);
  const cached = discovered.get(key);
  if (cached && cached.until > Date.now()) return cached.config;
  try {
    const config = await discover(new URL(row.issuer), row.clientId, row.clientSecret);
    discovered.set(key, { config, until: Date.now() + DISCOVERY_TTL_MS });
    return config;
  } catch (error) {
    deps.log.warn({ err: error, provider: row.id }, "OpenID provider discovery failed");
    throw new BadGateway(
      `${row.name} cannot be reached just now. Try again in a moment.`,
      "error.sso.unreachable",
      { name: row.name },
    );
  }
}

// --- admin ---

export async function listProviders(deps: Deps, actor: Actor): Promise<SsoProvider[]> {
  requireAdminActor(actor);
  return (await ssoRepo.listProviders(deps.db)).map(toProvider);
}

/** Enabled providers for the sign-in page's buttons. */
export async function signInChoices(deps: Deps): Promise<SsoChoice[]> {
  return (await ssoRepo.listProviders(deps.db))
    .filter((p) => p.enabled)
    .map((p) => ({ id: p.id, name: p.name }));
}

/**
 * Checks what an admin typed, and that the provider answers at the issuer:
 * a provider that cannot be discovered is not saved.
 */
async function checkedValues(input: SsoProviderInput, keptSecret: string | null) {
  const data = parse(SsoProviderInput, trimFields(input, ["name", "issuer", "clientId"]));
  const issuer = parseIssuer(data.issuer.replace(/\/+$/, ""));
  const newStaffDomains = parseDomains(data.newStaffDomains ?? "", "newStaffDomains");
  const clientSecret = data.clientSecret ? data.clientSecret : keptSecret;
  try {
    await discover(issuer, data.clientId, clientSecret);
  } catch (error) {
    const reason = unreachable(error);
    throw Invalid.field(
      "issuer",
      `did not answer as an OpenID provider (${reason})`,
      "error.field.issuerUnreachable",
      { reason },
    );
  }
  return {
    name: data.name,
    issuer: issuer.href.replace(/\/$/, ""),
    clientId: data.clientId,
    clientSecret,
    newStaffDomains,
    enabled: data.enabled ?? true,
  };
}

export async function createProvider(
  deps: Deps,
  actor: Actor,
  input: SsoProviderInput,
): Promise<SsoProvider> {
  requireAdminActor(actor);
  const values = await checkedValues(input, null);
  const row = await ssoRepo.insertProvider(deps.db, values);
  if (!row) throw new Taken("name", "is the name of another provider", "error.field.providerTaken");
  logAccountEvent(deps, "sso.provider_saved", { actorId: actor.id, providerId: row.id });
  return toProvider(row);
}

/** Changes a provider; an empty client secret keeps the stored one. */
export async function updateProvider(
  deps: Deps,
  actor: Actor,
  id: number,
  input: SsoProviderInput,
): Promise<SsoProvider> {
  requireAdminActor(actor);
  const existing = await ssoRepo.findProvider(deps.db, id);
  if (!existing) throw new NotFound("provider", id);
  const values = await checkedValues(input, existing.clientSecret);
  const other = await ssoRepo.findProviderByName(deps.db, values.name);
  if (other && other.id !== id)
    throw new Taken("name", "is the name of another provider", "error.field.providerTaken");
  const row = await ssoRepo.updateProvider(deps.db, id, values);
  if (!row) throw new NotFound("provider", id);
  logAccountEvent(deps, "sso.provider_saved", { actorId: actor.id, providerId: id });
  return toProvider(row);
}

/** Deletes a provider and its links to accounts (the accounts stay). */
export async function deleteProvider(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdminActor(actor);
  if (!(await ssoRepo.deleteProvider(deps.db, id))) throw new NotFound("provider", id);
  logAccountEvent(deps, "sso.provider_deleted", { actorId: actor.id, providerId: id });
}

// --- sign-in ---

/** What the state cookie carries between the two legs of a sign-in. */
interface PendingSignIn {
  providerId: number;
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  until: number;
}

async function stateKey(deps: Deps): Promise<Buffer> {
  const secret = await settings.instanceSecret(deps, "sso_state");
  return createHash("sha256").update(`tessera sso state\n${secret}`).digest();
}

async function enabledProvider(deps: Deps, id: number): Promise<ssoRepo.SsoProviderRow> {
  const row = await ssoRepo.findProvider(deps.db, id);
  if (!row?.enabled) throw new NotFound("sign-in provider");
  return row;
}

/**
 * Starts a sign-in: where to send the browser, and the sealed state for its
 * cookie (`next` must already be a local path).
 */
export async function beginSignIn(
  deps: Deps,
  providerId: number,
  next: string,
): Promise<{ url: string; cookie: string }> {
  const row = await enabledProvider(deps, providerId);
  const config = await configOf(deps, row);
  const pending: PendingSignIn = {
    providerId,
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    verifier: oidc.randomPKCECodeVerifier(),
    next,
    until: Date.now() + STATE_TTL_MS,
  };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(deps),
    scope: "openid email profile",
    response_type: "code",
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: "S256",
  });
  return { url: url.href, cookie: sealSecret(await stateKey(deps), JSON.stringify(pending)) };
}

const EXPIRED =
  "This sign-in was not started in this browser, or took longer than 10 minutes. Please try again.";

function openPending(key: Buffer, cookie: string): PendingSignIn {
  const json = cookie ? openSecret(key, cookie) : undefined;
  const pending = json ? (JSON.parse(json) as PendingSignIn) : undefined;
  if (!pending || pending.until < Date.now()) {
    throw new Invalid([], EXPIRED, "invalid", "error.form.ssoExpired");
  }
  return pending;
}

/** The claims that say who signed in, from the ID token or else the UserInfo endpoint. */
interface Identity {
  subject: string;
  email: string | undefined;
  verified: boolean;
  name: string | undefined;
}

async function identityOf(
  config: oidc.Configuration,
  tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>,
): Promise<Identity> {
  const claims = tokens.claims();
  if (!claims) throw new Error("no ID token");
  let { email, email_verified: verified, name } = claims as Record<string, unknown>;
  if (typeof email !== "string" || verified === undefined) {
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    email = typeof email === "string" ? email : info.email;
    verified = verified ?? info.email_verified;
    name = name ?? info.name;
  }
  return {
    subject: claims.sub,
    email: typeof email === "string" ? email.trim().toLowerCase() : undefined,
    // Some providers send the flag as a string.
    verified: verified === true || verified === "true",
    name: typeof name === "string" ? name.trim() : undefined,
  };
}

/** Why a provider said no, without echoing its free text (it arrives in the URL). */
function refusedAtProvider(row: ssoRepo.SsoProviderRow, error: oidc.AuthorizationResponseError) {
  if (error.error === "access_denied") {
    return new Forbidden(`Signing in with ${row.name} was cancelled.`, "error.sso.cancelled", {
      name: row.name,
    });
  }
  const code = /^[a-z_]{1,40}$/.test(error.error) ? ` (${error.error})` : "";
  return new Forbidden(
    `${row.name} did not sign you in${code}. Please try again.`,
    "error.sso.refused",
    {
      name: row.name,
      code,
    },
  );
}

/** A disabled account, linked or not, never signs in through a provider. */
function refuseDisabled(deps: Deps, row: ssoRepo.SsoProviderRow, ip: string): never {
  return refuse(
    deps,
    row,
    ip,
    "disabled",
    "This account is disabled. Ask an administrator.",
    "error.sso.disabled",
  );
}

/**
 * Finishes a sign-in from the provider's redirect (`currentUrl`, with the
 * code) and the state cookie, at the provider the cookie names: the account to sign in. Throws Invalid for a
 * missing, foreign or expired state, Forbidden when the provider or the
 * account rules refuse, BadGateway when the provider cannot be reached.
 */
export async function finishSignIn(
  deps: Deps,
  currentUrl: URL,
  cookie: string,
  ip: string,
): Promise<{ actor: Actor; next: string }> {
  const pending = openPending(await stateKey(deps), cookie);
  const { providerId } = pending;
  const row = await enabledProvider(deps, providerId);
  const config = await configOf(deps, row);
  // The code arrives at the configured public address, whatever host the proxy used.
  const callback = new URL(redirectUri(deps));
  callback.search = currentUrl.search;
  // A code that came back to a browser that began another sign-in (openid-client checks
  // it again; this says so in words, without reading the library's error text).
  if (callback.searchParams.get("state") !== pending.state) {
    logAccountEvent(deps, "sign_in.sso_refused", { providerId, ip, reason: "state" });
    throw new Invalid([], EXPIRED, "invalid", "error.form.ssoExpired");
  }
  let identity: Identity;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    identity = await identityOf(config, tokens);
  } catch (error) {
    if (error instanceof oidc.AuthorizationResponseError) throw refusedAtProvider(row, error);
    logAccountEvent(deps, "sign_in.sso_refused", {
      providerId,
      ip,
      reason: "protocol",
      detail: unreachable(error),
    });
    throw new BadGateway(
      `${row.name} did not complete the sign-in. Please try again.`,
      "error.sso.incomplete",
      { name: row.name },
    );
  }
  const actor = await accountFor(deps, row, identity, ip);
  return { actor, next: pending.next };
}

function refuse(
  deps: Deps,
  row: ssoRepo.SsoProviderRow,
  ip: string,
  reason: string,
  message: string,
  messageKey: string,
  messageValues?: MessageArgs,
): never {
  logAccountEvent(deps, "sign_in.sso_refused", { providerId: row.id, ip, reason });
  throw new Forbidden(message, messageKey, messageValues);
}

/** The account a provider's identity signs in to, linked or created as the rules say. */
async function accountFor(
  deps: Deps,
  row: ssoRepo.SsoProviderRow,
  identity: Identity,
  ip: string,
): Promise<Actor> {
  const linkedId = await ssoRepo.useIdentity(deps.db, row.id, identity.subject);
  if (linkedId !== undefined) {
    const linked = await repo.findUserById(deps.db, linkedId);
    if (!linked || linked.disabled) {
      refuseDisabled(deps, row, ip);
    }
    logAccountEvent(deps, "sign_in.sso", { providerId: row.id, userId: linked.id, ip });
    return toActor(linked);
  }
  const { email } = identity;
  if (!email) {
    refuse(
      deps,
      row,
      ip,
      "no_email",
      `${row.name} did not say which email address you have.`,
      "error.sso.noEmail",
      { name: row.name },
    );
  }
  if (!identity.verified) {
    refuse(
      deps,
      row,
      ip,
      "unverified",
      `${row.name} has not verified the address ${email}.`,
      "error.sso.unverified",
      { name: row.name, email },
    );
  }
  let user = await repo.findUserByEmail(deps.db, email);
  if (!user) {
    const domain = email.slice(email.lastIndexOf("@") + 1);
    if (!row.newStaffDomains.includes(domain)) {
      refuse(
        deps,
        row,
        ip,
        "no_account",
        `No account uses ${email}. Ask an administrator to create one.`,
        "error.sso.noAccount",
        { email },
      );
    }
    const name = (identity.name || email.split("@")[0] || email).slice(0, NAME_MAX);
    user =
      (await repo.insertUser(deps.db, { email, name, role: "agent", passwordHash: null })) ??
      (await repo.findUserByEmail(deps.db, email));
    if (!user) throw new Error(`user ${email} neither inserted nor found`);
    logAccountEvent(deps, "sso.account_created", { providerId: row.id, userId: user.id, ip });
  }
  if (user.disabled) {
    refuseDisabled(deps, row, ip);
  }
  await ssoRepo.linkIdentity(deps.db, {
    providerId: row.id,
    subject: identity.subject,
    userId: user.id,
  });
  logAccountEvent(deps, "sign_in.sso", { providerId: row.id, userId: user.id, ip, linked: true });
  return toActor(user);
}
