import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { Browser } from "../../test/helpers/browser.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/helpers/db.ts";
import { makeAdmin, makeAgent, makeCustomer, type TestUser } from "../../test/helpers/factories.ts";
import { until } from "../../test/helpers/wait.ts";
import { buildApp } from "../app.ts";
import { notifyPayloads } from "../events/bus.ts";
import type { CommittedEvent } from "../events/events.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { addReply, createTicket, updateTicket } from "../tickets/tickets.service.ts";

/** A Server-Sent Events stream read over real HTTP, as a browser's EventSource would. */
interface Stream {
  readonly status: number;
  readonly events: { event: string; data: unknown }[];
  readonly comments: string[];
  /** Resolves once an event matching `match` has arrived (fails after a few seconds). */
  waitFor(match: (e: { event: string; data: unknown }) => boolean): Promise<void>;
  /** Resolves when the server has ended the stream. */
  readonly ended: Promise<void>;
  close(): void;
  body: string;
}

function openStream(base: string, path: string, cookie: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers: { cookie, accept: "text/event-stream" } });
    req.on("error", reject);
    req.on("response", (res) => {
      res.setEncoding("utf8");
      let buffer = "";
      let endedResolve = () => {};
      const stream: Stream = {
        status: res.statusCode ?? 0,
        events: [],
        comments: [],
        body: "",
        ended: new Promise<void>((r) => {
          endedResolve = r;
        }),
        waitFor: (match) =>
          until(
            () => stream.events.some(match),
            `an event on ${path}: ${JSON.stringify(stream.events)}`,
          ),
        close: () => req.destroy(),
      };
      res.on("data", (chunk: string) => {
        stream.body += chunk;
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) stream.comments.push(line.slice(1).trim());
            else if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) stream.events.push({ event, data: JSON.parse(data) });
          end = buffer.indexOf("\n\n");
        }
      });
      res.on("close", () => endedResolve());
      res.on("error", () => endedResolve());
      resolve(stream);
    });
  });
}

const LIMITS = { perUser: 3, maxBufferedBytes: 32 * 1024, heartbeatMs: 200 };

