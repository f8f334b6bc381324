import { type Actor, isAdmin } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { type FieldError, Forbidden, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { openSecret, sealSecret } from "../lib/secrets.ts";
import { findTeam } from "../teams/index.ts";
import * as repo from "./mailboxes.repo.ts";

/**
 * IMAP mailboxes: what admins add on the Email > Mailboxes page, and what the
 * fetcher (mailboxes.fetcher.ts) and the sender (mailboxes.sender.ts) read.
 * Passwords and tokens are sealed with MAILBOX_SECRET_KEY before they are
 * written and are never handed back to a page: a view only says whether one is set.
 */

export const TLS_MODES = ["tls", "starttls", "off"] as const;
export type TlsMode = (typeof TLS_MODES)[number];
export const AUTH_KINDS = ["password", "oauth2"] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];
export const AFTER_IMPORT = ["seen", "move"] as const;
export type AfterImport = (typeof AFTER_IMPORT)[number];

/** What the admin form sends: every field a string; a blank secret keeps the stored one. */
export interface MailboxInput {
  address?: string | undefined;
  name?: string | undefined;
  imapHost?: string | undefined;
  imapPort?: string | undefined;
  imapTls?: string | undefined;
  imapUser?: string | undefined;
  imapAuth?: string | undefined;
  imapSecret?: string | undefined;
  folder?: string | undefined;
  afterImport?: string | undefined;
  moveTo?: string | undefined;
  smtpHost?: string | undefined;
  smtpPort?: string | undefined;
  smtpTls?: string | undefined;
  smtpUser?: string | undefined;
  smtpSecret?: string | undefined;
  /** The id of the team its new tickets go to; blank: none. */
  teamId?: string | undefined;
  /** Present and "true" when the form's "Fetch mail" box is ticked. */
  enabled?: string | undefined;
}

/** A mailbox as a page may show it: never its secrets, only whether they are set. */
export type MailboxView = Omit<repo.MailboxRow, "imapSecret" | "smtpSecret" | "leaseToken"> & {
  hasImapSecret: boolean;
  hasSmtpSecret: boolean;
  /** Messages fetched from it so far. */
  messages: number;
};

/** The connection settings the fetcher uses, with the secret opened. */
export interface MailboxConnection {
  id: number;
  address: string;
  imap: {
    host: string;
    port: number;
    tls: TlsMode;
    user: string;
    auth: AuthKind;
    secret: string;
  };
  folder: string;
  afterImport: AfterImport;
  moveTo: string | null;
}

export const NO_KEY_MESSAGE =
  "cannot be stored: MAILBOX_SECRET_KEY is not set. Set it to 32 random bytes (openssl rand -base64 32) in the environment of every node and restart Tessera.";

const ADDRESS =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const HOST =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function view(row: repo.MailboxRow, messages: number): MailboxView {
  const { imapSecret, smtpSecret, leaseToken: _lease, ...rest } = row;
  return {
    ...rest,
    hasImapSecret: imapSecret !== null,
    hasSmtpSecret: smtpSecret !== null,
    messages,
  };
}

function requireAdminActor(actor: Actor): void {
  if (!isAdmin(actor)) throw new Forbidden();
}

