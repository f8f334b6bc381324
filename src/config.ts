import path from "node:path";

/**
 * The only reader of process.env. Every setting is listed here with its default;
 * `.env.example` and the README's configuration table mirror this list.
 */
export interface Config {
  /** TCP port the web server listens on. */
  readonly port: number;
  /** Interface to bind; 0.0.0.0 to accept connections from other machines. */
  readonly host: string;
  /** Where the embedded database, attachments and the lock live. */
  readonly dataDir: string;
  /** PostgreSQL server to use instead of the embedded database. */
  readonly databaseUrl: string | undefined;
  /** Connections each app node keeps to a PostgreSQL server. */
  readonly databasePoolMax: number;
  /** The address people use to reach Tessera; links in logs and mail are built from it. */
  readonly publicUrl: URL;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  readonly logLevel: string;
  /** Bearer token that lets a scraper read /metrics from anywhere; unset = loopback only. */
  readonly metricsToken: string | undefined;
  /** Largest accepted attachment, in bytes. */
  readonly maxAttachmentBytes: number;
  /** A session unused for this long ends. */
  readonly sessionIdleMs: number;
  /** A session ends this long after sign-in, however busy. */
  readonly sessionMaxMs: number;
  /** Trust X-Forwarded-* headers from the one reverse proxy directly in front of Tessera. */
  readonly trustProxy: boolean;
  /** API requests each user (or, unauthenticated, each IP) may make per minute on one node; 0 turns the limit off. */
  readonly apiRateLimitPerMinute: number;
  /** Cookies get the Secure flag (derived from PUBLIC_URL being https). */
  readonly secureCookies: boolean;
  /** Outgoing mail server (smtp:// or smtps://); unset = mail is queued but not delivered. */
  readonly smtpUrl: string | undefined;
  /** The support address: From of every mail, and the base of reply addresses (support+token@...). */
  readonly mailFrom: string;
  /** Display name on outgoing mail. */
  readonly mailFromName: string;
  /** Delivery attempts per message before it is marked failed (shown to admins). */
  readonly mailMaxTries: number;
  /** Longest one SMTP delivery may take; a message claimed by a process that died is retried after twice this. */
  readonly mailSendTimeoutMs: number;
  /** Port of the built-in inbound SMTP listener; undefined = off. */
  readonly inboundSmtpPort: number | undefined;
  /** Interface the inbound SMTP listener binds. */
  readonly inboundSmtpHost: string;
  /** Recipients the listener accepts: bare domains (any address there) or addresses (and their +tags). */
  readonly inboundSmtpDomains: readonly string[];
  /** Largest inbound message, in bytes; bigger ones are refused at SMTP time with 552. */
  readonly inboundMaxBytes: number;
  /** New tickets one sender address may open by mail per hour; more are kept and ignored. */
  readonly inboundTicketsPerHour: number;
  /** Automatic mails (acknowledgements, rule mails) to one address per hour; more are suppressed (mail loops). */
  readonly autoReplyLimitPerHour: number;
  /** Most SMTP clients the inbound listener serves at once; more get 421. */
  readonly inboundSmtpMaxClients: number;
  /** How often each node looks for time rules that are due (RULES_INTERVAL_SECONDS, default 60; 0 = never). */
  readonly rulesIntervalMs: number;
  /** MAILBOX_SECRET_KEY: 32 bytes (base64 or hex) that encrypt mailbox passwords and tokens; undefined = none can be stored. */
  readonly mailboxSecretKey: Buffer | undefined;
  /** How often a mailbox is checked when IDLE says nothing (and new mailboxes are picked up), MAILBOX_POLL_SECONDS. */
  readonly mailboxPollMs: number;
  /** How long one node's claim on a mailbox lasts unless renewed (another node takes over after), MAILBOX_LEASE_SECONDS. */
  readonly mailboxLeaseMs: number;
  /** WEBHOOK_ALLOW_HOSTS: `host:port` pairs webhooks may reach although they are private or loopback (lower-cased; IPv6 in brackets). */
  readonly webhookAllowHosts: readonly string[];
  /** Longest one webhook delivery may take (connect to last byte), WEBHOOK_TIMEOUT_SECONDS. */
  readonly webhookTimeoutMs: number;
  /** Attempts per delivery before it is marked failed (it is also given up 24 hours after the event), WEBHOOK_MAX_ATTEMPTS. */
  readonly webhookMaxAttempts: number;
  /** How long a rotated-out secret keeps signing alongside the new one, WEBHOOK_SECRET_GRACE_HOURS. */
  readonly webhookSecretGraceMs: number;
  /** Offer the pseudo-locale (`en-XA`: accented, lengthened catalog text) for checking pages; never in production. */
  readonly pseudoLocale: boolean;
}

