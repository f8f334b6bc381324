import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq, inArray } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import {
  attachments,
  messages,
  outbox,
  ticketCcs,
  ticketEvents,
  ticketRelations,
  tickets,
} from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { receiveEmail } from "../email/inbound.service.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { mergeTicket } from "./merge.service.ts";
import { addCc, addReply, listTickets } from "./tickets.service.ts";

const trail = async (deps: Deps, ticketId: number) =>
  (
    await deps.db
      .select()
      .from(ticketEvents)
      .where(
        and(eq(ticketEvents.ticketId, ticketId), inArray(ticketEvents.kind, ["merged", "split"])),
      )
      .orderBy(ticketEvents.id)
  ).map((e) => `${e.kind} ${e.fromValue} #${e.toValue}`);

const ticketRow = async (deps: Deps, id: number) =>
  (await deps.db.select().from(tickets).where(eq(tickets.id, id)))[0];

const messagesOf = async (deps: Deps, ticketId: number) =>
  deps.db.select().from(messages).where(eq(messages.ticketId, ticketId)).orderBy(messages.id);

/** The problem's code, as problem+json names it in `type`. */
const codeOf = (body: { type?: string }) => String(body.type).split("#")[1];

const mailsTo = async (deps: Deps, address: string) =>
  deps.db.select().from(outbox).where(eq(outbox.toAddress, address)).orderBy(outbox.id);

const ENV = { MAIL_FROM: "support@example.test", INBOUND_SMTP_DOMAINS: "support@example.test" };

