import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import type { Deps } from "../deps.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { stageUpload } from "./attachments.storage.ts";
import {
  addCc,
  addReply,
  getAttachment,
  getTicket,
  getTicketView,
  listAttachmentsPage,
  listCcs,
  listEventsPage,
  listMessagesPage,
  listTickets,
  removeCc,
  updateTicket,
} from "./tickets.service.ts";

/** Rejects with a 404 naming exactly `what` (nothing more, nothing else). */
async function notFound(work: Promise<unknown>, what: string) {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof NotFound, `expected NotFound, got ${String(error)}`);
    assert.equal(error.message, `No ${what}.`);
    return true;
  });
}

async function fileOn(deps: Deps, name: string) {
  return stageUpload(deps.config.dataDir, Readable.from(Buffer.from(name)), name, "text/plain");
}

describeEachDatabase("the access policy, route by route of the services", (world) => {
  test("another customer's ticket is 'No ticket N.' on every read and write, and so are its files", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const stranger = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, owner);
    const { message } = await addReply(deps, agent, ticket.id, { content: "Here it is." }, [
      await fileOn(deps, "invoice.txt"),
    ]);
    const page = { limit: 10 };
    const it = `ticket ${ticket.id}`;
    await notFound(getTicketView(deps, stranger, ticket.id), it);
    await notFound(getTicket(deps, stranger, ticket.id), it);
    await notFound(listMessagesPage(deps, stranger, ticket.id, page), it);
    await notFound(listAttachmentsPage(deps, stranger, ticket.id, page), it);
    await notFound(addReply(deps, stranger, ticket.id, { content: "Me too" }), it);
    await notFound(updateTicket(deps, stranger, ticket.id, { status: "solved" }), it);
    const files = await listAttachmentsPage(deps, owner, ticket.id, page);
    const file = files.rows.find((f) => f.messageId === message.id);
    assert.ok(file, "the owner sees the file");
    await notFound(getAttachment(deps, stranger, file.id), `attachment ${file.id}`);
    // The owner may: the same calls answer.
    assert.equal((await getTicket(deps, owner, ticket.id)).id, ticket.id);
    assert.equal((await getAttachment(deps, owner, file.id)).id, file.id);
  });

  test("an internal note's file is 'No attachment N.' for the requester, and the note is not in their view", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, owner);
    const { message } = await addReply(
      deps,
      agent,
      ticket.id,
      { content: "Refund approved, do not tell yet.", internal: true },
      [await fileOn(deps, "approval.txt")],
    );
    const staffFiles = await listAttachmentsPage(deps, agent, ticket.id, { limit: 10 });
    const file = staffFiles.rows.find((f) => f.messageId === message.id);
    assert.ok(file, "staff see the note's file");
    await notFound(getAttachment(deps, owner, file.id), `attachment ${file.id}`);
    const mine = await listAttachmentsPage(deps, owner, ticket.id, { limit: 10 });
    assert.equal(mine.rows.length, 0);
    const view = await getTicketView(deps, owner, ticket.id);
    assert.deepEqual(
      view.messages.map((m) => m.id).filter((id) => id === message.id),
      [],
    );
    assert.equal(view.events.length, 0, "customers get no audit trail");
  });

  test("a restricted team's ticket is 'No ticket N.' for an agent outside it, on every read and write", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const member = await makeAgent(deps);
    const outsider = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const team = await createTeam(deps, admin, { name: `Legal ${Date.now()}`, restricted: true });
    await addMember(deps, admin, team.id, member.email);
    const ticket = await makeTicket(deps, customer);
    await updateTicket(deps, admin, ticket.id, { teamId: team.id });
    const page = { limit: 10 };
    const it = `ticket ${ticket.id}`;
    await notFound(getTicketView(deps, outsider, ticket.id), it);
    await notFound(getTicket(deps, outsider, ticket.id), it);
    await notFound(listMessagesPage(deps, outsider, ticket.id, page), it);
    await notFound(listEventsPage(deps, outsider, ticket.id, page), it);
    await notFound(listCcs(deps, outsider, ticket.id), it);
    await notFound(addCc(deps, outsider, ticket.id, { address: "boss@example.com" }), it);
    await notFound(removeCc(deps, outsider, ticket.id, "boss@example.com"), it);
    await notFound(addReply(deps, outsider, ticket.id, { content: "Hm" }), it);
    await notFound(updateTicket(deps, outsider, ticket.id, { priority: "high" }), it);
    // Members and admins may.
    assert.equal((await getTicket(deps, member, ticket.id)).id, ticket.id);
    assert.equal((await getTicket(deps, admin, ticket.id)).id, ticket.id);
  });

  test("lists follow the same rule: a customer lists only their own tickets whoever they ask for; an agent outside a restricted team does not list its tickets", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const member = await makeAgent(deps);
    const outsider = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const other = await makeCustomer(deps);
    const team = await createTeam(deps, admin, { name: `Vault ${Date.now()}`, restricted: true });
    await addMember(deps, admin, team.id, member.email);
    const mine = await makeTicket(deps, customer);
    const theirs = await makeTicket(deps, other);
    const hidden = await makeTicket(deps, other);
    await updateTicket(deps, admin, hidden.id, { teamId: team.id });
    const ids = async (actor: Parameters<typeof listTickets>[1], requesterId?: number) =>
      (
        await listTickets(deps, actor, { limit: 100, ...(requesterId ? { requesterId } : {}) })
      ).tickets
        .map((t) => t.id)
        .filter((id) => [mine.id, theirs.id, hidden.id].includes(id))
        .sort((a, b) => a - b);
    assert.deepEqual(await ids(customer), [mine.id]);
    assert.deepEqual(await ids(customer, other.id), [mine.id], "asking for another's is ignored");
    assert.deepEqual(await ids(outsider), [mine.id, theirs.id]);
    assert.deepEqual(await ids(outsider, other.id), [theirs.id]);
    assert.deepEqual(await ids(member, other.id), [theirs.id, hidden.id]);
    assert.deepEqual(await ids(admin), [mine.id, theirs.id, hidden.id]);
  });

  test("a restricted team's ticket is never assigned to an agent outside it: refused when chosen, handed back when the ticket moves in", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const member = await makeAgent(deps);
    const outsider = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const team = await createTeam(deps, admin, { name: `Payroll ${Date.now()}`, restricted: true });
    await addMember(deps, admin, team.id, member.email);

    const inTeam = await makeTicket(deps, customer);
    await updateTicket(deps, admin, inTeam.id, { teamId: team.id });
    await assert.rejects(
      updateTicket(deps, admin, inTeam.id, { assigneeId: outsider.id }),
      (error: unknown) =>
        error instanceof Invalid &&
        error.errors.some(
          (e) => e.field === "assigneeId" && /not in this ticket's restricted team/.test(e.message),
        ),
    );
    assert.equal((await getTicket(deps, admin, inTeam.id)).assigneeId, null, "nothing changed");
    const toMember = await updateTicket(deps, admin, inTeam.id, { assigneeId: member.id });
    assert.equal(toMember.assigneeId, member.id);

    const outside = await makeTicket(deps, customer);
    await updateTicket(deps, admin, outside.id, { assigneeId: outsider.id });
    const moved = await updateTicket(deps, admin, outside.id, { teamId: team.id });
    assert.equal(moved.teamId, team.id);
    assert.equal(moved.assigneeId, null, "back to the team's pool");
    const trail = await listEventsPage(deps, admin, outside.id, { limit: 50 });
    assert.ok(
      trail.rows.some(
        (e) => e.kind === "assignee" && e.fromValue === String(outsider.id) && e.toValue === null,
      ),
      "the hand-back is in the audit trail",
    );
  });
});
