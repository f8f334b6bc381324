// An integration written against the generated client only: the sketch's call
// flow plus what issue 18 asks of the API (tokens, a signed webhook on a loopback
// receiver, attachments, the change feed under a concurrent writer process, a
// lost If-Match race, malformed ids). Exits non-zero on the first failed check;
// its last line is `SUMMARY <json>` for test/api/client.test.ts.
//   TESSERA_URL, TESSERA_ADMIN_TOKEN, TESSERA_CUSTOMER_TOKEN, RECEIVER_PORT
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { ok, type Problem, type Tessera, type Ticket, tessera } from "./tessera.ts";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const BASE = env("TESSERA_URL");
const RECEIVER_PORT = Number(env("RECEIVER_PORT"));
const HERE = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const summary: Record<string, unknown> = {};

async function step(name: string, work: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await work();
  console.log(`ok - ${name} (${Date.now() - started} ms)`);
}

// The integration's webhook endpoint: every delivery's signature is verified
// with the endpoint's secret; an unverifiable one is refused and counted.
interface Received {
  id: string;
  type: string;
  ticketId: number;
}
let verifier: Webhook | undefined;
const received: Received[] = [];
const refused: string[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers[name] = value;
    }
    try {
      if (!verifier) throw new Error("a delivery before the endpoint had a secret");
      const event = verifier.verify(body, headers) as {
        type: string;
        data: { ticket: { id: number } };
      };
      received.push({
        id: headers["webhook-id"] ?? "",
        type: event.type,
        ticketId: event.data.ticket.id,
      });
      res.writeHead(204).end();
    } catch (error) {
      refused.push(`${headers["webhook-id"]}: ${String(error)}`);
      res.writeHead(400).end();
    }
  });
});
await new Promise<void>((resolve) => receiver.listen(RECEIVER_PORT, "127.0.0.1", resolve));

const seed = tessera(BASE, env("TESSERA_ADMIN_TOKEN"));
const customer = tessera(BASE, env("TESSERA_CUSTOMER_TOKEN"));
let admin: Tessera = seed;
let adminToken = "";
let adminId = 0;
let customerId = 0;
let webhookId = 0;
let staffTicket: Ticket | undefined;
let customerTicket: Ticket | undefined;
let writerTicketIds: number[] = [];

