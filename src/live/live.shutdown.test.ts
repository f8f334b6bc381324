import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import {
  type Account,
  createStore,
  type Server,
  type Store,
  seedAccounts,
  startServer,
  Visitor,
} from "../../test/resilience/server.ts";

/**
 * The real server process (the bundle: run `npm run build` first) stops on
 * SIGTERM at once even with live streams open: they are ended before the
 * server waits for its connections, and the process exits 0.
 */
describe("live streams and SIGTERM", () => {
  let store: Store;
  let server: Server;
  let agent: Account;

  before(async () => {
    store = await createStore("pglite");
    [agent] = (await seedAccounts(store, 1, "agent")) as [Account];
    server = await startServer(store);
  });

  after(async () => {
    await server?.stop(2_000);
    await store?.remove();
  });

  test("open streams end and the process exits 0 well within the grace period", async () => {
    const visitor = new Visitor();
    await visitor.get(server, "/login");
    const signedIn = await visitor.post(server, "/login", {
      email: agent.email,
      password: agent.password,
    });
    assert.equal(signedIn.status, 303);
    const cookie = visitor
      .cookieValues()
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
    const ended: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      // Wrapped: a promise resolved with a promise would wait for it.
      const { closed } = await new Promise<{ closed: Promise<void> }>((resolve, reject) => {
        const req = http.get(`${server.url}/live`, { headers: { cookie } });
        req.on("error", reject);
        req.on("response", (res) => {
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers["content-type"]), /^text\/event-stream/);
          const closed = new Promise<void>((done) => res.on("close", () => done()));
          res.once("data", () => resolve({ closed }));
        });
      });
      ended.push(closed);
    }
    const started = Date.now();
    const exit = await server.stop(8_000);
    await Promise.all(ended);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  });
});
