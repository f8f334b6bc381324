import {
  bigint,
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { inboundEmails } from "./email.ts";
import { teams } from "./teams.ts";

/** `tls`: TLS from the first byte (IMAPS 993, SMTPS 465); `starttls`: upgraded, required; `off`: plain. */
export const mailboxTls = pgEnum("mailbox_tls", ["tls", "starttls", "off"]);
/** How Tessera signs in to IMAP: a password, or an OAuth2 access token (XOAUTH2). */
export const mailboxAuth = pgEnum("mailbox_auth", ["password", "oauth2"]);
/** What happens to a message on the server once it is stored: flagged \Seen, or moved to a folder. */
export const mailboxAfterImport = pgEnum("mailbox_after_import", ["seen", "move"]);

/**
 * IMAP mailboxes Tessera fetches mail from (src/email/mailboxes.*). Secrets are
 * stored encrypted (AES-256-GCM, MAILBOX_SECRET_KEY; src/lib/secrets.ts), never
 * in the clear. One node fetches a mailbox at a time: the lease columns.
 */
export const mailboxes = pgTable("mailboxes", {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  /** The support address (lower case): From of mail about its tickets. */
  address: text().notNull().unique(),
  /** Display name on outgoing mail; empty = MAIL_FROM_NAME. */
  name: text().notNull().default(""),
  enabled: boolean().notNull().default(true),
  imapHost: text().notNull(),
  imapPort: integer().notNull(),
  imapTls: mailboxTls().notNull().default("tls"),
  imapUser: text().notNull(),
  imapAuth: mailboxAuth().notNull().default("password"),
  /** The password or access token, encrypted; null when none was given. */
  imapSecret: text(),
  folder: text().notNull().default("INBOX"),
  afterImport: mailboxAfterImport().notNull().default("seen"),
  /** The folder messages are moved to when `afterImport` is `move`. */
  moveTo: text(),
  /**
   * The team of the tickets its mail opens (set by the system, whatever the
   * sender writes); null: no team.
   */
  teamId: integer().references(() => teams.id, { onDelete: "set null" }),
  /** Outgoing mail for its tickets; null host = the global SMTP_URL. */
  smtpHost: text(),
  smtpPort: integer(),
  smtpTls: mailboxTls(),
  smtpUser: text(),
  smtpSecret: text(),
  /** The node fetching it: a random token and how long its claim lasts unless renewed. */
  leaseToken: text(),
  leaseUntil: timestamp({ withTimezone: true, precision: 3 }),
  /** The folder's UIDVALIDITY when last fetched (a change is logged). */
  uidValidity: bigint({ mode: "number" }),
  lastSuccessAt: timestamp({ withTimezone: true, precision: 3 }),
  lastError: text(),
  lastErrorAt: timestamp({ withTimezone: true, precision: 3 }),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/**
 * Where an inbound message came from on IMAP: written in the transaction that
 * stores it (and makes its ticket or reply), before it is flagged or moved on
 * the server, so a fetch after a crash recognises it by (mailbox, UIDVALIDITY, UID).
 */
export const mailboxMessages = pgTable(
  "mailbox_messages",
  {
    mailboxId: integer()
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    uidValidity: bigint({ mode: "number" }).notNull(),
    uid: bigint({ mode: "number" }).notNull(),
    inboundId: integer()
      .notNull()
      .references(() => inboundEmails.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.mailboxId, t.uidValidity, t.uid] }),
    // A ticket's mailbox: through its inbound mail.
    index("mailbox_messages_inbound_idx").on(t.inboundId),
  ],
);
