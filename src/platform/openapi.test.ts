import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";

type Json = Record<string, unknown>;
type Response = { description: string; headers?: Record<string, Json> };
type Operation = {
  operationId?: string;
  parameters?: { in: string; name: string; description?: string }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, Response>;
};

function operations(doc: Json): [string, Operation][] {
  return Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
    ([path, item]) =>
      Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const),
  ) as [string, Operation][];
}

/** Every schema node with an `enum`, wherever it is in the document. */
function enums(root: unknown): Json[] {
  const found: Json[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (node && typeof node === "object") {
      if (Array.isArray((node as Json).enum)) found.push(node as Json);
      stack.push(...Object.values(node));
    }
  }
  return found;
}

describeEachDatabase("the OpenAPI document serves a client generator", (world) => {
  test("every operation is named once, described, and declares the headers it sends", async () => {
    const doc = (await world().app.inject({ url: "/api/v1/openapi.json" })).json() as Json;
    const all = operations(doc);
    assert.ok(all.length >= 13);
    const ids = all.map(([, op]) => op.operationId);
    for (const [route, op] of all) {
      assert.match(String(op.operationId), /^[a-z][A-Za-z]+$/, `${route} has no operationId`);
      for (const [status, response] of Object.entries(op.responses)) {
        assert.notEqual(response.description, "Default Response", `${route} ${status}`);
        assert.ok(response.headers?.["X-RateLimit-Remaining"], `${route} ${status} rate limit`);
        if (status === "429") assert.ok(response.headers?.["Retry-After"], `${route} 429`);
      }
    }
    assert.equal(new Set(ids).size, ids.length, `operationIds repeat: ${ids.join(", ")}`);
    const byId = new Map(all.map(([route, op]) => [op.operationId, { route, op }]));
    assert.equal(byId.get("createTicket")?.route, "POST /api/v1/tickets");
    assert.equal(byId.get("listTicketMessages")?.route, "GET /api/v1/tickets/{id}/messages");
    const create = byId.get("createTicket")?.op;
    assert.ok(create?.responses["201"]?.headers?.Location);
    assert.ok(create?.responses["201"]?.headers?.["Idempotent-Replayed"]);
    const key = create?.parameters?.find((p) => p.name.toLowerCase() === "idempotency-key");
    assert.match(String(key?.description), /different request is refused with 422/);
    const update = byId.get("updateTicket")?.op;
    assert.ok(update?.responses["200"]?.headers?.ETag);
    assert.ok(update?.responses["412"]);
    assert.ok(update?.parameters?.some((p) => p.in === "header" && p.name === "if-match"));
    assert.ok(byId.get("getTicket")?.op.responses["200"]?.headers?.ETag);
    assert.deepEqual(Object.keys(byId.get("createInboundEmail")?.op.requestBody?.content ?? {}), [
      "message/rfc822",
    ]);
    assert.equal((doc.info as Json & { license: Json }).license.identifier, "AGPL-3.0-or-later");
    // Relative to wherever the document was read from: no PUBLIC_URL default (localhost) baked in.
    assert.deepEqual(
      (doc.servers as Json[]).map((s) => s.url),
      ["/"],
    );
    for (const schema of enums(doc)) assert.ok(schema.type, `enum ${JSON.stringify(schema)}`);
    const kind = ((doc.components as Json).schemas as Record<string, Json>).TicketEvent as Json & {
      properties: Record<string, Json>;
    };
    assert.deepEqual(kind.properties.kind?.enum, [
      "created",
      "follow_up",
      "status",
      "priority",
      "assignee",
      "rule",
      "cc_added",
      "cc_removed",
      "auto_reply_suppressed",
      "team",
      "auto_assign",
      "linked",
      "unlinked",
      "tag_added",
      "tag_removed",
      "merged",
      "split",
      "macro",
      "field",
    ]);
  });

  test("a create answers with Location, a replay says so, and error types name no framework code", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const api = await apiAs(world(), admin);
    const ticket = await api.post(
      "/tickets",
      { title: "Where is it", description: "Here" },
      { "idempotency-key": "where-1" },
    );
    assert.equal(ticket.status, 201);
    assert.equal(ticket.headers.location, `/api/v1/tickets/${ticket.body.id}`);
    assert.equal(ticket.headers["idempotent-replayed"], undefined);
    const read = await api.get(String(ticket.headers.location).replace("/api/v1", ""));
    assert.equal(read.body.title, "Where is it");
    const replay = await api.post(
      "/tickets",
      { title: "Where is it", description: "Here" },
      { "idempotency-key": "where-1" },
    );
    assert.equal(replay.headers["idempotent-replayed"], "true");
    assert.equal(replay.headers.location, ticket.headers.location);

    const customer = await makeCustomer(deps);
    const user = await api.post("/users", { email: "loc@example.test", name: "Lo", role: "agent" });
    assert.equal(user.status, 201);
    assert.equal(user.headers.location, `/api/v1/users/${user.body.id}`);
    assert.notEqual(user.body.id, customer.id);

    const tooLarge = await api.post("/tickets", {
      title: "t",
      description: "d".repeat(300 * 1024),
    });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.type, "about:blank#too_large");
    const wrongType = await world().app.inject({
      method: "POST",
      url: "/api/v1/tickets",
      headers: { authorization: `Bearer ${api.token}`, "content-type": "text/plain" },
      payload: "hello",
    });
    assert.equal(wrongType.statusCode, 415);
    assert.equal(wrongType.json().type, "about:blank#unsupported_media_type");
  });
});
