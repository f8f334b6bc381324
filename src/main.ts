import { pruneExpired, setupLink } from "./accounts/accounts.service.ts";
import { buildApp } from "./app.ts";
import type { Config } from "./config.ts";
import { openDatabase } from "./db/client.ts";
import { databaseTarget } from "./db/target.ts";
import { checkMailboxSecrets, type EmailChannel, startEmailChannel } from "./email/index.ts";
import { translator } from "./i18n/i18n.ts";
import { pruneExpiredKeys } from "./idempotency/idempotency.service.ts";
import { logOptions } from "./platform/logging.ts";
import { composeReactions, watchCachedTables } from "./reactions.ts";
import { type Scheduler, startScheduler } from "./rules/scheduler.ts";
import { getLanguageDefaults } from "./settings/settings.service.ts";
import { startSlaScheduler } from "./sla/scheduler.ts";
import { sweepAbandonedUploads } from "./tickets/tickets.service.ts";
import { pruneDeliveries } from "./webhooks/webhooks.service.ts";
import { startWebhookWorker, type WebhookWorker } from "./webhooks/webhooks.worker.ts";

// Expired sessions, rate-limit windows, idempotency keys, abandoned uploads and finished webhook
// deliveries older than 30 days are cleared at start and this often after (by every node; harmless).
const HOUSEKEEPING_INTERVAL_MS = 60 * 60_000;

// In-flight requests get this long to finish after SIGTERM before the process exits anyway.
const SHUTDOWN_GRACE_MS = 10_000;

/** Pretty logs in a terminal, JSON lines otherwise (for collectors). */
function loggerOptions(config: Config): object {
  const base = logOptions(config.logLevel);
  return process.stdout.isTTY
    ? {
        ...base,
        transport: {
          target: "pino-pretty",
          options: { translateTime: "HH:MM:ss", ignore: "pid,hostname" },
        },
      }
    : base;
}

/** The server process: config -> database (migrated) -> app -> listen; stops cleanly on SIGTERM/SIGINT. */
export async function serve(config: Config): Promise<void> {
  const database = await openDatabase(databaseTarget(config));
  try {
    await database.migrate();
    // A mailbox secret the configured key cannot open: refuse to start, in one line.
    await checkMailboxSecrets({ db: database.db, config });
  } catch (error) {
    await database.close();
    throw error;
  }
  const events = composeReactions();
  const app = await buildApp(
    { db: database.db, config, events, listen: database.listen },
    { logger: loggerOptions(config) },
  );
  const deps = { db: database.db, config, log: app.log, events };
  const unwatchTables = await watchCachedTables(database, app.log);
  const housekeep = () => {
    Promise.all([
      pruneExpired(deps),
      sweepAbandonedUploads(deps),
      pruneExpiredKeys(deps),
      pruneDeliveries(deps),
    ]).catch((error: unknown) => app.log.error({ err: error }, "housekeeping failed"));
  };
  housekeep();
  const housekeeping = setInterval(housekeep, HOUSEKEEPING_INTERVAL_MS);
  housekeeping.unref();
  let email: EmailChannel | undefined;
  let scheduler: Scheduler | undefined;
  let slaScheduler: Scheduler | undefined;
  let webhooks: WebhookWorker | undefined;
  app.addHook("onClose", async () => {
    clearInterval(housekeeping);
    await Promise.all([
      email?.stop(),
      scheduler?.stop(),
      slaScheduler?.stop(),
      webhooks?.stop(),
      unwatchTables(),
    ]);
    await database.close();
  });

  let stopping = false;
  // While stopping, every answer closes its connection, and keep-alive connections
  // that fall idle are closed as they do: otherwise a client that was mid-request at
  // SIGTERM keeps its connection open and the server waits out the grace period.
  app.addHook("onSend", async (_req, reply) => {
    if (stopping) reply.header("connection", "close");
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      app.log.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    const closeIdle = setInterval(() => app.server.closeIdleConnections(), 50);
    closeIdle.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { database: database.kind, dataDir: config.dataDir, url: config.publicUrl.href },
    `Tessera is running at ${config.publicUrl.href}`,
  );
  email = await startEmailChannel(deps, { exclusive: database.kind === "pglite" });
  webhooks = startWebhookWorker(deps);
  if (config.rulesIntervalMs > 0) {
    scheduler = startScheduler(deps, config.rulesIntervalMs);
    // SLA notices and recomputation run on the same interval as time rules.
    slaScheduler = startSlaScheduler(deps, config.rulesIntervalMs);
  } else app.log.warn("Time rules are off (RULES_INTERVAL_SECONDS=0) on this node.");
  const link = await setupLink(deps);
  if (link) {
    // In the instance's language (English until an admin chooses another).
    const { locale, timeZone } = await getLanguageDefaults(deps.db);
    app.log.warn(translator(locale, timeZone).t("setup.logLink", { link }));
  }
}
