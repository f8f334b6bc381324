import assert from "node:assert/strict";
import { test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { anonymousApi, apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";

describeEachDatabase("users API", (world) => {
  test("/me says who the token belongs to", async () => {
    const agent = await makeAgent(world().deps, { name: "Ada" });
    const me = await (await apiAs(world(), agent)).get("/me");
    assert.deepEqual(me.body, {
      id: agent.id,
      email: agent.email,
      name: "Ada",
      role: "agent",
      away: false,
    });
  });

  test("staff list users by role and name, a page at a time; customers may not", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const tag = `zq${Date.now()}`;
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await makeCustomer(deps, { name: `${tag} ${i}` }));
    const api = await apiAs(world(), agent);
    const first = await api.get(`/users?role=customer&q=${tag}&limit=2`);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.data.map((u: { id: number }) => u.id),
      made.slice(0, 2).map((u) => u.id),
    );
    const second = await api.get(
      `/users?role=customer&q=${tag}&limit=2&cursor=${first.body.nextCursor}`,
    );
    assert.deepEqual(
      second.body.data.map((u: { id: number }) => u.id),
      [made[2]?.id],
    );
    assert.equal(second.body.nextCursor, null);
    assert.equal((await api.get("/users?cursor=nonsense")).status, 400);
    assert.equal((await api.get("/users?role=wizard")).status, 400);
    const customer = await apiAs(world(), await makeCustomer(deps));
    assert.equal((await customer.get("/users")).status, 403);
  });

  test("admins create and change users; agents get 403; the last admin stays", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const api = await apiAs(world(), admin);
    const email = `made-${Date.now()}@example.test`;
    const created = await api.post("/users", { email, name: "Made", role: "agent" });
    assert.equal(created.status, 201);
    assert.equal(created.body.hasPassword, false);
    const duplicate = await api.post("/users", {
      email: email.toUpperCase(),
      name: "Dup",
      role: "agent",
    });
    assert.equal(duplicate.status, 409, "an email that already has an account is a conflict");
    assert.equal(duplicate.body.type, "about:blank#taken");
    assert.deepEqual(duplicate.body.errors, [
      { field: "email", message: "already has an account" },
    ]);
    const changed = await api.patch(`/users/${created.body.id}`, {
      name: "Renamed",
      disabled: true,
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.name, "Renamed");
    assert.equal(changed.body.disabled, true);
    assert.equal((await api.get(`/users/${created.body.id}`)).body.name, "Renamed");
    assert.equal((await api.patch("/users/999999", { name: "x" })).status, 404);
    assert.equal((await api.patch(`/users/${created.body.id}`, { role: "king" })).status, 400);

    const agentApi = await apiAs(world(), await makeAgent(deps));
    assert.equal(
      (await agentApi.post("/users", { email: "x@y.test", name: "X", role: "admin" })).status,
      403,
    );
    assert.equal((await agentApi.patch(`/users/${admin.id}`, { disabled: true })).status, 403);
    assert.equal((await agentApi.get(`/users/${admin.id}`)).status, 200);

    // Demote every other admin, then try the last one.
    const others = await api.get("/users?role=admin&limit=100");
    for (const other of others.body.data as { id: number; disabled: boolean }[]) {
      if (other.id !== admin.id && !other.disabled)
        await api.patch(`/users/${other.id}`, { role: "agent" });
    }
    assert.equal((await api.patch(`/users/${admin.id}`, { role: "agent" })).status, 409);
  });

  test("a customer reads only their own user record", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const other = await makeCustomer(deps);
    const api = await apiAs(world(), customer);
    assert.equal((await api.get(`/users/${customer.id}`)).status, 200);
    assert.equal((await api.get(`/users/${other.id}`)).status, 404);
    assert.equal((await api.patch(`/users/${customer.id}`, { role: "admin" })).status, 403);
    assert.equal((await anonymousApi(world()).get(`/users/${customer.id}`)).status, 401);
  });

  test("the OpenAPI document is valid OpenAPI 3.1 and documents every API route", async () => {
    const res = await world().app.inject({ url: "/api/v1/openapi.json" });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(doc.openapi, "3.1.0");
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of [
      "GET /api/v1/me",
      "GET /api/v1/users",
      "POST /api/v1/users",
      "GET /api/v1/users/{id}",
      "PATCH /api/v1/users/{id}",
      "POST /api/v1/tickets",
      "GET /api/v1/tickets",
      "GET /api/v1/tickets/{id}",
      "PATCH /api/v1/tickets/{id}",
      "GET /api/v1/tickets/{id}/messages",
      "POST /api/v1/tickets/{id}/messages",
      "GET /api/v1/tickets/{id}/events",
    ]) {
      assert.ok(documented.includes(route), `${route} is not documented`);
    }
    assert.ok(
      documented.every((route) => route.includes(" /api/v1/")),
      "pages stay out of the API document",
    );
    const docs = await world().app.inject({ url: "/api/docs/" });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });
});