for (const kind of databaseKinds()) {
  describe(`live pages [${kind}]`, () => {
    let testDb: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let agent: TestUser;
    let agent2: TestUser;
    let customer: TestUser;
    let other: TestUser;
    const cookies = new Map<number, string>();
    const streams: Stream[] = [];

    const stream = async (user: TestUser | undefined, path: string) => {
      const s = await openStream(base, path, user ? (cookies.get(user.id) ?? "") : "");
      streams.push(s);
      return s;
    };

    before(async () => {
      testDb = await createTestDatabase(kind);
      app = await buildApp(
        {
          db: testDb.deps.db,
          config: testDb.deps.config,
          events: testDb.deps.events,
          listen: testDb.database.listen,
        },
        {
          live: { limits: LIMITS, presence: { heartbeatMs: 200, expireMs: 1_000, typingMs: 500 } },
        },
      );
      await app.listen({ port: 0, host: "127.0.0.1" });
      const address = app.server.address() as net.AddressInfo;
      base = `http://127.0.0.1:${address.port}`;
      [agent, agent2, customer, other] = await Promise.all([
        makeAgent(testDb.deps, { name: "Agnes Agent" }),
        makeAgent(testDb.deps, { name: "Bert Agent" }),
        makeCustomer(testDb.deps, { name: "Carla Customer" }),
        makeCustomer(testDb.deps, { name: "Otto Other" }),
      ]);
      for (const user of [agent, agent2, customer, other]) {
        const browser = new Browser(app);
        await browser.signIn(user.email, user.password);
        cookies.set(user.id, browser.cookieHeader());
      }
    });

    after(async () => {
      for (const s of streams) s.close();
      await app?.close();
      await testDb?.close();
    });

    test("without a session the stream is refused with 401, not a sign-in page", async () => {
      const s = await stream(undefined, "/live");
      assert.equal(s.status, 401);
    });

    test("a customer cannot follow another customer's ticket (404), nor a bad id (400)", async () => {
      const ticket = await createTicket(testDb.deps, other, { title: "Theirs", description: "x" });
      assert.equal((await stream(customer, `/live?ticket=${ticket.id}`)).status, 404);
      assert.equal((await stream(customer, "/live?ticket=abc")).status, 400);
    });

    test("staff get every change; a customer only their own tickets' public changes", async () => {
      const staffDesk = await stream(agent, "/live");
      const customerDesk = await stream(customer, "/live");
      assert.equal(staffDesk.status, 200);
      assert.equal(customerDesk.status, 200);
      await until(() => app.live.hub.size >= 2, "both streams registered");

      const others = await createTicket(testDb.deps, other, {
        title: "Not yours",
        description: "x",
      });
      const mine = await createTicket(testDb.deps, customer, { title: "Mine", description: "y" });
      await addReply(testDb.deps, agent, mine.id, { content: "Secret note", internal: true });
      await updateTicket(testDb.deps, agent, mine.id, { assigneeId: agent.id });
      await addReply(testDb.deps, agent, mine.id, { content: "Hello" });

      const isMessage = (id: number) => (e: { data: unknown }) =>
        (e.data as { type: string }).type === "message.created" &&
        (e.data as { ticketId: number }).ticketId === id;
      // Events arrive in order: once the last public reply is in, everything before it is too.
      await customerDesk.waitFor(isMessage(mine.id));
      await staffDesk.waitFor(
        () => staffDesk.events.filter(isMessage(mine.id)).length >= 2, // the note and the reply
      );
      const seenByCustomer = customerDesk.events.map((e) => e.data as Record<string, unknown>);
      assert.ok(
        seenByCustomer.every((e) => e.ticketId === mine.id),
        "never another's ticket",
      );
      assert.ok(seenByCustomer.some((e) => e.type === "ticket.created"));
      assert.ok(seenByCustomer.some((e) => e.type === "ticket.assigned"));
      // The internal note is never announced to the customer: one message event, the reply.
      assert.equal(customerDesk.events.filter(isMessage(mine.id)).length, 1);
      // Only which ticket changed and how: no message text, ids of people or notes.
      for (const e of seenByCustomer)
        assert.deepEqual(Object.keys(e).sort(), ["self", "ticketId", "type"]);
      assert.ok(!customerDesk.body.includes("Secret note") && !customerDesk.body.includes("Hello"));
      assert.ok(
        staffDesk.events.some((e) => (e.data as { ticketId: number }).ticketId === others.id),
        "staff see every ticket",
      );
      staffDesk.close();
      customerDesk.close();
    });

    test("an agent outside a restricted team hears nothing of its tickets; a member does", async () => {
      const admin = await makeAdmin(testDb.deps);
      const team = await createTeam(testDb.deps, admin, {
        name: `Live restricted ${kind}`,
        restricted: true,
      });
      await addMember(testDb.deps, admin, team.id, agent.email);
      const memberDesk = await stream(agent, "/live");
      const outsiderDesk = await stream(agent2, "/live");
      const connected = (id: number) =>
        [...app.live.hub.connections()].some((c) => c.actor.id === id && c.ticketId === undefined);
      await until(() => connected(agent.id) && connected(agent2.id), "both streams registered");

      const hidden = await createTicket(testDb.deps, admin, {
        title: "Restricted",
        description: "x",
        requesterEmail: customer.email,
        teamId: team.id,
      });
      await addReply(testDb.deps, agent, hidden.id, { content: "On it" });
      // A ticket without a team afterwards: once it arrives, the ones before it have too.
      const open = await createTicket(testDb.deps, customer, { title: "Open", description: "y" });
      const about = (id: number) => (e: { data: unknown }) =>
        (e.data as { ticketId: number }).ticketId === id;
      await outsiderDesk.waitFor(about(open.id));
      await memberDesk.waitFor(about(open.id));
      assert.ok(memberDesk.events.some(about(hidden.id)), "the member hears of it");
      assert.deepEqual(outsiderDesk.events.filter(about(hidden.id)), []);
      // Nor can the outsider follow its page.
      assert.equal((await stream(agent2, `/live?ticket=${hidden.id}`)).status, 404);
      memberDesk.close();
      outsiderDesk.close();
    });

    test("staff on a ticket see each other and who is typing; the customer never does", async () => {
      const ticket = await createTicket(testDb.deps, customer, {
        title: "Shared",
        description: "z",
      });
      const first = await stream(agent, `/live?ticket=${ticket.id}`);
      const customerPage = await stream(customer, `/live?ticket=${ticket.id}`);
      const second = await stream(agent2, `/live?ticket=${ticket.id}`);
      const names = (e: { event: string; data: unknown }) =>
        e.event === "presence"
          ? (e.data as { viewers: { name: string; typing: boolean }[] }).viewers
          : [];
      await first.waitFor((e) => names(e).some((v) => v.name === "Bert Agent" && !v.typing));
      await second.waitFor((e) => names(e).some((v) => v.name === "Agnes Agent"));

      const typist = new Browser(app);
      typist.cookies.clear();
      for (const pair of (cookies.get(agent2.id) ?? "").split("; ")) {
        const [k = "", v = ""] = pair.split(/=(.*)/s);
        typist.cookies.set(k, v);
      }
      const typed = await typist.post("/live/typing", { ticket: String(ticket.id) });
      assert.equal(typed.statusCode, 204);
      await first.waitFor((e) => names(e).some((v) => v.name === "Bert Agent" && v.typing));
      // Typing ends by itself when no more keystrokes are announced.
      const typingAt = first.events.length;
      await until(
        () =>
          first.events
            .slice(typingAt)
            .some((e) => names(e).some((v) => v.name === "Bert Agent" && !v.typing)),
        "typing to expire",
      );

      second.close();
      await first.waitFor(
        (e) => e.event === "presence" && !names(e).some((v) => v.name === "Bert Agent"),
      );
      // Ticket events reach the ticket's stream; the customer's stream had no presence at all.
      await updateTicket(testDb.deps, agent, ticket.id, { status: "open" });
      await customerPage.waitFor(
        (e) => (e.data as { type?: string }).type === "ticket.status_changed",
      );
      assert.equal(customerPage.events.filter((e) => e.event === "presence").length, 0);
      assert.ok(!customerPage.body.includes("Agent"));
      first.close();
      customerPage.close();
    });

    test("a page closed while its stream is still being checked is not kept as a viewer", async () => {
      const ticket = await createTicket(testDb.deps, customer, { title: "Left", description: "x" });
      const watcher = await stream(agent2, `/live?ticket=${ticket.id}`);
      await until(
        () => [...app.live.hub.connections()].some((c) => c.ticketId === ticket.id),
        "the watcher's stream to register",
      );
      // The tickets table held: the stream's request waits on its checks (its session or
      // getTicket) like a slow database would make it, and the page is closed meanwhile
      // (a browser leaving a page, or closing, right after it loaded).
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holding = testDb.deps.db.transaction(async (tx) => {
        await tx.execute(sql`lock table tickets in access exclusive mode`);
        locked();
        await held;
      });
      await isLocked;
      const path = `/live?ticket=${ticket.id}`;
      const arrived = new Promise<http.ServerResponse>((resolve) => {
        const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
          if (req.url !== path) return;
          app.server.off("request", onRequest);
          resolve(res);
        };
        app.server.on("request", onRequest);
      });
      const leaving = http.get(`${base}${path}`, { headers: { cookie: cookies.get(agent.id) } });
      leaving.on("error", () => {});
      const res = await arrived;
      leaving.destroy();
      await until(() => res.destroyed, "the server to see the page go");
      release();
      await holding;
      // The checks pass once the table is free, and the handler writes the stream's head.
      await until(() => res.headersSent, "the stream's request to be answered");
      assert.ok(
        ![...app.live.hub.connections()].some((c) => c.actor.id === agent.id),
        "no connection kept for a page that is gone",
      );
      // Past the expiry the watcher is told of nobody: a kept connection would be announced
      // again on every heartbeat, for as long as the node runs.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.deepEqual(app.live.presence.viewers(ticket.id, agent2.id), []);
      assert.ok(!watcher.body.includes("Agnes Agent"), watcher.body);
      watcher.close();
    });

    test("a customer cannot announce typing (403), and typing needs the CSRF token", async () => {
      const browser = new Browser(app);
      await browser.signIn(customer.email, customer.password);
      assert.equal((await browser.post("/live/typing", { ticket: "1" })).statusCode, 403);
      const staff = new Browser(app);
      await staff.signIn(agent.email, agent.password);
      const forged = await staff.post("/live/typing", { ticket: "1", _csrf: "" });
      assert.equal(forged.statusCode, 403);
    });

    test("a stream gets heartbeats while nothing happens", async () => {
      const s = await stream(agent, "/live");
      await until(() => s.comments.includes("heartbeat"), "a heartbeat");
      s.close();
    });

    test("one person may hold only so many streams; the next is refused with 429", async () => {
      await until(() => app.live.hub.size === 0, "earlier streams to close");
      const open = await Promise.all(
        Array.from({ length: LIMITS.perUser }, () => stream(other, "/live")),
      );
      assert.ok(open.every((s) => s.status === 200));
      const refused = await stream(other, "/live");
      assert.equal(refused.status, 429);
      // Someone else is not affected.
      const theirs = await stream(customer, "/live");
      assert.equal(theirs.status, 200);
      open[0]?.close();
      await until(() => app.live.hub.refusal(other.id) === undefined, "a slot to free up");
      const again = await stream(other, "/live");
      assert.equal(again.status, 200);
      for (const s of [...open, theirs, again]) s.close();
    });

    test("a client that stops reading is dropped, not buffered without bound", async () => {
      await until(() => app.live.hub.size === 0, "earlier streams to close");
      const reader = await stream(agent, "/live");
      // A client that sends its request and then never reads a byte.
      const slow = net.connect(Number(new URL(base).port), "127.0.0.1");
      await new Promise<void>((resolve) => slow.once("connect", () => resolve()));
      slow.pause();
      slow.write(
        `GET /live HTTP/1.1\r\nHost: x\r\nCookie: ${cookies.get(agent2.id)}\r\nAccept: text/event-stream\r\n\r\n`,
      );
      await until(() => app.live.hub.size === 2, "both streams registered");
      const droppedBefore = app.live.hub.dropped;
      const batch: CommittedEvent[] = Array.from({ length: 200 }, () => ({
        type: "ticket.updated",
        ticketId: 1,
        requesterId: customer.id,
        actorId: agent.id,
        status: "open",
        assigneeId: null,
        fields: ["priority"],
      }));
      const [payload] = notifyPayloads(batch.slice(0, 80));
      assert.ok(payload);
      // What NOTIFY would deliver, as fast as the bus can take it, until the slow one is gone.
      for (let i = 0; i < 5_000 && app.live.hub.size === 2; i++) {
        testDb.deps.events.deliver(payload, { error: () => {} });
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(app.live.hub.dropped, droppedBefore + 1);
      assert.equal(app.live.hub.size, 1, "the reading client is still connected");
      // The memory held for the slow client was bounded by the limit, then let go.
      for (const c of app.live.hub.connections()) {
        assert.ok(c.res.writableLength <= LIMITS.maxBufferedBytes);
      }
      await until(() => reader.events.length > 100, "the reader to keep receiving");
      slow.destroy();
      reader.close();
    });
  });
}

describe("live pages and shutdown", () => {
  test("closing the app ends open streams at once instead of waiting on them", async () => {
    const testDb = await createTestDatabase("pglite");
    const app = await buildApp({
      db: testDb.deps.db,
      config: testDb.deps.config,
      events: testDb.deps.events,
      listen: testDb.database.listen,
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as net.AddressInfo;
    const agent = await makeAgent(testDb.deps);
    const browser = new Browser(app);
    await browser.signIn(agent.email, agent.password);
    const s = await openStream(`http://127.0.0.1:${port}`, "/live", browser.cookieHeader());
    assert.equal(s.status, 200);
    await until(() => app.live.hub.size === 1, "the stream to register");
    const started = Date.now();
    await app.close();
    await s.ended;
    assert.ok(Date.now() - started < 2_000, `closed in ${Date.now() - started} ms`);
    await testDb.close();
  });
});