describeEachDatabase(
  "merging and splitting tickets",
  (world) => {
    test("API: merging moves every message (in time order), attachment and CC to the target, closes the source with links both ways, rebuilds search and mails the requester once", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      const target = await makeTicket(deps, customer, {
        title: "Printer jams",
        description: "The printer jams on page two.",
      });
      const source = await makeTicket(deps, customer, {
        title: "Toner smudges",
        description: "Zebrastripes of toner on every page.",
      });
      await addReply(deps, agent, target.id, { content: "Which model is it?" });
      await addReply(deps, customer, source.id, { content: "Also a quokka noise." });
      await addReply(deps, agent, source.id, { content: "Internal: quasar", internal: true });
      await addCc(deps, agent, source.id, { address: "boss@client.example.org", name: "Boss" });
      const [file] = await deps.db
        .insert(attachments)
        .values({
          ticketId: source.id,
          messageId: (await messagesOf(deps, source.id))[0]?.id ?? null,
          uploaderId: customer.id,
          filename: "photo.png",
          contentType: "image/png",
          size: 3,
          sha256: "0".repeat(64),
        })
        .returning();
      const before = await ticketRow(deps, target.id);
      const mailsBefore = (await mailsTo(deps, customer.email)).length;

      const staff = await apiAs(world(), agent);
      const res = await staff.post(`/tickets/${source.id}/merge`, { targetId: target.id });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, target.id);

      assert.equal(
        (await messagesOf(deps, source.id)).length,
        0,
        "the source has no messages left",
      );
      const moved = await messagesOf(deps, target.id);
      assert.deepEqual(
        moved.map((m) => m.content),
        [
          "The printer jams on page two.",
          "Zebrastripes of toner on every page.",
          "Which model is it?",
          "Also a quokka noise.",
          "Internal: quasar",
        ],
        "one conversation, in the order it was written",
      );
      const times = moved.map((m) => m.createdAt.getTime());
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        "messages keep their times",
      );
      const [fileNow] = await deps.db
        .select()
        .from(attachments)
        .where(eq(attachments.id, file?.id ?? 0));
      assert.equal(fileNow?.ticketId, target.id, "the attachment moved");
      const ccs = await deps.db
        .select()
        .from(ticketCcs)
        .where(inArray(ticketCcs.ticketId, [source.id, target.id]));
      assert.deepEqual(
        ccs.map((c) => [c.ticketId, c.address]),
        [[target.id, "boss@client.example.org"]],
      );

      const closed = await ticketRow(deps, source.id);
      assert.equal(closed?.status, "closed");
      const after = await ticketRow(deps, target.id);
      assert.ok((after?.version ?? 0) > (before?.version ?? 0), "the target's version moved");
      const links = await staff.get(`/tickets/${source.id}/links`);
      assert.deepEqual(
        links.body.data.map((l: { relation: string; ticket: { id: number } }) => [
          l.relation,
          l.ticket.id,
        ]),
        [["merged_into", target.id]],
      );
      const back = await staff.get(`/tickets/${target.id}/links`);
      assert.deepEqual(
        back.body.data.map((l: { relation: string; ticket: { id: number } }) => [
          l.relation,
          l.ticket.id,
        ]),
        [["merged_from", source.id]],
      );
      assert.deepEqual(await trail(deps, source.id), [`merged into #${target.id}`]);
      assert.deepEqual(await trail(deps, target.id), [`merged from #${source.id}`]);

      // Search: the source's words find the target (staff: notes too), and no longer the source.
      const found = async (q: string, who = agent) =>
        (await listTickets(deps, who, { q })).tickets.map((t) => t.id).sort();
      assert.deepEqual(await found("zebrastripes"), [target.id]);
      assert.deepEqual(await found("quokka"), [target.id]);
      assert.deepEqual(await found("quasar"), [target.id]);
      assert.deepEqual(await found("quasar", customer), [], "notes stay staff's");
      assert.deepEqual(await found("printer jams"), [target.id]);

      // One mail, to the requester, about the target.
      const mails = (await mailsTo(deps, customer.email)).slice(mailsBefore);
      assert.deepEqual(
        mails.map((m) => [m.kind, m.ticketId]),
        [["ticket.merged", target.id]],
      );
      assert.match(mails[0]?.subject ?? "", new RegExp(`^\\[#${target.id}\\] Printer jams`));
      assert.match(mails[0]?.textBody ?? "", new RegExp(`#${source.id} “Toner smudges”`));

      // Merged is final: no second merge, no unlinking the record.
      const again = await staff.post(`/tickets/${source.id}/merge`, { targetId: target.id });
      assert.equal(again.status, 409);
      assert.equal(codeOf(again.body), "merge_source_closed");
      const unlink = await staff.request(
        "DELETE",
        `/tickets/${target.id}/links/${back.body.data[0].id}`,
      );
      assert.equal(unlink.status, 409);
    });

    test("API: refused with the reason: itself, a closed target, another requester unless confirmed, a hidden or missing target (404), customers (403/404)", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const customer = await makeCustomer(deps);
      const stranger = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      const source = await makeTicket(deps, customer, { title: "Mine" });
      const closedTarget = await makeTicket(deps, customer, { status: "closed" });
      const theirs = await makeTicket(deps, stranger, { title: "Theirs" });
      const hiddenTeam = await createTeam(deps, admin, { name: "Payroll", restricted: true });
      await addMember(deps, admin, hiddenTeam.id, admin.email);
      const hidden = await makeTicket(deps, customer);
      await deps.db.update(tickets).set({ teamId: hiddenTeam.id }).where(eq(tickets.id, hidden.id));

      const staff = await apiAs(world(), agent);
      const merge = (body: Record<string, unknown>, id = source.id) =>
        staff.post(`/tickets/${id}/merge`, body);
      const self = await merge({ targetId: source.id });
      assert.equal(self.status, 409);
      assert.equal(codeOf(self.body), "merge_self");
      const toClosed = await merge({ targetId: closedTarget.id });
      assert.equal(toClosed.status, 409);
      assert.equal(codeOf(toClosed.body), "merge_target_closed");
      assert.match(toClosed.body.detail, /closed/);
      const across = await merge({ targetId: theirs.id });
      assert.equal(across.status, 409);
      assert.equal(codeOf(across.body), "merge_needs_confirmation");
      assert.match(across.body.detail, /confirmDifferentRequester/);
      assert.equal((await merge({ targetId: hidden.id })).status, 404);
      assert.equal((await merge({ targetId: 999_999 })).status, 404);
      assert.equal((await merge({ targetId: theirs.id }, hidden.id)).status, 404);

      const own = await apiAs(world(), customer);
      const ownTarget = await makeTicket(deps, customer);
      assert.equal(
        (await own.post(`/tickets/${source.id}/merge`, { targetId: ownTarget.id })).status,
        403,
      );
      const other = await apiAs(world(), stranger);
      assert.equal(
        (await other.post(`/tickets/${source.id}/merge`, { targetId: theirs.id })).status,
        404,
      );
      assert.equal((await ticketRow(deps, source.id))?.status, "new", "nothing was merged");
      assert.equal((await messagesOf(deps, source.id)).length, 1);

      // Confirmed: merged, and the source's requester follows the target as a CC.
      const confirmed = await merge({ targetId: theirs.id, confirmDifferentRequester: true });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      const ccs = await deps.db.select().from(ticketCcs).where(eq(ticketCcs.ticketId, theirs.id));
      assert.deepEqual(
        ccs.map((c) => c.address),
        [customer.email.toLowerCase()],
      );
      const mails = await deps.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.kind, "ticket.merged"), eq(outbox.ticketId, theirs.id)));
      assert.deepEqual(
        mails.map((m) => m.toAddress),
        [customer.email],
        "only the source's requester is told",
      );
    });

    test("two merges of the same two tickets at once, each into the other: one merges, the other is refused, neither deadlocks", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      for (let round = 0; round < 5; round++) {
        const a = await makeTicket(deps, customer);
        const b = await makeTicket(deps, customer);
        const results = await Promise.allSettled([
          mergeTicket(deps, agent, a.id, { targetId: b.id }),
          mergeTicket(deps, agent, b.id, { targetId: a.id }),
        ]);
        const fulfilled = results.filter((r) => r.status === "fulfilled");
        const rejected = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
        assert.equal(fulfilled.length, 1, `round ${round}: ${rejected.map(String).join("; ")}`);
        assert.equal(rejected.length, 1);
        assert.match(String(rejected[0]?.code), /merge_(source|target)_closed/);
        const statuses = [
          (await ticketRow(deps, a.id))?.status,
          (await ticketRow(deps, b.id))?.status,
        ];
        assert.deepEqual(statuses.sort(), ["closed", "new"]);
      }
    });

    test("page: 'Merge into…' asks on a confirmation page naming both tickets and requesters, then merges and shows the target with a notice", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps, { name: "Cora <b>Customer</b>" });
      const stranger = await makeCustomer(deps, { name: "Sam Stranger" });
      const agent = await makeAgent(deps);
      const source = await makeTicket(deps, customer, { title: "<script>x</script> source" });
      const target = await makeTicket(deps, stranger, { title: "The target" });
      const page = `/tickets/${source.id}`;
      const avery = await world().signedIn(agent);
      const shown = await avery.get(page);
      assert.match(shown.body, new RegExp(`action="/tickets/${source.id}/merge"`));

      const bad = await avery.post(
        `${page}/merge`,
        { mergeTicketId: "999999" },
        { csrfFrom: page },
      );
      assert.equal(bad.statusCode, 422);
      assert.match(decodeEntities(bad.body), /is not a ticket you can see/);
      const selfForm = await avery.post(
        `${page}/merge`,
        { mergeTicketId: `#${source.id}` },
        { csrfFrom: page },
      );
      assert.equal(selfForm.statusCode, 422);
      assert.match(decodeEntities(selfForm.body), /merged into itself/);

      const asked = await avery.post(
        `${page}/merge`,
        { mergeTicketId: `#${target.id}` },
        { csrfFrom: page },
      );
      assert.equal(asked.statusCode, 200);
      const text = decodeEntities(asked.body);
      assert.match(text, new RegExp(`Merge #${source.id} into #${target.id}\\?`));
      assert.match(text, /The target/);
      assert.match(text, /Sam Stranger/);
      assert.ok(!asked.body.includes("<script>x</script>"), "titles are escaped");
      assert.ok(!asked.body.includes("<b>Customer</b>"), "names are escaped");
      assert.match(asked.body, /id="different-requesters"/);
      assert.match(asked.body, /name="confirmDifferentRequester" value="true"/);
      assert.equal((await ticketRow(deps, source.id))?.status, "new", "asking changes nothing");

      const done = await avery.post(
        `${page}/merge`,
        { mergeTicketId: String(target.id), confirm: "true", confirmDifferentRequester: "true" },
        { csrfFrom: page },
      );
      assert.equal(done.statusCode, 303);
      assert.equal(done.headers.location, `/tickets/${target.id}?notice=merged`);
      const landed = decodeEntities((await avery.get(done.headers.location as string)).body);
      assert.match(landed, /The tickets are merged/);
      assert.match(landed, /Merged from/);
      const sourcePage = await avery.get(page);
      assert.match(decodeEntities(sourcePage.body), /Merged into/);
      assert.ok(
        !sourcePage.body.includes(`action="/tickets/${source.id}/merge"`),
        "no merge form on a closed ticket",
      );

      assert.match(
        decodeEntities(sourcePage.body),
        new RegExp(`merged into <a href="/tickets/${target.id}">#${target.id}</a>`),
      );
      const cora = await world().signedIn(customer);
      const own = decodeEntities((await cora.get(page)).body);
      assert.match(own, /This ticket was merged into another ticket\./, "the target is not theirs");
      assert.ok(!own.includes(`href="/tickets/${target.id}"`));
      const other = await makeTicket(deps, customer);
      const forged = await cora.post(
        `/tickets/${other.id}/merge`,
        { mergeTicketId: String(source.id), confirm: "true" },
        { csrfFrom: `/tickets/${other.id}` },
      );
      assert.equal(forged.statusCode, 403);
    });

    test("split: a reply becomes a new ticket of the same requester with its attachments, linked both ways; the first message and internal notes stay", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, customer, {
        title: "Printer",
        description: "It jams.",
      });
      const { message: reply } = await addReply(deps, customer, ticket.id, {
        content: "# Other thing\nMy xylophonic mouse squeaks.",
      });
      const { message: note } = await addReply(deps, agent, ticket.id, {
        content: "note",
        internal: true,
      });
      await deps.db.insert(attachments).values({
        ticketId: ticket.id,
        messageId: reply.id,
        uploaderId: customer.id,
        filename: "mouse.png",
        contentType: "image/png",
        size: 3,
        sha256: "1".repeat(64),
      });
      const [first] = await messagesOf(deps, ticket.id);

      const staff = await apiAs(world(), agent);
      const split = (id: number, body: Record<string, unknown> = {}) =>
        staff.post(`/tickets/${ticket.id}/messages/${id}/split`, body);
      const firstRes = await split(first?.id ?? 0);
      assert.equal(firstRes.status, 409);
      assert.equal(codeOf(firstRes.body), "split_first_message");
      assert.equal(codeOf((await split(note.id)).body), "split_internal_note");
      assert.equal((await split(999_999)).status, 404);
      const own = await apiAs(world(), customer);
      assert.equal(
        (await own.post(`/tickets/${ticket.id}/messages/${reply.id}/split`, {})).status,
        403,
      );

      const res = await split(reply.id);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const created = res.body;
      assert.equal(created.title, "Other thing", "titled by the message's first line");
      assert.equal(created.requesterId, customer.id);
      assert.deepEqual(
        (await messagesOf(deps, created.id)).map((m) => m.id),
        [reply.id],
        "the message moved",
      );
      assert.deepEqual(
        (await messagesOf(deps, ticket.id)).map((m) => m.id),
        [first?.id, note.id],
      );
      const files = await deps.db
        .select()
        .from(attachments)
        .where(eq(attachments.messageId, reply.id));
      assert.deepEqual(
        files.map((f) => f.ticketId),
        [created.id],
      );
      const links = await staff.get(`/tickets/${created.id}/links`);
      assert.deepEqual(
        links.body.data.map((l: { relation: string; ticket: { id: number } }) => [
          l.relation,
          l.ticket.id,
        ]),
        [["split_from", ticket.id]],
      );
      const back = await staff.get(`/tickets/${ticket.id}/links`);
      assert.equal(back.body.data[0].relation, "split_into");
      assert.deepEqual(await trail(deps, ticket.id), [`split into #${created.id}`]);
      assert.deepEqual(await trail(deps, created.id), [`split from #${ticket.id}`]);
      const found = (await listTickets(deps, agent, { q: "xylophonic" })).tickets.map((t) => t.id);
      assert.deepEqual(found, [created.id], "the words went with the message");
      const rows = await deps.db
        .select()
        .from(ticketRelations)
        .where(eq(ticketRelations.ticketId, created.id));
      assert.equal(rows[0]?.kind, "split_from");

      // The page: a split form under each reply but the first; it lands on the new ticket.
      const { message: another } = await addReply(deps, customer, ticket.id, { content: "Third" });
      const page = `/tickets/${ticket.id}`;
      const avery = await world().signedIn(agent);
      const shown = await avery.get(page);
      assert.ok(!shown.body.includes(`/messages/${first?.id}/split"`));
      assert.match(shown.body, new RegExp(`/messages/${another.id}/split"`));
      const posted = await avery.post(
        `${page}/messages/${another.id}/split`,
        { title: "Given title" },
        { csrfFrom: page },
      );
      assert.equal(posted.statusCode, 303);
      assert.match(posted.headers.location as string, /^\/tickets\/\d+\?notice=split$/);
      const landed = decodeEntities((await avery.get(posted.headers.location as string)).body);
      assert.match(landed, /Given title/);
      assert.match(landed, /Split from/);
    });
    test("a reply by mail to a merged ticket's old thread joins the ticket it was merged into", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      const target = await makeTicket(deps, customer, { title: "Target" });
      const source = await makeTicket(deps, customer, { title: "Source" });
      const [ack] = await deps.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.ticketId, source.id), eq(outbox.kind, "ticket.received")));
      const replyTo = ack?.headers["Reply-To"] ?? "";
      assert.match(replyTo, /^support\+\d+-/);
      await mergeTicket(deps, agent, source.id, { targetId: target.id });
      const raw = Buffer.from(
        `From: ${customer.email}\r\nTo: ${replyTo}\r\nSubject: Re: ${ack?.subject}\r\nMessage-ID: <merged-${source.id}@client.example.org>\r\n\r\nStill broken, as I said.\r\n`,
      );
      const result = await receiveEmail(deps, raw, { from: customer.email, to: [replyTo] });
      assert.equal(result.status, "reply", JSON.stringify(result));
      assert.equal(result.ticketId, target.id);
      assert.equal((await messagesOf(deps, target.id)).at(-1)?.content, "Still broken, as I said.");
      assert.equal(
        (await messagesOf(deps, source.id)).length,
        0,
        "no follow-up of the closed source",
      );
    });
  },
  { env: ENV },
);