/** Checks the form, field by field; returns the values to store (secrets still in the clear). */
function validate(
  input: MailboxInput,
  existing: repo.MailboxRow | undefined,
): {
  values: Omit<repo.MailboxValues, "imapSecret" | "smtpSecret">;
  imapSecret: string | undefined;
  smtpSecret: string | undefined;
} {
  const errors: FieldError[] = [];
  const text = (name: keyof MailboxInput, max: number, required: boolean): string => {
    const value = (input[name] ?? "").trim();
    if (required && value === "")
      errors.push(fieldProblem(name, "is required", "error.field.required"));
    else if (value.length > max)
      errors.push(
        fieldProblem(name, `must be at most ${max} characters`, "error.field.maxLength", { max }),
      );
    else if (CONTROL.test(value))
      errors.push(fieldProblem(name, "must be on one line", "error.field.oneLine"));
    return value;
  };
  const oneOf = <T extends string>(
    name: keyof MailboxInput,
    list: readonly T[],
    fallback: T,
  ): T => {
    const value = (input[name] ?? "").trim();
    if (value === "") return fallback;
    if ((list as readonly string[]).includes(value)) return value as T;
    const choices = list.join(", ");
    errors.push(fieldProblem(name, `must be one of ${choices}`, "error.field.oneOf", { choices }));
    return fallback;
  };
  const port = (name: keyof MailboxInput, fallback: number): number => {
    const raw = (input[name] ?? "").trim();
    if (raw === "") return fallback;
    const value = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= 1 && value <= 65535)) {
      errors.push(fieldProblem(name, "must be a number from 1 to 65535", "error.field.port"));
      return fallback;
    }
    return value;
  };
  const host = (name: keyof MailboxInput, required: boolean): string => {
    const value = text(name, 253, required);
    if (value !== "" && !HOST.test(value)) {
      errors.push(
        fieldProblem(
          name,
          "must be a host name like imap.example.com or an IPv4 address",
          "error.field.host",
        ),
      );
    }
    return value.toLowerCase();
  };

  const address = text("address", 254, true).toLowerCase();
  if (address !== "" && !ADDRESS.test(address)) {
    errors.push(
      fieldProblem(
        "address",
        "must be an address like support@example.com",
        "error.field.mailboxAddress",
      ),
    );
  }
  const name = text("name", 100, false);
  if (/["<>]/.test(name))
    errors.push(fieldProblem("name", 'must not contain ", < or >', "error.field.displayNameChars"));
  const imapHost = host("imapHost", true);
  const imapTls = oneOf("imapTls", TLS_MODES, "tls");
  const imapPort = port("imapPort", imapTls === "tls" ? 993 : 143);
  const imapUser = text("imapUser", 320, true);
  const imapAuth = oneOf("imapAuth", AUTH_KINDS, "password");
  const imapSecret = text("imapSecret", 8192, false) || undefined;
  if (imapSecret === undefined && !existing?.imapSecret) {
    errors.push(
      imapAuth === "oauth2"
        ? fieldProblem(
            "imapSecret",
            "is required (the OAuth2 access token)",
            "error.field.oauthToken",
          )
        : fieldProblem("imapSecret", "is required", "error.field.required"),
    );
  }
  const folder = text("folder", 200, false) || "INBOX";
  const afterImport = oneOf("afterImport", AFTER_IMPORT, "seen");
  const moveTo = text("moveTo", 200, false) || null;
  if (afterImport === "move" && moveTo === null) {
    errors.push(
      fieldProblem(
        "moveTo",
        "is required when messages are moved after import",
        "error.field.moveToRequired",
      ),
    );
  } else if (afterImport === "move" && moveTo === folder) {
    errors.push(
      fieldProblem("moveTo", "must differ from the folder fetched", "error.field.moveToSame"),
    );
  }
  const smtpHost = host("smtpHost", false) || null;
  const smtpTls = smtpHost ? oneOf("smtpTls", TLS_MODES, "starttls") : null;
  const smtpPort = smtpHost
    ? port("smtpPort", smtpTls === "tls" ? 465 : smtpTls === "starttls" ? 587 : 25)
    : null;
  const smtpUser = smtpHost ? text("smtpUser", 320, false) || null : null;
  const smtpSecret = smtpHost ? text("smtpSecret", 8192, false) || undefined : undefined;
  if (smtpSecret !== undefined && smtpUser === null) {
    errors.push(
      fieldProblem("smtpUser", "is required with an SMTP password", "error.field.smtpUser"),
    );
  }
  const teamText = (input.teamId ?? "").trim();
  const teamId = teamText === "" ? null : /^[1-9]\d{0,8}$/.test(teamText) ? Number(teamText) : 0;
  if (teamId === 0) errors.push(fieldProblem("teamId", "is not a team", "error.field.notATeam"));
  if (errors.length > 0) throw new Invalid(errors);
  return {
    values: {
      address,
      name,
      enabled: input.enabled === undefined ? (existing?.enabled ?? true) : input.enabled === "true",
      imapHost,
      imapPort,
      imapTls,
      imapUser,
      imapAuth,
      folder,
      afterImport,
      moveTo: afterImport === "move" ? moveTo : null,
      smtpHost,
      smtpPort,
      smtpTls,
      smtpUser,
      // Not sent (a form without the field): kept.
      teamId: input.teamId === undefined ? (existing?.teamId ?? null) : teamId || null,
    },
    imapSecret,
    smtpSecret,
  };
}

function seal(deps: Deps, field: string, secret: string): string {
  const key = deps.config.mailboxSecretKey;
  if (!key) throw Invalid.field(field, NO_KEY_MESSAGE, "error.field.noSecretKey");
  return sealSecret(key, secret);
}

/** Admins: every mailbox, without secrets. */
export async function listMailboxes(deps: Deps, actor: Actor): Promise<MailboxView[]> {
  requireAdminActor(actor);
  const [rows, counts] = await Promise.all([
    repo.listMailboxes(deps.db),
    repo.countMessages(deps.db),
  ]);
  return rows.map((r) => view(r, counts.get(r.id) ?? 0));
}

/** Admins: one mailbox, without secrets. */
export async function getMailbox(deps: Deps, actor: Actor, id: number): Promise<MailboxView> {
  requireAdminActor(actor);
  const row = await repo.findMailbox(deps.db, id);
  if (!row) throw new NotFound("mailbox", id);
  return view(row, 0);
}

async function checkTeam(deps: Deps, teamId: number | null): Promise<void> {
  if (teamId !== null && !(await findTeam(deps.db, teamId))) {
    throw Invalid.field("teamId", "is not a team", "error.field.notATeam");
  }
}

async function checkAddressFree(deps: Deps, address: string, id?: number): Promise<void> {
  const other = await repo.findMailboxByAddress(deps.db, address);
  if (other && other.id !== id)
    throw Invalid.field("address", "is already a mailbox here", "error.field.mailboxTaken");
}

/**
 * Admins: adds a mailbox. Its password or token is required and sealed with
 * MAILBOX_SECRET_KEY; without a key it is refused, saying what to set.
 */
export async function createMailbox(
  deps: Deps,
  actor: Actor,
  input: MailboxInput,
): Promise<MailboxView> {
  requireAdminActor(actor);
  const { values, imapSecret, smtpSecret } = validate(input, undefined);
  await checkAddressFree(deps, values.address);
  await checkTeam(deps, values.teamId ?? null);
  const row = await repo.insertMailbox(deps.db, {
    ...values,
    imapSecret: imapSecret === undefined ? null : seal(deps, "imapSecret", imapSecret),
    smtpSecret: smtpSecret === undefined ? null : seal(deps, "smtpSecret", smtpSecret),
  });
  return view(row, 0);
}

/** Admins: changes a mailbox; blank secrets keep the stored ones. Its fetcher restarts with the change. */
export async function updateMailbox(
  deps: Deps,
  actor: Actor,
  id: number,
  input: MailboxInput,
): Promise<MailboxView> {
  requireAdminActor(actor);
  const existing = await repo.findMailbox(deps.db, id);
  if (!existing) throw new NotFound("mailbox", id);
  const { values, imapSecret, smtpSecret } = validate(input, existing);
  await checkAddressFree(deps, values.address, id);
  await checkTeam(deps, values.teamId ?? null);
  const row = await repo.updateMailbox(deps.db, id, {
    ...values,
    ...(imapSecret === undefined ? {} : { imapSecret: seal(deps, "imapSecret", imapSecret) }),
    ...(values.smtpHost === null
      ? { smtpSecret: null }
      : smtpSecret === undefined
        ? {}
        : { smtpSecret: seal(deps, "smtpSecret", smtpSecret) }),
  });
  if (!row) throw new NotFound("mailbox", id);
  return view(row, 0);
}

/** Admins: starts or stops fetching a mailbox. */
export async function setMailboxEnabled(
  deps: Deps,
  actor: Actor,
  id: number,
  enabled: boolean,
): Promise<void> {
  requireAdminActor(actor);
  if (!(await repo.updateMailbox(deps.db, id, { enabled }))) throw new NotFound("mailbox", id);
}

/** Admins: removes a mailbox. Mail fetched from it stays (inbound mail and tickets). */
export async function deleteMailbox(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdminActor(actor);
  if (!(await repo.deleteMailbox(deps.db, id))) throw new NotFound("mailbox", id);
}

/**
 * Start-up: every stored secret must open with MAILBOX_SECRET_KEY. Throws one
 * line naming the first mailbox that does not (a changed or missing key), so
 * the server refuses to start instead of failing to fetch in the background.
 */
export async function checkMailboxSecrets(deps: Pick<Deps, "db" | "config">): Promise<void> {
  const rows = await repo.listSecrets(deps.db);
  if (rows.length === 0) return;
  const key = deps.config.mailboxSecretKey;
  for (const row of rows) {
    for (const sealed of [row.imapSecret, row.smtpSecret]) {
      if (sealed === null) continue;
      if (!key || openSecret(key, sealed) === undefined) {
        throw new Error(
          key
            ? `MAILBOX_SECRET_KEY cannot decrypt the stored password of mailbox ${row.address} (id ${row.id}): set the key it was saved with, or enter its password again after starting with the new key and the mailbox deleted.`
            : `MAILBOX_SECRET_KEY is not set but mailbox ${row.address} (id ${row.id}) has a stored password: set the key it was saved with.`,
        );
      }
    }
  }
}

function open(deps: Deps, sealed: string | null): string {
  const key = deps.config.mailboxSecretKey;
  const plain = key && sealed !== null ? openSecret(key, sealed) : undefined;
  // Start-up checked every secret; a key changed since needs a restart anyway.
  if (plain === undefined) throw new Error("the mailbox's stored secret cannot be decrypted");
  return plain;
}

/** The fetcher's settings for a claimed mailbox, its secret opened. */
export function connectionOf(deps: Deps, row: repo.MailboxRow): MailboxConnection {
  return {
    id: row.id,
    address: row.address,
    imap: {
      host: row.imapHost,
      port: row.imapPort,
      tls: row.imapTls,
      user: row.imapUser,
      auth: row.imapAuth,
      secret: open(deps, row.imapSecret),
    },
    folder: row.folder,
    afterImport: row.afterImport,
    moveTo: row.moveTo,
  };
}

/** How mail about a ticket is sent: From its mailbox (when it came in on one), over its SMTP when set. */
export interface MailRoute {
  mailboxId: number;
  /** Changes whenever the mailbox is edited (a cached transport is made again). */
  version: string;
  from: { name: string; address: string };
  smtp:
    | { host: string; port: number; tls: TlsMode; user: string | null; pass: string | null }
    | undefined;
}

/** The route of mail about `ticketId`; undefined for a ticket that came in no mailbox. */
export async function routeOfTicket(
  deps: Deps,
  ticketId: number | null,
): Promise<MailRoute | undefined> {
  if (ticketId === null) return undefined;
  const row = await repo.mailboxOfTicket(deps.db, ticketId);
  if (!row) return undefined;
  return {
    mailboxId: row.id,
    version: row.updatedAt.toISOString(),
    from: { name: row.name || deps.config.mailFromName, address: row.address },
    smtp:
      row.smtpHost && row.smtpPort && row.smtpTls
        ? {
            host: row.smtpHost,
            port: row.smtpPort,
            tls: row.smtpTls,
            user: row.smtpUser,
            pass: row.smtpSecret === null ? null : open(deps, row.smtpSecret),
          }
        : undefined,
  };
}

/** Whether any mailbox sends over its own SMTP (the outbox worker then runs without SMTP_URL). */
export async function anyMailboxSmtp(deps: Deps): Promise<boolean> {
  return (await repo.listMailboxes(deps.db)).some((m) => m.smtpHost !== null);
}