try {
  await step("create a token and use it", async () => {
    const created = await seed.POST("/api/v1/tokens", { body: { name: "generated client" } });
    const { token, record } = ok("POST /tokens", created);
    assert.equal(created.response.status, 201);
    assert.match(token, /^tsr_/);
    assert.equal(created.response.headers.get("location"), `/api/v1/tokens/${record.id}`);
    adminToken = token;
    admin = tessera(BASE, token);
    const me = ok("GET /me", await admin.GET("/api/v1/me"));
    assert.equal(me.role, "admin");
    adminId = me.id;
    const mine = ok("GET /tokens", await admin.GET("/api/v1/tokens"));
    assert.ok(mine.data.some((t) => t.id === record.id && t.name === "generated client"));
    customerId = ok("GET /me", await customer.GET("/api/v1/me")).id;
  });

  await step("register a webhook (admin) on the loopback receiver", async () => {
    const url = `http://127.0.0.1:${RECEIVER_PORT}/tessera`;
    const eventTypes = [
      "ticket.created",
      "ticket.updated",
      "ticket.solved",
      "message.created",
    ] as const;
    const denied = await customer.POST("/api/v1/webhooks", {
      body: { url, eventTypes: [...eventTypes] },
    });
    assert.equal(denied.response.status, 403);
    const elsewhere = await admin.POST("/api/v1/webhooks", {
      body: { url: `http://127.0.0.1:${RECEIVER_PORT + 1}/x`, eventTypes: ["ticket.created"] },
    });
    assert.equal(elsewhere.response.status, 400, "a loopback port nobody allowed is refused");
    const created = await admin.POST("/api/v1/webhooks", {
      body: { url, eventTypes: [...eventTypes] },
    });
    const { secret, record } = ok("POST /webhooks", created);
    assert.equal(created.response.status, 201);
    assert.match(secret, /^whsec_/);
    verifier = new Webhook(secret);
    webhookId = record.id;
  });

  await step("the sketch's call flow: user, ticket, reply, assign, list", async () => {
    const email = `client-${Date.now()}@example.test`;
    const made = await admin.POST("/api/v1/users", {
      body: { email, name: "Generated Client", role: "customer" },
    });
    const user = ok("POST /users", made);
    assert.equal(made.response.status, 201);
    assert.equal(made.response.headers.get("location"), `/api/v1/users/${user.id}`);
    const taken = await admin.POST("/api/v1/users", {
      body: { email, name: "Again", role: "customer" },
    });
    assert.equal(taken.response.status, 409);

    const body = { title: "Printer on fire", description: "Third floor.", requesterEmail: email };
    const key = `client-flow-${Date.now()}`;
    const opened = await admin.POST("/api/v1/tickets", {
      params: { header: { "idempotency-key": key } },
      body,
    });
    const ticket = ok("POST /tickets", opened);
    assert.equal(opened.response.status, 201);
    assert.equal(opened.response.headers.get("location"), `/api/v1/tickets/${ticket.id}`);
    assert.equal(ticket.requesterId, user.id);
    const replayed = await admin.POST("/api/v1/tickets", {
      params: { header: { "idempotency-key": key } },
      body,
    });
    assert.equal(ok("replay", replayed).id, ticket.id);
    assert.equal(replayed.response.headers.get("idempotent-replayed"), "true");

    const reply = await admin.POST("/api/v1/tickets/{id}/messages", {
      params: { path: { id: ticket.id } },
      body: { content: "On our way." },
    });
    assert.equal(ok("POST messages", reply).ticketId, ticket.id);
    assert.equal(reply.response.status, 201);

    const assigned = ok(
      "PATCH assignee",
      await admin.PATCH("/api/v1/tickets/{id}", {
        params: { path: { id: ticket.id } },
        body: { assigneeId: adminId },
      }),
    );
    assert.equal(assigned.assigneeId, adminId);
    assert.equal(assigned.status, "open", "the first public staff reply opened it");

    const theirs = ok(
      "GET /tickets?requesterId",
      await admin.GET("/api/v1/tickets", { params: { query: { requesterId: user.id } } }),
    );
    assert.deepEqual(
      theirs.data.map((t) => t.id),
      [ticket.id],
    );
    const messages = ok(
      "GET messages",
      await admin.GET("/api/v1/tickets/{id}/messages", { params: { path: { id: ticket.id } } }),
    );
    assert.deepEqual(
      messages.data.map((m) => m.content),
      ["Third floor.", "On our way."],
    );
    staffTicket = assigned;

    const own = ok(
      "customer POST /tickets",
      await customer.POST("/api/v1/tickets", {
        body: { title: "Cannot sign in", description: "Since this morning." },
      }),
    );
    assert.equal(own.requesterId, customerId);
    const listed = ok("customer GET /tickets", await customer.GET("/api/v1/tickets"));
    assert.ok(listed.data.some((t) => t.id === own.id));
    assert.ok(
      listed.data.every((t) => t.requesterId === customerId),
      "customers see their own only",
    );
    const hidden = await customer.GET("/api/v1/tickets/{id}", {
      params: { path: { id: ticket.id } },
    });
    assert.equal(hidden.response.status, 404);
    customerTicket = own;
  });

  await step("upload an attachment with a message (multipart) and download it", async () => {
    const ticket = customerTicket;
    assert.ok(ticket);
    const text = "line 1\nline 2 ✓\n";
    const sent = await customer.POST("/api/v1/tickets/{id}/messages", {
      params: { path: { id: ticket.id } },
      body: { content: "Log attached", attachments: [text] },
      bodySerializer(body) {
        const form = new FormData();
        form.append("content", body.content);
        for (const file of "attachments" in body ? (body.attachments ?? []) : []) {
          form.append("attachments", new Blob([file], { type: "text/plain" }), "server.log");
        }
        return form;
      },
    });
    const message = ok("POST multipart", sent);
    assert.equal(sent.response.status, 201);
    const [attachment] = message.attachments;
    assert.ok(attachment, "the message lists its file");
    assert.equal(attachment.filename, "server.log");
    assert.equal(attachment.size, Buffer.byteLength(text));

    const listed = ok(
      "GET attachments",
      await admin.GET("/api/v1/tickets/{id}/attachments", { params: { path: { id: ticket.id } } }),
    );
    assert.deepEqual(
      listed.data.map((a) => a.id),
      [attachment.id],
    );
    const fileId = attachment.id;
    for (const reader of [customer, admin]) {
      const download = await reader.GET("/api/v1/attachments/{id}", {
        params: { path: { id: fileId } },
        parseAs: "arrayBuffer",
      });
      const bytes = ok("GET /attachments/{id}", download);
      assert.equal(Buffer.from(bytes).toString("utf8"), text);
      assert.match(download.response.headers.get("content-type") ?? "", /^text\/plain/);
      assert.match(download.response.headers.get("content-disposition") ?? "", /server\.log/);
    }
    const solved = ok(
      "customer solves",
      await customer.PATCH("/api/v1/tickets/{id}", {
        params: { path: { id: ticket.id } },
        body: { status: "solved" },
      }),
    );
    assert.equal(solved.status, "solved");
  });

  await step("lose a race on If-Match with 412", async () => {
    const ticket = staffTicket;
    assert.ok(ticket);
    const other = tessera(BASE, adminToken); // a second integration editing the same ticket
    const read = async (client: Tessera) => {
      const got = await client.GET("/api/v1/tickets/{id}", { params: { path: { id: ticket.id } } });
      return { ticket: ok("GET ticket", got), etag: got.response.headers.get("etag") ?? "" };
    };
    const mine = await read(admin);
    const theirs = await read(other);
    assert.equal(mine.etag, `"${mine.ticket.version}"`);
    assert.equal(theirs.etag, mine.etag);
    const won = await other.PATCH("/api/v1/tickets/{id}", {
      params: { path: { id: ticket.id }, header: { "if-match": theirs.etag } },
      body: { priority: "urgent" },
    });
    assert.equal(ok("winning PATCH", won).priority, "urgent");
    assert.notEqual(won.response.headers.get("etag"), mine.etag);
    const lost = await admin.PATCH("/api/v1/tickets/{id}", {
      params: { path: { id: ticket.id }, header: { "if-match": mine.etag } },
      body: { priority: "low" },
    });
    assert.equal(lost.response.status, 412);
    assert.equal(
      lost.response.headers.get("content-type"),
      "application/problem+json; charset=utf-8",
    );
    assert.equal((lost.error as Problem | undefined)?.status, 412);
    const now = await read(admin);
    assert.equal(now.ticket.priority, "urgent", "the losing write changed nothing");
    assert.equal(now.etag, won.response.headers.get("etag"));
    const retried = await admin.PATCH("/api/v1/tickets/{id}", {
      params: { path: { id: ticket.id }, header: { "if-match": now.etag } },
      body: { priority: "low" },
    });
    assert.equal(ok("retry with the fresh ETag", retried).priority, "low");
  });

  await step(
    "follow updatedSince while another process writes: nothing missed, nothing twice",
    async () => {
      const LIMIT = 5;
      const WRITES = 48;
      const seen = new Map<number, number>(); // id -> last version read from the feed
      let pages = 0;
      const take = (tickets: Ticket[]) => {
        for (const t of tickets) {
          const last = seen.get(t.id);
          assert.ok(
            last === undefined || t.version > last,
            `ticket ${t.id} came twice (version ${t.version} after ${last})`,
          );
          seen.set(t.id, t.version);
        }
      };
      const start = ok(
        "feed from now",
        await admin.GET("/api/v1/tickets", {
          params: { query: { updatedSince: "now", limit: LIMIT } },
        }),
      );
      take(start.data);
      assert.ok(start.nextCursor);
      let cursor = start.nextCursor;

      const writer = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "writer.ts")], {
        env: {
          ...process.env,
          TESSERA_URL: BASE,
          TESSERA_TOKEN: adminToken,
          WRITES: String(WRITES),
        },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const written = new Map<number, number>(); // id -> the highest version a write answered
      let buffered = "";
      writer.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          const { id, version } = JSON.parse(line) as { id: number; version: number };
          written.set(id, Math.max(version, written.get(id) ?? 0));
        }
      });
      let exitCode: number | null | undefined;
      writer.once("exit", (code) => {
        exitCode = code;
      });
      const caughtUp = () => [...written].every(([id, version]) => (seen.get(id) ?? 0) >= version);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const done = exitCode !== undefined; // read before the page: every write it confirmed has committed
        const page = ok(
          "feed page",
          await admin.GET("/api/v1/tickets", {
            params: { query: { updatedSince: cursor, limit: LIMIT } },
          }),
        );
        pages++;
        take(page.data);
        assert.ok(page.nextCursor, "the feed's nextCursor is never null");
        cursor = page.nextCursor;
        if (done && page.data.length < LIMIT && caughtUp()) break;
        const missing = [...written].filter(([id, v]) => (seen.get(id) ?? 0) < v);
        assert.ok(Date.now() < deadline, `the feed never gave ${JSON.stringify(missing)}`);
        if (page.data.length < LIMIT) await sleep(20);
      }
      assert.equal(exitCode, 0, "the writer process failed");
      assert.equal(written.size, WRITES / 2, "every create the writer made was answered");
      summary.feed = { pages, ticketsSeen: seen.size, writerTickets: written.size, writes: WRITES };
      writerTicketIds = [...written.keys()];
    },
  );

  await step("every malformed id and number is a 400 naming the parameter", async () => {
    // Runs after the feed's writer, so ticket 21 (the issue's) exists, and so does one with a
    // two-digit id of its own: a lax parser would find either and act on it.
    const n = Math.max(...writerTicketIds);
    assert.ok(n > 21, "the writer made more than 21 tickets on this fresh instance");
    // Deliberately outside the typed client: its types only let a number through.
    const raw = async (method: string, url: string, body?: unknown) => {
      const response = await fetch(`${BASE}/api/v1${url}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const problem = (await response.json()) as Problem;
      return { status: response.status, fields: (problem.errors ?? []).map((e) => e.field) };
    };
    const read = () =>
      Promise.all(
        [21, n].map(async (id) =>
          ok("GET ticket", await admin.GET("/api/v1/tickets/{id}", { params: { path: { id } } })),
        ),
      );
    const before = await read();
    const ids = [
      "21.9",
      "21.5",
      "0x15",
      "21e0",
      "%2021",
      `${n}.9`,
      `${n}.5`,
      `0x${n.toString(16)}`,
      `${n}e0`,
      `%20${n}`,
    ];
    const checked: Record<string, number> = {};
    for (const id of ids) {
      for (const [method, url, body] of [
        ["PATCH", `/tickets/${id}`, { priority: "urgent" }],
        ["POST", `/tickets/${id}/messages`, { content: "x", internal: true }],
        ["GET", `/tickets/${id}`, undefined],
        ["GET", `/users/${id}`, undefined],
      ] as const) {
        const answer = await raw(method, url, body);
        checked[`${method} ${url}`] = answer.status;
        assert.equal(answer.status, 400, `${method} ${url}`);
        assert.deepEqual(answer.fields, ["id"], `${method} ${url}`);
      }
    }
    for (const query of [
      "limit=2.5",
      "limit=0x2",
      "requesterId=21.9",
      `requesterId=0x${n.toString(16)}`,
    ]) {
      for (const list of ["/tickets", "/users"]) {
        if (list === "/users" && query.startsWith("requesterId")) continue;
        const answer = await raw("GET", `${list}?${query}`);
        checked[`GET ${list}?${query}`] = answer.status;
        assert.equal(answer.status, 400, `GET ${list}?${query}`);
        assert.deepEqual(answer.fields, [query.split("=")[0]], `GET ${list}?${query}`);
      }
    }
    assert.deepEqual(await read(), before, `no malformed call changed ticket 21 or ${n}`);
    summary.malformed = checked;
  });

  await step("the receiver verified every delivery's signature", async () => {
    assert.ok(staffTicket && customerTicket);
    const expected = [
      `ticket.created ${staffTicket.id}`,
      `message.created ${staffTicket.id}`,
      `ticket.updated ${staffTicket.id}`,
      `ticket.created ${customerTicket.id}`,
      `message.created ${customerTicket.id}`,
      `ticket.solved ${customerTicket.id}`,
      ...writerTicketIds.map((id) => `ticket.created ${id}`),
    ];
    const deadline = Date.now() + 30_000;
    const got = () => new Set(received.map((r) => `${r.type} ${r.ticketId}`));
    while (!expected.every((e) => got().has(e))) {
      assert.deepEqual(refused, [], "every delivery carried a valid signature");
      assert.ok(
        Date.now() < deadline,
        `missing deliveries: ${expected.filter((e) => !got().has(e)).join(", ")}`,
      );
      await sleep(50);
    }
    assert.deepEqual(refused, [], "every delivery carried a valid signature");
    const deliveries = ok(
      "GET deliveries",
      await admin.GET("/api/v1/webhooks/{id}/deliveries", {
        params: { path: { id: webhookId }, query: { limit: 100 } },
      }),
    );
    const delivered = deliveries.data.filter((d) => d.status === "delivered");
    assert.ok(delivered.length > 0);
    for (const d of delivered) assert.equal(d.responseStatus, 204);
    summary.webhooks = {
      verified: received.length,
      refused: refused.length,
      expected: expected.length,
    };
  });
} finally {
  receiver.closeAllConnections();
  receiver.close();
}

console.log(`SUMMARY ${JSON.stringify(summary)}`);
