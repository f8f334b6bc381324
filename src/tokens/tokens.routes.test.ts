import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiClient, apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { TOKENS_PER_USER_MAX } from "./tokens.schemas.ts";

describeEachDatabase("tokens API", (world) => {
  test("a script rotates its own token: creates a new one, then revokes the one it used", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const old = await apiAs(world(), agent);
    const before = await old.get("/tokens");
    assert.equal(before.status, 200);
    assert.equal(before.body.data.length, 1);
    const oldId = before.body.data[0].id;
    assert.equal(before.body.data[0].token, undefined, "a list never holds secrets");

    const created = await old.post("/tokens", { name: "  CRM sync 2  " });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^tsr_/);
    assert.equal(created.body.record.name, "CRM sync 2");
    assert.equal(created.headers.location, `/api/v1/tokens/${created.body.record.id}`);
    assert.ok(created.body.token.startsWith(created.body.record.prefix));

    const fresh = new ApiClient(world().app, created.body.token);
    assert.equal((await fresh.get("/me")).body.id, agent.id);
    const one = await fresh.get(`/tokens/${created.body.record.id}`);
    assert.equal(one.body.name, "CRM sync 2");
    assert.equal(one.body.token, undefined, "the secret is never shown again");

    assert.equal((await fresh.request("DELETE", `/tokens/${oldId}`)).status, 204);
    assert.equal((await old.get("/me")).status, 401, "the revoked token stops at once");
    const after = await fresh.get("/tokens");
    assert.deepEqual(
      after.body.data.map((t: { id: number }) => t.id),
      [created.body.record.id],
    );
    // Revoking the token that sends the request is allowed; it is refused from then on.
    assert.equal((await fresh.request("DELETE", `/tokens/${created.body.record.id}`)).status, 204);
    assert.equal((await fresh.get("/tokens")).status, 401);
  });

  test("someone else's token is 404 to read or revoke, and stays alive", async () => {
    const { deps } = world();
    const mine = await apiAs(world(), await makeCustomer(deps));
    const theirs = await apiAs(world(), await makeAgent(deps));
    const theirId = (await theirs.get("/tokens")).body.data[0].id;
    assert.equal((await mine.get(`/tokens/${theirId}`)).status, 404);
    assert.equal((await mine.request("DELETE", `/tokens/${theirId}`)).status, 404);
    assert.equal((await theirs.get("/me")).status, 200);
    assert.equal((await mine.request("DELETE", "/tokens/999999")).status, 404);
  });

  test("an admin lists and revokes anyone's token, by API and on the admin page; others may not list theirs", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const adminApi = await apiAs(world(), admin);
    const agentApi = await apiAs(world(), agent);
    const second = await apiAs(world(), agent);
    const listed = await adminApi.get(`/tokens?userId=${agent.id}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.length, 2);
    assert.equal((await agentApi.get(`/tokens?userId=${admin.id}`)).status, 403);
    assert.equal((await agentApi.get(`/tokens?userId=${agent.id}`)).status, 200);

    const [first, other] = listed.body.data as { id: number }[];
    assert.equal((await adminApi.request("DELETE", `/tokens/${first?.id}`)).status, 204);
    assert.equal((await agentApi.get("/me")).status, 401, "the revoked token stops at once");

    const browser = await world().signedIn(admin);
    const page = await browser.get("/admin/tokens");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`${agent.email}`));
    const revoked = await browser.post(
      `/admin/tokens/${other?.id}/revoke`,
      {},
      { csrfFrom: "/admin/tokens" },
    );
    assert.equal(revoked.statusCode, 303);
    assert.equal((await second.get("/me")).status, 401);
    assert.equal((await adminApi.get(`/tokens?userId=${agent.id}`)).body.data.length, 0);
  });

  test("names are required and bounded, and an account holds at most 50 tokens", async () => {
    const { deps } = world();
    const api = await apiAs(world(), await makeCustomer(deps));
    const blank = await api.post("/tokens", { name: "   " });
    assert.equal(blank.status, 400);
    assert.equal(blank.body.errors[0].field, "name");
    assert.equal((await api.post("/tokens", { name: "x".repeat(101) })).status, 400);
    assert.equal((await api.post("/tokens", { name: "ok", extra: 1 })).status, 400);
    for (let i = 1; i < TOKENS_PER_USER_MAX; i++) {
      assert.equal((await api.post("/tokens", { name: `t${i}` })).status, 201);
    }
    const over = await api.post("/tokens", { name: "one too many" });
    assert.equal(over.status, 409);
    assert.match(over.body.detail, /at most 50 tokens/);
    assert.equal((await api.get("/tokens")).body.data.length, TOKENS_PER_USER_MAX);
  });
});
