import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { apiTokens } from "../db/schema/index.ts";
import { hashToken } from "../lib/tokens.ts";
import { TOKENS_PER_USER_MAX } from "./tokens.schemas.ts";
import { createToken, resolveToken, revokeToken } from "./tokens.service.ts";

describeEachDatabase("API tokens", (world) => {
  test("the account page links to tokens; a new token is shown once and stored only as a hash", async () => {
    const customer = await makeCustomer(world().deps);
    const browser = await world().signedIn(customer);
    assert.match((await browser.get("/account")).body, /href="\/account\/tokens"/);
    const created = await browser.post("/account/tokens", { name: "CRM <sync>" });
    assert.equal(created.statusCode, 201);
    assert.match(String(created.headers["cache-control"]), /no-store/);
    const token = /id="new-token"[^>]*value="(tsr_[^"]+)"/.exec(created.body)?.[1];
    assert.ok(token, "the secret is on the page");
    assert.match(created.body, /CRM &lt;sync>/);
    const rows = await world()
      .deps.db.select()
      .from(apiTokens)
      .where(eq(apiTokens.userId, customer.id));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.tokenHash, hashToken(token));
    assert.ok(!JSON.stringify(rows).includes(token), "the secret itself is not stored");
    const list = await browser.get("/account/tokens");
    assert.ok(!list.body.includes(token), "the secret is never shown again");
    assert.ok(list.body.includes(`${token.slice(0, 12)}…`), "its prefix is");
    assert.match(list.body, /Never/);
    const me = await world().app.inject({
      url: "/api/v1/me",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(me.statusCode, 200);
    assert.match((await browser.get("/account/tokens")).body, /just now/, "last used is recorded");
  });

  test("a blank name is refused next to the field; revoking stops the token at once", async () => {
    const customer = await makeCustomer(world().deps);
    const browser = await world().signedIn(customer);
    const blank = await browser.post("/account/tokens", { name: "  " });
    assert.equal(blank.statusCode, 422);
    assert.match(blank.body, /field-name-error/);
    const { token, record } = await createToken(world().deps, customer, { name: "temp" });
    const revoked = await browser.post(`/account/tokens/${record.id}/revoke`, {});
    assert.equal(revoked.statusCode, 303);
    assert.equal(await resolveToken(world().deps, token), undefined);
    assert.doesNotMatch((await browser.get("/account/tokens")).body, /temp/);
  });

  test("nobody revokes someone else's token; tokens need a sign-in; there is a cap", async () => {
    const { deps } = world();
    const alice = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const { token, record } = await createToken(deps, alice, { name: "hers" });
    const browser = await world().signedIn(agent);
    assert.equal((await browser.post(`/account/tokens/${record.id}/revoke`, {})).statusCode, 404);
    await assert.rejects(revokeToken(deps, agent, record.id), /No token/);
    assert.equal((await resolveToken(deps, token))?.id, alice.id);
    assert.equal((await world().browser().get("/account/tokens")).statusCode, 303);
    const bob = await makeCustomer(deps);
    for (let i = 0; i < TOKENS_PER_USER_MAX; i++) await createToken(deps, bob, { name: `t${i}` });
    await assert.rejects(createToken(deps, bob, { name: "one more" }), /at most 50 tokens/);
  });

  test("a malformed or lookalike token resolves to nobody", async () => {
    const { deps } = world();
    const { token } = await createToken(deps, await makeCustomer(deps), { name: "x" });
    for (const bad of [
      "",
      "tsr_",
      token.slice(0, -1),
      `${token}x`,
      token.replace("tsr_", "abc_"),
      "tsr_".padEnd(300, "a"),
    ]) {
      assert.equal(await resolveToken(deps, bad), undefined, bad);
    }
  });
});
