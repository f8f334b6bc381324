import { after, before, describe } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.ts";
import type { Database } from "../../src/db/client.ts";
import type { Deps } from "../../src/deps.ts";
import { Browser } from "./browser.ts";
import { createTestDatabase, type DbKind, databaseKinds, type TestDatabase } from "./db.ts";
import type { TestUser } from "./factories.ts";

export interface World {
  readonly kind: DbKind;
  readonly deps: Deps;
  readonly app: FastifyInstance;
  /** A new browser with no cookies. */
  browser(): Browser;
  /** A new browser signed in as `user`. */
  signedIn(user: TestUser): Promise<Browser>;
  /** The database's LISTEN, as the server passes it to what watches for changes. */
  readonly listen: Database["listen"];
}

/**
 * Runs a suite once per database kind (PGlite, and PostgreSQL when
 * TEST_DATABASE_URL is set), each with a fresh database and app.
 */
export function describeEachDatabase(
  name: string,
  suite: (world: () => World) => void,
  options: { env?: Record<string, string>; logQuery?: (sql: string) => void } = {},
): void {
  for (const kind of databaseKinds()) {
    describe(`${name} [${kind}]`, () => {
      let testDb: TestDatabase;
      let world: World;
      before(async () => {
        testDb = await createTestDatabase(kind, options.env, {
          ...(options.logQuery ? { logQuery: options.logQuery } : {}),
        });
        const app = await buildApp({
          db: testDb.deps.db,
          config: testDb.deps.config,
          events: testDb.deps.events,
          listen: testDb.database.listen,
        });
        await app.ready();
        world = {
          kind,
          deps: testDb.deps,
          app,
          listen: testDb.database.listen,
          browser: () => new Browser(app),
          async signedIn(user) {
            const browser = new Browser(app);
            await browser.signIn(user.email, user.password);
            return browser;
          },
        };
      });
      after(async () => {
        await world?.app.close();
        await testDb?.close();
      });
      suite(() => world);
    });
  }
}
