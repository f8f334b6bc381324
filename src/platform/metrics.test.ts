import assert from "node:assert/strict";
import { test } from "node:test";
import Fastify from "fastify";
import { makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { errorsPlugin } from "./errors.ts";
import { metricsPlugin } from "./metrics.ts";

/** The value of one sample line, e.g. `name{a="b"}`, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const TOKEN = "metrics-token-for-the-test-0123456789";

describeEachDatabase("metrics", (world) => {
  const scrape = async () => {
    const response = await world().app.inject({ method: "GET", url: "/metrics" });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    return response.body;
  };

  test("requests are counted and timed per route pattern and status class, never per raw URL", async () => {
    const customer = await makeCustomer(world().deps);
    const browser = await world().signedIn(customer);
    const before = await scrape();
    const series = 'method="GET",route="/tickets/:id",status_class="4xx"';
    const countBefore = sample(before, `tessera_http_requests_total{${series}}`) ?? 0;
    for (const id of [987_654_321, 987_654_322, 987_654_323]) {
      assert.equal((await browser.get(`/tickets/${id}`)).statusCode, 404);
    }
    await browser.get("/no/such/page/4242");
    const after = await scrape();
    assert.equal(sample(after, `tessera_http_requests_total{${series}}`), countBefore + 3);
    assert.equal(
      sample(after, `tessera_http_request_duration_seconds_count{${series}}`),
      countBefore + 3,
    );
    assert.ok(
      (sample(after, `tessera_http_request_duration_seconds_bucket{le="+Inf",${series}}`) ?? 0) >=
        3,
    );
    assert.ok(
      sample(
        after,
        'tessera_http_requests_total{method="GET",route="(unmatched)",status_class="4xx"}',
      ),
    );
    assert.doesNotMatch(after, /98765432\d|4242/, "no raw ids or URLs in labels");
  });

  test("the database is reported: its kind, and the pool on PostgreSQL", async () => {
    const text = await scrape();
    const kind = world().kind;
    assert.equal(sample(text, `tessera_database_info{kind="${kind}"}`), 1);
    if (kind === "postgres") {
      const total = sample(text, 'tessera_database_pool_connections{state="total"}');
      assert.ok(total !== undefined && total >= 1, `pool total: ${total}`);
      assert.notEqual(sample(text, 'tessera_database_pool_connections{state="idle"}'), undefined);
      assert.equal(sample(text, 'tessera_database_pool_connections{state="waiting"}'), 0);
    } else {
      assert.doesNotMatch(text, /tessera_database_pool_connections/);
    }
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });

  test("the outbox depth counts mail waiting to be sent", async () => {
    const before = sample(await scrape(), "tessera_outbox_pending");
    assert.notEqual(before, undefined);
    // A customer's new ticket queues their acknowledgement; without SMTP_URL it stays pending.
    await makeTicket(world().deps, await makeCustomer(world().deps));
    const after = sample(await scrape(), "tessera_outbox_pending") ?? 0;
    assert.ok(after > (before ?? 0), `outbox pending ${before} -> ${after}`);
  });

  test("without METRICS_TOKEN only unproxied loopback requests may read /metrics", async () => {
    const { app } = world();
    const remote = await app.inject({
      method: "GET",
      url: "/metrics",
      remoteAddress: "203.0.113.9",
    });
    assert.equal(remote.statusCode, 403);
    assert.doesNotMatch(remote.body, /tessera_http/);
    const proxied = await app.inject({
      method: "GET",
      url: "/metrics",
      headers: { "x-forwarded-for": "203.0.113.9" },
    });
    assert.equal(proxied.statusCode, 403);
    const forwarded = await app.inject({
      method: "GET",
      url: "/metrics",
      headers: { forwarded: "for=203.0.113.9" },
    });
    assert.equal(forwarded.statusCode, 403);
    const ipv6 = await app.inject({ method: "GET", url: "/metrics", remoteAddress: "::1" });
    assert.equal(ipv6.statusCode, 200);
  });
});

describeEachDatabase(
  "metrics with METRICS_TOKEN",
  (world) => {
    const get = (headers: Record<string, string>, remoteAddress = "203.0.113.9") =>
      world().app.inject({ method: "GET", url: "/metrics", headers, remoteAddress });

    test("the bearer token is required from everywhere, loopback included", async () => {
      assert.equal((await get({}, "127.0.0.1")).statusCode, 403);
      assert.equal((await get({ authorization: `Bearer ${TOKEN}x` })).statusCode, 403);
      assert.equal((await get({ authorization: `Basic ${TOKEN}` })).statusCode, 403);
      assert.equal((await get({ authorization: "Bearer " })).statusCode, 403);
      const ok = await get({ authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.statusCode, 200);
      assert.match(ok.body, /tessera_http_requests_total/);
    });
  },
  { env: { METRICS_TOKEN: TOKEN } },
);

test("the outbox depth is read at each scrape, and each app counts only its own requests", async () => {
  let pending = 7;
  const build = async () => {
    const app = Fastify();
    const deps = {
      db: {} as never,
      config: { metricsToken: undefined } as never,
      events: {} as never,
      log: { info() {}, warn() {}, error() {}, debug() {} },
      outboxCounter: async () => pending,
    };
    await app.register(errorsPlugin, deps);
    await app.register(metricsPlugin, deps);
    app.get("/ping", async () => "pong");
    await app.ready();
    return app;
  };
  const [one, two] = [await build(), await build()];
  try {
    await one.inject("/ping");
    await one.inject("/ping");
    const first = (await one.inject("/metrics")).body;
    assert.equal(sample(first, "tessera_outbox_pending"), 7);
    assert.equal(
      sample(first, 'tessera_http_requests_total{method="GET",route="/ping",status_class="2xx"}'),
      2,
    );
    pending = 0;
    assert.equal(sample((await one.inject("/metrics")).body, "tessera_outbox_pending"), 0);
    const other = (await two.inject("/metrics")).body;
    assert.equal(
      sample(other, 'tessera_http_requests_total{method="GET",route="/ping",status_class="2xx"}'),
      undefined,
    );
  } finally {
    await one.close();
    await two.close();
  }
});

test("a METRICS_TOKEN shorter than 16 characters is refused at start", () => {
  assert.throws(
    () => loadConfig({ METRICS_TOKEN: "short" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.some((p) => p.startsWith("METRICS_TOKEN must be at least 16 characters")),
  );
  assert.equal(loadConfig({}).metricsToken, undefined);
  assert.equal(loadConfig({ METRICS_TOKEN: ` ${TOKEN} ` }).metricsToken, TOKEN);
});