type Env = Record<string, string | undefined>;

const MAIL_DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const MAIL_ADDRESS =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/** A WEBHOOK_ALLOW_HOSTS entry: a host name, an IPv4 address or a bracketed IPv6 address, then a port. */
const ALLOW_HOST = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\]):\d{1,5}$/;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Thrown with every configuration problem found, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

/** MAILBOX_SECRET_KEY: exactly 32 bytes, written as 64 hex digits or in base64. */
function parseSecretKey(raw: string | undefined, problems: string[]): Buffer | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const key = /^[0-9a-f]{64}$/i.test(text)
    ? Buffer.from(text, "hex")
    : /^[A-Za-z0-9+/]{43}=?$/.test(text)
      ? Buffer.from(text, "base64")
      : undefined;
  if (key?.length !== 32) {
    problems.push(
      "MAILBOX_SECRET_KEY must be 32 random bytes in base64 or hex (try: openssl rand -base64 32)",
    );
    return undefined;
  }
  return key;
}

/** Parses and validates the environment once; reports every problem at once. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return fallback;
    // Plain decimal digits only: Number() would also take "0x50", "1e3" or "80.0".
    const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === "") return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${env[name]}"`);
    return fallback;
  };

  const port = int("PORT", 3000, 1, 65535);
  const host = env.HOST?.trim() || "127.0.0.1";
  const dataDir = path.resolve(cwd, env.DATA_DIR?.trim() || "data");

  let databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl) {
    try {
      const url = new URL(databaseUrl);
      if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
        problems.push(
          `DATABASE_URL must start with postgres:// or postgresql://, got "${url.protocol}"`,
        );
        databaseUrl = undefined;
      }
    } catch {
      problems.push("DATABASE_URL must be a URL like postgres://user:password@host:5432/tessera");
      databaseUrl = undefined;
    }
  }
  const databasePoolMax = int("DATABASE_POOL_MAX", 10, 1, 1000);

  let publicUrl = new URL(`http://localhost:${port}`);
  const rawPublicUrl = env.PUBLIC_URL?.trim();
  if (rawPublicUrl) {
    try {
      const url = new URL(rawPublicUrl);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("protocol");
      publicUrl = url;
    } catch {
      problems.push(`PUBLIC_URL must be an http:// or https:// URL, got "${rawPublicUrl}"`);
    }
  }

  const logLevel = env.LOG_LEVEL?.trim().toLowerCase() || "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${env.LOG_LEVEL}"`);
  }

  const metricsToken = env.METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) {
    problems.push("METRICS_TOKEN must be at least 16 characters (try: openssl rand -hex 32)");
  }

  const maxAttachmentMb = int("MAX_ATTACHMENT_MB", 10, 1, 1024);
  const sessionIdleHours = int("SESSION_IDLE_HOURS", 24 * 7, 1, 24 * 365);
  const sessionMaxDays = int("SESSION_MAX_DAYS", 30, 1, 365);
  const trustProxy = bool("TRUST_PROXY", false);
  const pseudoLocale = bool("PSEUDO_LOCALE", false);
  const apiRateLimitPerMinute = int("API_RATE_LIMIT_PER_MINUTE", 600, 0, 1_000_000);

  let smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl) {
    try {
      const url = new URL(smtpUrl);
      if (url.protocol !== "smtp:" && url.protocol !== "smtps:") throw new Error("protocol");
      if (!url.hostname) throw new Error("host");
    } catch {
      problems.push("SMTP_URL must be a URL like smtp://user:password@mail.example.com:587");
      smtpUrl = undefined;
    }
  }
  // Default: support@ the PUBLIC_URL host, when that is a name an address can have (not an IP literal).
  const derivedFrom = `support@${publicUrl.hostname.toLowerCase()}`;
  const mailFrom = (
    env.MAIL_FROM?.trim() || (MAIL_ADDRESS.test(derivedFrom) ? derivedFrom : "support@localhost")
  ).toLowerCase();
  if (!MAIL_ADDRESS.test(mailFrom) || mailFrom.split("@")[0]?.includes("+")) {
    problems.push(`MAIL_FROM must be a plain address like support@example.com, got "${mailFrom}"`);
  }
  const mailFromName = (env.MAIL_FROM_NAME?.trim() || "Support").replace(/[\r\n"<>]/g, "");
  const mailMaxTries = int("MAIL_MAX_TRIES", 8, 1, 100);
  const mailSendTimeoutSeconds = int("MAIL_SEND_TIMEOUT_SECONDS", 60, 1, 3600);
  const inboundSmtpPort = env.INBOUND_SMTP_PORT?.trim()
    ? int("INBOUND_SMTP_PORT", 0, 1, 65535)
    : undefined;
  const inboundSmtpHost = env.INBOUND_SMTP_HOST?.trim() || "127.0.0.1";
  const inboundSmtpDomains = (env.INBOUND_SMTP_DOMAINS?.trim() || mailFrom)
    .split(",")
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== "");
  for (const entry of inboundSmtpDomains) {
    if (!MAIL_ADDRESS.test(entry) && !MAIL_DOMAIN.test(entry)) {
      problems.push(
        `INBOUND_SMTP_DOMAINS must list domains or addresses separated by commas, got "${entry}"`,
      );
    }
  }
  const inboundMaxMb = int("INBOUND_MAX_MB", 25, 1, 1024);
  const inboundTicketsPerHour = int("INBOUND_TICKETS_PER_HOUR", 20, 1, 100_000);
  const autoReplyLimitPerHour = int("AUTO_REPLY_LIMIT_PER_HOUR", 3, 1, 10_000);
  const inboundSmtpMaxClients = int("INBOUND_SMTP_MAX_CLIENTS", 200, 1, 100_000);
  const rulesIntervalSeconds = int("RULES_INTERVAL_SECONDS", 60, 0, 86_400);
  const mailboxSecretKey = parseSecretKey(env.MAILBOX_SECRET_KEY, problems);
  const mailboxPollSeconds = int("MAILBOX_POLL_SECONDS", 60, 1, 3600);
  const mailboxLeaseSeconds = int("MAILBOX_LEASE_SECONDS", 60, 2, 3600);

  const webhookAllowHosts = (env.WEBHOOK_ALLOW_HOSTS ?? "")
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  for (const entry of webhookAllowHosts) {
    if (!ALLOW_HOST.test(entry)) {
      problems.push(
        `WEBHOOK_ALLOW_HOSTS must list host:port pairs separated by commas (IPv6 as [::1]:8080), got "${entry}"`,
      );
    }
  }
  const webhookTimeoutSeconds = int("WEBHOOK_TIMEOUT_SECONDS", 10, 1, 300);
  const webhookMaxAttempts = int("WEBHOOK_MAX_ATTEMPTS", 20, 1, 100);
  const webhookSecretGraceHours = int("WEBHOOK_SECRET_GRACE_HOURS", 24, 0, 24 * 30);

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    port,
    host,
    dataDir,
    databaseUrl,
    databasePoolMax,
    publicUrl,
    logLevel,
    metricsToken,
    maxAttachmentBytes: maxAttachmentMb * 1024 * 1024,
    sessionIdleMs: sessionIdleHours * 3600_000,
    sessionMaxMs: sessionMaxDays * 24 * 3600_000,
    trustProxy,
    apiRateLimitPerMinute,
    secureCookies: publicUrl.protocol === "https:",
    smtpUrl,
    mailFrom,
    mailFromName,
    mailMaxTries,
    mailSendTimeoutMs: mailSendTimeoutSeconds * 1000,
    inboundSmtpPort,
    inboundSmtpHost,
    inboundSmtpDomains: Object.freeze(inboundSmtpDomains),
    inboundMaxBytes: inboundMaxMb * 1024 * 1024,
    inboundTicketsPerHour,
    autoReplyLimitPerHour,
    inboundSmtpMaxClients,
    rulesIntervalMs: rulesIntervalSeconds * 1000,
    mailboxSecretKey,
    mailboxPollMs: mailboxPollSeconds * 1000,
    mailboxLeaseMs: mailboxLeaseSeconds * 1000,
    webhookAllowHosts: Object.freeze(webhookAllowHosts),
    webhookTimeoutMs: webhookTimeoutSeconds * 1000,
    webhookMaxAttempts,
    webhookSecretGraceMs: webhookSecretGraceHours * 3600_000,
    pseudoLocale,
  });
}
