import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import type { Actor } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { listTickets } from "./tickets.service.ts";

/** Letters no other test uses, to build titles, names and addresses from. */
const letters = () =>
  Array.from(randomBytes(6), (b) => String.fromCharCode(97 + (b % 26))).join("");

async function found(deps: Deps, actor: Actor, q: string, sort?: "relevance"): Promise<number[]> {
  const page = await listTickets(deps, actor, { q, limit: 100, sort });
  return page.tickets.map((t) => t.id);
}

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

describeEachDatabase("search: parts of titles, names and addresses (pg_trgm)", (world) => {
  test("part of a word in a title finds the ticket (printe finds Printer broken)", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const stem = `qx${letters()}`;
    const hit = await makeTicket(deps, customer, { title: `${stem}printer broken` });
    await makeTicket(deps, customer, { title: "Something else entirely" });
    assert.deepEqual(await found(deps, agent, `${stem}printe`), [hit.id]);
    assert.deepEqual(await found(deps, agent, `${stem.toUpperCase()}PRINTE broke`), [hit.id]);
    assert.deepEqual(await found(deps, agent, `${stem}printe nothinghere`), []);
  });

  test("part of a requester's address or name finds their tickets (jdoe@exa)", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const id = letters();
    const jdoe = await makeCustomer(deps, {
      email: `jdoe${id}@example.com`,
      name: `Johanna Doe${id}ling`,
    });
    const other = await makeCustomer(deps);
    const a = await makeTicket(deps, jdoe, { title: "First" });
    const b = await makeTicket(deps, jdoe, { title: "Second" });
    await makeTicket(deps, other, { title: "Not theirs" });
    assert.deepEqual(sorted(await found(deps, agent, `jdoe${id}@exa`)), [a.id, b.id]);
    assert.deepEqual(sorted(await found(deps, agent, `doe${id}l`)), [a.id, b.id]);
    assert.deepEqual(await found(deps, agent, `doe${id}l second`), [b.id]);
    // The API's q is the same search.
    const api = await apiAs(world(), agent);
    const res = await api.get<{ data: { id: number }[] }>(
      `/tickets?q=${encodeURIComponent(`jdoe${id}@exa`)}`,
    );
    assert.deepEqual(sorted(res.body.data.map((t) => t.id)), [a.id, b.id]);
  });

  test("best match first: a whole word ranks above a part of one", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = `zz${letters()}`;
    // Made first, so the newest-first order alone would put the partial match first.
    const whole = await makeTicket(deps, customer, { title: `The ${word} is broken` });
    const part = await makeTicket(deps, customer, { title: `Laser${word}s are fine` });
    assert.deepEqual(await found(deps, agent, word, "relevance"), [whole.id, part.id]);
  });

  test("LIKE's wildcards are taken literally, and short words, phrases and -words keep full-text meaning", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const id = letters();
    const t = await makeTicket(deps, customer, { title: `code${id}xyz` });
    assert.deepEqual(await found(deps, agent, `e${id}_yz`), []);
    assert.deepEqual(await found(deps, agent, `e${id}%z`), []);
    assert.deepEqual(await found(deps, agent, `e${id}x`), [t.id]);
    assert.deepEqual(await found(deps, agent, `"e${id}x"`), [], "a phrase is whole words");
    assert.deepEqual(
      await found(deps, agent, `e${id}x -nothing`),
      [],
      "with -word, words are whole",
    );
  });

  test("a customer's partial search finds only the tickets they may see", async () => {
    const { deps } = world();
    const id = letters();
    const mine = await makeCustomer(deps);
    const other = await makeCustomer(deps, { email: `other${id}@example.com` });
    const own = await makeTicket(deps, mine, { title: `Gadget${id} broken` });
    await makeTicket(deps, other, { title: `Gadget${id} broken too` });
    assert.deepEqual(await found(deps, mine, `adget${id}`), [own.id]);
    assert.deepEqual(await found(deps, mine, `other${id}@exa`), []);
  });
});
