import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { cannedReplies } from "../db/schema/index.ts";
import { Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import { renderMarkdown } from "../lib/markdown.ts";
import { createTeam } from "../teams/teams.service.ts";
import { updateTicket } from "../tickets/tickets.service.ts";
import { PERSONAL_CANNED_MAX } from "./canned.schemas.ts";
import {
  createCannedReply,
  deleteCannedReply,
  getCannedReply,
  listCannedReplies,
  renderCannedReply,
  updateCannedReply,
} from "./canned.service.ts";
import { appendToDraft, fillPlaceholders, placeholdersIn } from "./placeholders.ts";

test("placeholders are found once each, spaces allowed; values are escaped, unknown ones stay", () => {
  assert.deepEqual(placeholdersIn("Hi {{ requester.name }}, {{ticket.id}} {{requester.name}}"), [
    "requester.name",
    "ticket.id",
  ]);
  const values = new Map([["requester.name", "*Ada* [x](https://evil.test)"]]);
  const filled = fillPlaceholders("Hi {{ requester.name }}, {{nope}}", values);
  assert.equal(filled, "Hi \\*Ada\\* \\[x\\]\\(https\\://evil\\.test\\), {{nope}}");
  assert.equal(appendToDraft("Typed first.  \n", "Canned"), "Typed first.\n\nCanned");
  assert.equal(appendToDraft("  ", "Canned"), "Canned");
});

describeEachDatabase("canned replies: service", (world) => {
  test("an agent sees the shared replies and their own, never another agent's; customers see none", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const ann = await makeAgent(deps);
    const bob = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const shared = await createCannedReply(deps, admin, {
      title: "Shared hello",
      body: "Hello {{requester.name}}",
      shared: true,
    });
    const annOwn = await createCannedReply(deps, ann, { title: "Ann's", body: "Mine" });
    const bobOwn = await createCannedReply(deps, bob, { title: "Bob's", body: "His" });
    const annList = (await listCannedReplies(deps, ann)).map((c) => c.id);
    assert.ok(annList.includes(shared.id));
    assert.ok(annList.includes(annOwn.id));
    assert.ok(!annList.includes(bobOwn.id));
    assert.ok(!(await listCannedReplies(deps, admin)).some((c) => c.id === bobOwn.id));
    await assert.rejects(getCannedReply(deps, ann, bobOwn.id), NotFound);
    await assert.rejects(
      getCannedReply(deps, admin, bobOwn.id),
      NotFound,
      "personal even to admins",
    );
    await assert.rejects(listCannedReplies(deps, customer), NotFound);
    await assert.rejects(createCannedReply(deps, customer, { title: "x", body: "y" }), NotFound);
  });

  test("only admins share and change shared replies; an agent changes and deletes only their own", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    await assert.rejects(
      createCannedReply(deps, agent, { title: "t", body: "b", shared: true }),
      Forbidden,
    );
    const shared = await createCannedReply(deps, admin, { title: "S", body: "b", shared: true });
    await assert.rejects(
      updateCannedReply(deps, agent, shared.id, { title: "S2", body: "b" }),
      Forbidden,
    );
    await assert.rejects(deleteCannedReply(deps, agent, shared.id), Forbidden);
    const own = await createCannedReply(deps, agent, { title: "Own", body: "b" });
    const changed = await updateCannedReply(deps, agent, own.id, { title: "  Own 2 ", body: "c" });
    assert.equal(changed.title, "Own 2");
    assert.equal(changed.shared, false, "a personal reply stays personal");
    await deleteCannedReply(deps, agent, own.id);
    const rows = await deps.db.select().from(cannedReplies).where(eq(cannedReplies.id, own.id));
    assert.equal(rows.length, 0);
    const renamed = await updateCannedReply(deps, admin, shared.id, { title: "S3", body: "b" });
    assert.equal(renamed.shared, true);
  });

  test("validation names the field: required, too long, unknown placeholders by name", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const fieldsOf = async (input: { title: string; body: string }) => {
      const error = await createCannedReply(deps, agent, input).catch((e: unknown) => e);
      assert.ok(error instanceof Invalid, `refused: ${JSON.stringify(input).slice(0, 40)}`);
      return error.errors;
    };
    assert.deepEqual(
      (await fieldsOf({ title: " ", body: "b" })).map((e) => e.field),
      ["title"],
    );
    assert.deepEqual(
      (await fieldsOf({ title: "t", body: " \n " })).map((e) => e.field),
      ["body"],
    );
    assert.equal(
      (await fieldsOf({ title: "x".repeat(101), body: "b" }))[0]?.key,
      "error.field.maxLength",
    );
    const [unknown] = await fieldsOf({
      title: "t",
      body: "Hi {{requester.name}} {{requester.phone}} {{ customer }}",
    });
    assert.equal(unknown?.field, "body");
    assert.equal(unknown?.key, "error.canned.unknownPlaceholder");
    assert.equal(unknown?.values?.names, "{{requester.phone}}, {{customer}}");
    assert.match(unknown?.message ?? "", /\{\{requester\.phone\}\}/);
    const rows = await deps.db
      .select()
      .from(cannedReplies)
      .where(eq(cannedReplies.ownerId, agent.id));
    assert.equal(rows.length, 0, "nothing refused was saved");
  });

  test("an agent may keep a limited number of their own", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    await deps.db.insert(cannedReplies).values(
      Array.from({ length: PERSONAL_CANNED_MAX }, (_, i) => ({
        ownerId: agent.id,
        title: `n${i}`,
        body: "b",
      })),
    );
    const error = await createCannedReply(deps, agent, { title: "one more", body: "b" }).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof Invalid);
    assert.equal(error.messageKey, "error.canned.tooManyPersonal");
    // Another agent's count is their own.
    await createCannedReply(deps, await makeAgent(deps), { title: "fine", body: "b" });
  });

  test("placeholders are filled for the ticket and the inserting agent, and hostile values stay text", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps, { name: "Agent *Smith*" });
    const requester = await makeCustomer(deps, {
      name: "<img src=x onerror=alert(1)> [x](javascript:alert(1))",
    });
    const ticket = await makeTicket(deps, requester, {
      title: "Printer [down](https://evil.test)",
    });
    const reply = await createCannedReply(deps, admin, {
      title: "Everything",
      body: "Hi {{requester.name}} ({{requester.email}}),\n\n#{{ticket.id}} {{ticket.title}}\n\n{{agent.name}}",
      shared: true,
    });
    const { body } = await renderCannedReply(deps, agent, ticket.id, reply.id);
    assert.ok(!body.includes("{{"), body);
    const html = renderMarkdown(body);
    assert.doesNotMatch(html, /<img|<a /, "no value became markup");
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt; \[x\]\(javascript:alert\(1\)\)/);
    assert.match(html, /Printer \[down\]\(https:\/\/evil\.test\)/);
    assert.match(html, /Agent \*Smith\*/);
    assert.match(html, new RegExp(`#${ticket.id} `));
    assert.match(html, new RegExp(requester.email.replace(/[.]/g, "\\.")));
  });

  test("filling in needs a ticket the agent sees: a restricted team's ticket is not found", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const team = await createTeam(deps, admin, { name: `Secret ${Date.now()}`, restricted: true });
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    await updateTicket(deps, admin, ticket.id, { teamId: team.id });
    const own = await createCannedReply(deps, agent, { title: "t", body: "{{ticket.title}}" });
    await assert.rejects(renderCannedReply(deps, agent, ticket.id, own.id), NotFound);
    await assert.rejects(renderCannedReply(deps, agent, 999_999, own.id), NotFound);
  });
});
