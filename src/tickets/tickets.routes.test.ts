import assert from "node:assert/strict";
import { test } from "node:test";
import { eq, sql } from "drizzle-orm";
import { ApiClient, anonymousApi, apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { updateUser } from "../accounts/accounts.service.ts";
import {
  attachments,
  idempotencyKeys,
  tickets as ticketsTable,
  users,
} from "../db/schema/index.ts";
import { createToken, revokeToken } from "../tokens/tokens.service.ts";

describeEachDatabase("tickets API", (world) => {
  test("a customer opens a ticket and sees it, with its first message, in their list", async () => {
    const customer = await makeCustomer(world().deps);
    const api = await apiAs(world(), customer);
    const created = await api.post("/tickets", {
      title: "  Printer  ",
      description: "On fire",
      priority: "high",
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.title, "Printer");
    assert.equal(created.body.status, "new");
    assert.equal(created.body.priority, "high");
    assert.equal(created.body.requesterId, customer.id);
    assert.equal(created.body.assigneeId, null);
    assert.match(created.body.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const list = await api.get("/tickets");
    assert.deepEqual(
      list.body.data.map((t: { id: number }) => t.id),
      [created.body.id],
    );
    assert.equal(list.body.nextCursor, null);
    const messages = await api.get(`/tickets/${created.body.id}/messages`);
    assert.equal(messages.body.data.length, 1);
    assert.equal(messages.body.data[0].content, "On fire");
    assert.equal(messages.body.data[0].authorId, customer.id);
  });

  test("staff work a ticket: assign, reply and note; the customer never sees the note", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    const staff = await apiAs(world(), agent);
    const assigned = await staff.patch(`/tickets/${ticket.id}`, {
      assigneeId: agent.id,
      priority: "urgent",
    });
    assert.equal(assigned.status, 200);
    assert.equal(assigned.body.assigneeId, agent.id);
    assert.equal(assigned.body.priority, "urgent");
    const reply = await staff.post(`/tickets/${ticket.id}/messages`, { content: "Looking at it" });
    assert.equal(reply.status, 201);
    assert.equal(reply.body.internal, false);
    const note = await staff.post(`/tickets/${ticket.id}/messages`, {
      content: "secret-note-words",
      internal: true,
    });
    assert.equal(note.status, 201);
    assert.equal(note.body.internal, true);
    assert.equal((await staff.get(`/tickets/${ticket.id}`)).body.status, "open");

    const own = await apiAs(world(), customer);
    const seen = await own.get(`/tickets/${ticket.id}/messages`);
    assert.deepEqual(
      seen.body.data.map((m: { content: string }) => m.content),
      ["It is on fire again.", "Looking at it"],
    );
    const events = await staff.get(`/tickets/${ticket.id}/events`);
    assert.deepEqual(
      events.body.data.map((e: { kind: string; from: string | null; to: string | null }) => [
        e.kind,
        e.to,
      ]),
      [
        ["created", "new"],
        ["priority", "urgent"],
        ["assignee", String(agent.id)],
        ["status", "open"],
      ],
    );
    const solved = await own.patch(`/tickets/${ticket.id}`, { status: "solved" });
    assert.equal(solved.status, 200);
    assert.equal(solved.body.status, "solved");
  });

  test("staff open a ticket for a customer by email; a new one gets an account without a password", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const staff = await apiAs(world(), agent);
    const email = `new-${Date.now()}@example.test`;
    const created = await staff.post("/tickets", {
      title: "Phoned in",
      description: "Called about invoices",
      requesterEmail: email.toUpperCase(),
    });
    assert.equal(created.status, 201);
    const [account] = await deps.db
      .select()
      .from(users)
      .where(eq(users.id, created.body.requesterId));
    assert.equal(account?.email, email.toUpperCase());
    assert.equal(account?.role, "customer");
    assert.equal(account?.passwordHash, null);
    const again = await staff.post("/tickets", {
      title: "Second call",
      description: "Still invoices",
      requesterEmail: email,
    });
    assert.equal(again.body.requesterId, created.body.requesterId);
  });

  test("every unknown or wrong-typed field is named in a 400", async () => {
    const api = await apiAs(world(), await makeCustomer(world().deps));
    const res = await api.post("/tickets", { title: 5, priority: "whenever", colour: "red" });
    assert.equal(res.status, 400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, ["colour", "description", "priority", "title"]);
    const query = await api.get("/tickets?limit=500&sort=sideways&bogus=1");
    assert.equal(query.status, 400);
    assert.deepEqual(query.body.errors.map((e: { field: string }) => e.field).sort(), [
      "bogus",
      "limit",
      "sort",
    ]);
    const blank = await api.post("/tickets", { title: "   ", description: "x" });
    assert.equal(blank.status, 400);
    assert.equal(blank.body.errors[0].field, "title");
    assert.equal((await api.get("/tickets/abc")).status, 400);
  });

  test("malformed JSON is a 400, another content type a 415, a huge body a 413", async () => {
    const api = await apiAs(world(), await makeCustomer(world().deps));
    const malformed = await api.request("POST", "/tickets", '{"title": "x",');
    assert.equal(malformed.status, 400);
    const form = await api.request("POST", "/tickets", "title=x&description=y", {
      "content-type": "application/x-www-form-urlencoded",
    });
    assert.equal(form.status, 415);
    const huge = await api.post("/tickets", { title: "x", description: "y".repeat(300 * 1024) });
    assert.equal(huge.status, 413);
    const nested = await api.request(
      "POST",
      "/tickets",
      `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
    );
    assert.equal(nested.status, 400);
    assert.equal((await api.get("/tickets")).body.data.length, 0, "nothing was created");
  });

  test("no, malformed, revoked or disabled credentials are a 401", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    assert.equal((await anonymousApi(world()).get("/tickets")).status, 401);
    assert.equal((await new ApiClient(world().app, "tsr_not-a-real-token").get("/me")).status, 401);
    const basic = await world().app.inject({
      url: "/api/v1/me",
      headers: { authorization: "Basic dXNlcjpwYXNz" },
    });
    assert.equal(basic.statusCode, 401);
    const { token, record } = await createToken(deps, customer, { name: "soon gone" });
    const api = new ApiClient(world().app, token);
    assert.equal((await api.get("/me")).status, 200);
    await revokeToken(deps, customer, record.id);
    assert.equal((await api.get("/me")).status, 401);
    const admin = await makeAdmin(deps);
    const second = new ApiClient(
      world().app,
      (await createToken(deps, customer, { name: "x" })).token,
    );
    assert.equal((await second.get("/me")).status, 200);
    await updateUser(deps, admin, customer.id, { disabled: true });
    assert.equal((await second.get("/me")).status, 401, "a disabled user's token stops at once");
  });

  test("a customer gets 403 for staff-only changes and 404 for others' tickets", async () => {
    const { deps } = world();
    const alice = await makeCustomer(deps);
    const bob = await makeCustomer(deps);
    const hers = await makeTicket(deps, alice);
    const api = await apiAs(world(), bob);
    for (const path of [
      `/tickets/${hers.id}`,
      `/tickets/${hers.id}/messages`,
      `/tickets/${hers.id}/events`,
    ]) {
      assert.equal((await api.get(path)).status, 404, path);
    }
    assert.equal((await api.patch(`/tickets/${hers.id}`, { status: "solved" })).status, 404);
    assert.equal((await api.post(`/tickets/${hers.id}/messages`, { content: "hi" })).status, 404);
    assert.equal((await api.get(`/tickets/999999`)).status, 404);
    const own = await makeTicket(deps, bob);
    assert.equal((await api.patch(`/tickets/${own.id}`, { priority: "urgent" })).status, 403);
    assert.equal((await api.patch(`/tickets/${own.id}`, { status: "closed" })).status, 403);
    assert.equal((await api.get(`/tickets/${own.id}/events`)).status, 403);
    assert.equal(
      (await api.post(`/tickets/${own.id}/messages`, { content: "x", internal: true })).status,
      403,
    );
    assert.equal(
      (await api.post("/tickets", { title: "x", description: "y", requesterEmail: "a@b.test" }))
        .status,
      403,
    );
    const list = await api.get(`/tickets?requesterId=${alice.id}`);
    assert.deepEqual(
      list.body.data.map((t: { id: number }) => t.id),
      [own.id],
      "a customer's list is their own, whatever the filter",
    );
  });

  test("a closed ticket is 409 for staff changes and replies; a customer's reply opens a follow-up", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer, { status: "closed" });
    const staff = await apiAs(world(), agent);
    assert.equal((await staff.patch(`/tickets/${ticket.id}`, { priority: "low" })).status, 409);
    assert.equal(
      (await staff.post(`/tickets/${ticket.id}/messages`, { content: "x" })).status,
      409,
    );
    const assignCustomer = await staff.patch(`/tickets/${(await makeTicket(deps, customer)).id}`, {
      assigneeId: customer.id,
    });
    assert.equal(assignCustomer.status, 400, "a customer cannot be an assignee");
    const beyondInt = await staff.patch(`/tickets/${(await makeTicket(deps, customer)).id}`, {
      assigneeId: 2_147_483_648,
    });
    assert.equal(beyondInt.status, 400, "an id beyond the database's integers is invalid input");
    const own = await apiAs(world(), customer);
    const reply = await own.post(`/tickets/${ticket.id}/messages`, { content: "It broke again" });
    assert.equal(reply.status, 201);
    assert.notEqual(reply.body.ticketId, ticket.id);
    const followUp = await own.get(`/tickets/${reply.body.ticketId}`);
    assert.equal(followUp.body.title, `Re: ${ticket.title}`);
  });

  test("a reply sent with an older lastSeenMessageId is a 409 naming who wrote since; without it, it is posted", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const [first, second] = [await makeAgent(deps, { name: "Ada" }), await makeAgent(deps)];
    const ticket = await makeTicket(deps, customer);
    const one = await apiAs(world(), first);
    const two = await apiAs(world(), second);
    const seen = (await two.get(`/tickets/${ticket.id}/messages`)).body.data.at(-1).id as number;
    assert.equal(
      (await one.post(`/tickets/${ticket.id}/messages`, { content: "On it." })).status,
      201,
    );
    const refused = await two.post(`/tickets/${ticket.id}/messages`, {
      content: "Me too",
      lastSeenMessageId: seen,
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.type.endsWith("replied_meanwhile"), true, refused.body.type);
    assert.match(refused.body.detail, /Ada replied while you were writing/);
    const contents = async () =>
      (await two.get(`/tickets/${ticket.id}/messages`)).body.data.map(
        (m: { content: string }) => m.content,
      );
    assert.deepEqual(await contents(), ["It is on fire again.", "On it."]);
    const bad = await two.post(`/tickets/${ticket.id}/messages`, {
      content: "Me too",
      lastSeenMessageId: 1.5,
    });
    assert.equal(bad.status, 400);
    assert.equal(
      (await two.post(`/tickets/${ticket.id}/messages`, { content: "Me too" })).status,
      201,
    );
    assert.deepEqual(await contents(), ["It is on fire again.", "On it.", "Me too"]);
  });

  test("a ticket carries an ETag; a PATCH with a stale If-Match is a 412 and changes nothing", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const [first, second] = [await makeAgent(deps), await makeAgent(deps)];
    const ticket = await makeTicket(deps, customer);
    const one = await apiAs(world(), first);
    const two = await apiAs(world(), second);
    const read = await one.get(`/tickets/${ticket.id}`);
    assert.equal(read.headers.etag, '"1"');
    assert.equal((await two.get(`/tickets/${ticket.id}`)).headers.etag, '"1"');

    // The first to write wins, and gets the new ETag back.
    const won = await one.patch(
      `/tickets/${ticket.id}`,
      { priority: "urgent" },
      { "if-match": '"1"' },
    );
    assert.equal(won.status, 200);
    assert.equal(won.headers.etag, '"2"');
    assert.equal(won.body.version, 2);

    // The second, still holding "1", loses: 412, a problem document, nothing written.
    const lost = await two.patch(
      `/tickets/${ticket.id}`,
      { priority: "low" },
      { "if-match": '"1"' },
    );
    assert.equal(lost.status, 412);
    assert.match(String(lost.headers["content-type"]), /^application\/problem\+json/);
    assert.equal(lost.body.type, "about:blank#changed_meanwhile");
    assert.match(lost.body.detail, /changed by someone else/);
    const [row] = await deps.db
      .select({ priority: ticketsTable.priority, version: ticketsTable.version })
      .from(ticketsTable)
      .where(eq(ticketsTable.id, ticket.id));
    assert.deepEqual(row, { priority: "urgent", version: 2 });

    // Weak tags never match; a list matches any of its tags; * and no header match any version.
    for (const tag of ['W/"2"', '"2 "', "2", '"0"']) {
      const res = await two.patch(
        `/tickets/${ticket.id}`,
        { priority: "low" },
        { "if-match": tag },
      );
      assert.equal(res.status, 412, tag);
    }
    assert.equal(
      (await two.patch(`/tickets/${ticket.id}`, { priority: "low" }, { "if-match": '"7", "2"' }))
        .headers.etag,
      '"3"',
    );
    assert.equal(
      (await two.patch(`/tickets/${ticket.id}`, { priority: "high" }, { "if-match": "*" })).status,
      200,
    );
    const plain = await two.patch(`/tickets/${ticket.id}`, { priority: "normal" });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.etag, '"5"');
    // Someone who may not see the ticket learns nothing: 404 before 412.
    const stranger = await apiAs(world(), await makeCustomer(deps));
    assert.equal(
      (await stranger.patch(`/tickets/${ticket.id}`, { status: "solved" }, { "if-match": '"1"' }))
        .status,
      404,
    );
  });

  test("files uploaded with a reply are listed per message and per ticket and downloaded with the token; customers never get a note's", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    const staff = await apiAs(world(), agent);
    const own = await apiAs(world(), customer);
    const pdf = Buffer.from("%PDF-1.4 report");
    const reply = await staff.postForm(
      `/tickets/${ticket.id}/messages`,
      { content: "Report attached", waitOnCustomer: "true" },
      [
        { field: "attachments", filename: "report.pdf", content: pdf, type: "application/pdf" },
        {
          field: "attachments",
          filename: "C:\\temp\\evil\u202egpj.html",
          content: "<script>alert(1)</script>",
          type: "text/html",
        },
      ],
    );
    assert.equal(reply.status, 201);
    assert.deepEqual(
      reply.body.attachments.map((a: { filename: string; contentType: string; size: number }) => [
        a.filename,
        a.contentType,
        a.size,
      ]),
      [
        ["report.pdf", "application/pdf", pdf.length],
        ["evilgpj.html", "text/html", 25],
      ],
    );
    assert.equal((await staff.get(`/tickets/${ticket.id}`)).body.status, "pending");
    const note = await staff.postForm(
      `/tickets/${ticket.id}/messages`,
      { content: "Internal log", internal: "true" },
      [{ field: "attachments", filename: "secret.txt", content: "secret", type: "text/plain" }],
    );
    assert.equal(note.status, 201);
    assert.equal(note.body.internal, true);
    const secretId = note.body.attachments[0].id as number;
    const rows = await deps.db
      .select({ messageId: attachments.messageId, filename: attachments.filename })
      .from(attachments)
      .where(eq(attachments.ticketId, ticket.id))
      .orderBy(attachments.id);
    assert.deepEqual(rows, [
      { messageId: reply.body.id, filename: "report.pdf" },
      { messageId: reply.body.id, filename: "evilgpj.html" },
      { messageId: note.body.id, filename: "secret.txt" },
    ]);

    // Per message and per ticket, as each may see them.
    const files = (m: { attachments: { filename: string }[] }) =>
      m.attachments.map((a) => a.filename);
    assert.deepEqual((await staff.get(`/tickets/${ticket.id}/messages`)).body.data.map(files), [
      [],
      ["report.pdf", "evilgpj.html"],
      ["secret.txt"],
    ]);
    assert.deepEqual((await own.get(`/tickets/${ticket.id}/messages`)).body.data.map(files), [
      [],
      ["report.pdf", "evilgpj.html"],
    ]);
    const names = (res: { body: { data: { filename: string }[] } }) =>
      res.body.data.map((a) => a.filename);
    assert.deepEqual(names(await staff.get(`/tickets/${ticket.id}/attachments`)), [
      "report.pdf",
      "evilgpj.html",
      "secret.txt",
    ]);
    const first = await own.get(`/tickets/${ticket.id}/attachments?limit=1`);
    assert.deepEqual(names(first), ["report.pdf"]);
    const rest = await own.get(
      `/tickets/${ticket.id}/attachments?limit=5&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    assert.deepEqual(names(rest), ["evilgpj.html"]);
    assert.equal(rest.body.nextCursor, null);

    // Downloads: the bytes, as an inert file, with a token (no redirect to a sign-in page).
    const download = (token: string | undefined, id: number) =>
      world().app.inject({
        url: `/api/v1/attachments/${id}`,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const [pdfId, htmlId] = reply.body.attachments.map((a: { id: number }) => a.id);
    const got = await download(own.token, pdfId);
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.rawPayload, pdf);
    assert.equal(got.headers["content-type"], "application/pdf");
    assert.equal(got.headers["content-disposition"], 'attachment; filename="report.pdf"');
    assert.equal(got.headers["x-content-type-options"], "nosniff");
    assert.equal(got.headers["cache-control"], "no-store");
    const html = await download(own.token, htmlId);
    assert.equal(html.headers["content-type"], "application/octet-stream");
    assert.equal(html.body, "<script>alert(1)</script>");
    assert.equal((await download(own.token, secretId)).statusCode, 404);
    assert.equal((await download(staff.token, secretId)).body, "secret");
    const stranger = await apiAs(world(), await makeCustomer(deps));
    assert.equal((await download(stranger.token, pdfId)).statusCode, 404);
    assert.equal((await stranger.get(`/tickets/${ticket.id}/attachments`)).status, 404);
    const anonymous = await download(undefined, pdfId);
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers.location, undefined);
  });

  test("multipart is taken only where the document says; its fields are checked like JSON's", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    const staff = await apiAs(world(), agent);
    const file = { field: "attachments", filename: "a.txt", content: "a", type: "text/plain" };
    const opened = await staff.postForm("/tickets", { title: "t", description: "d" }, [file]);
    assert.equal(opened.status, 415);
    const url = `/tickets/${ticket.id}/messages`;
    const refusals: [Record<string, string>, (typeof file)[], string][] = [
      [{ content: "x", attachments: "not a file" }, [], "attachments"],
      [{ content: "x" }, [{ ...file, field: "other" }], "other"],
      [{ content: "x", internal: "yes" }, [], "internal"],
      [{ content: "x", lastSeenMessageId: "1.5" }, [], "lastSeenMessageId"],
      [{ content: "" }, [file], "content"],
      [{ content: "x", priority: "high" }, [], "priority"],
    ];
    for (const [fields, files, field] of refusals) {
      const res = await staff.postForm(url, fields, files);
      assert.equal(res.status, 400, JSON.stringify(fields));
      assert.ok(
        res.body.errors.some((e: { field: string }) => e.field === field),
        `${field}: ${JSON.stringify(res.body.errors)}`,
      );
    }
    const tooMany = await staff.postForm(
      url,
      { content: "x" },
      Array.from({ length: 11 }, (_, i) => ({ ...file, filename: `f${i}.txt` })),
    );
    assert.equal(tooMany.status, 413);
    assert.equal(
      (await deps.db.select().from(attachments).where(eq(attachments.ticketId, ticket.id))).length,
      0,
    );

    // A retry with the same key and the same files is answered from the first; nothing doubles.
    const key = { "idempotency-key": `files-${ticket.id}` };
    const once = await staff.postForm(url, { content: "with file" }, [file], key);
    const again = await staff.postForm(url, { content: "with file" }, [file], key);
    assert.equal(once.status, 201);
    assert.equal(again.headers["idempotent-replayed"], "true");
    assert.deepEqual(again.body, once.body);
    const other = await staff.postForm(
      url,
      { content: "with file" },
      [{ ...file, content: "b" }],
      key,
    );
    assert.equal(other.status, 422);
    assert.equal(
      (await deps.db.select().from(attachments).where(eq(attachments.ticketId, ticket.id))).length,
      1,
    );
  });

  test("pages are keyset cursors: stable while new tickets arrive", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await makeTicket(deps, customer, { title: `T${i}` }));
    const api = await apiAs(world(), agent);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: { id: number }[]; nextCursor: string | null } } =
        await api.get(
          `/tickets?requesterId=${customer.id}&sort=createdAt&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        );
      assert.equal(res.status, 200);
      seen.push(...res.body.data.map((t: { id: number }) => t.id));
      cursor = res.body.nextCursor;
      pages++;
      // New tickets between pages land after the walk's position, never shifting it.
      await makeTicket(deps, customer, { title: `late ${pages}` });
    } while (cursor && pages < 10);
    const firstSeven = seen.slice(0, 7);
    assert.deepEqual(
      firstSeven,
      made.map((t) => t.id),
    );
    assert.equal(new Set(seen).size, seen.length, "no ticket twice");
    const bad = await api.get(`/tickets?cursor=${Buffer.from("[1]").toString("base64url")}`);
    assert.equal(bad.status, 400);
    const defaultPage = await api.get(`/tickets?requesterId=${customer.id}&limit=2`);
    assert.equal(defaultPage.body.data.length, 2);
    assert.equal((await api.get("/tickets?limit=0")).status, 400);
  });

  test("search finds words in titles and messages; customers never match internal notes", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const byTitle = await makeTicket(deps, customer, { title: "Invoices are duplicated" });
    const byBody = await makeTicket(deps, customer, {
      description: "The scanner jams on page two",
    });
    const staff = await apiAs(world(), agent);
    await staff.post(`/tickets/${byBody.id}/messages`, {
      content: "zebrafish internal",
      internal: true,
    });
    const own = await apiAs(world(), customer);
    const ids = async (api: ApiClient, q: string) =>
      (
        await api.get(`/tickets?q=${encodeURIComponent(q)}&requesterId=${customer.id}`)
      ).body.data.map((t: { id: number }) => t.id);
    assert.deepEqual(await ids(own, "invoice"), [byTitle.id], "stemmed: invoice matches invoices");
    assert.deepEqual(await ids(own, "jammed scanner"), [byBody.id]);
    assert.deepEqual(await ids(own, "scanner -page"), []);
    assert.deepEqual(await ids(staff, "zebrafish"), [byBody.id]);
    assert.deepEqual(await ids(own, "zebrafish"), [], "internal notes are invisible to customers");
    assert.deepEqual(await ids(own, "'); drop table tickets; --"), []);
    // Replies join their ticket's document, and -word excludes the whole ticket.
    await own.post(`/tickets/${byTitle.id}/messages`, { content: "The toner smells of burning" });
    assert.deepEqual(await ids(own, "toner"), [byTitle.id]);
    assert.deepEqual(await ids(own, "invoices -toner"), []);
    assert.deepEqual(await ids(staff, "invoices -zebrafish"), [byTitle.id]);
  });

  test("a retried create with the same Idempotency-Key returns the first ticket and creates nothing", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const api = await apiAs(world(), customer);
    const key = { "idempotency-key": "order-4711" };
    const first = await api.post("/tickets", { title: "Once", description: "only" }, key);
    assert.equal(first.status, 201);
    const retry = await api.post("/tickets", { description: "only", title: "Once" }, key);
    assert.equal(retry.status, 201);
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers["idempotent-replayed"], "true");
    const different = await api.post("/tickets", { title: "Twice", description: "only" }, key);
    assert.equal(different.status, 422);
    const rows = await deps.db
      .select()
      .from(ticketsTable)
      .where(eq(ticketsTable.requesterId, customer.id));
    assert.equal(rows.length, 1);
    const bad = await api.post(
      "/tickets",
      { title: "x", description: "y" },
      { "idempotency-key": "" },
    );
    assert.equal(bad.status, 400);
    // Another user's identical key is their own.
    const other = await apiAs(world(), await makeCustomer(deps));
    assert.equal(
      (await other.post("/tickets", { title: "Once", description: "only" }, key)).status,
      201,
    );
  });

  test("a retried reply with the same Idempotency-Key is posted once", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const api = await apiAs(world(), customer);
    const key = { "idempotency-key": "reply-1" };
    const first = await api.post(
      `/tickets/${ticket.id}/messages`,
      { content: "Still broken" },
      key,
    );
    const again = await api.post(
      `/tickets/${ticket.id}/messages`,
      { content: "Still broken" },
      key,
    );
    assert.equal(first.status, 201);
    assert.deepEqual(again.body, first.body);
    const messages = await api.get(`/tickets/${ticket.id}/messages`);
    assert.equal(messages.body.data.length, 2, "the description and one reply");
    const other = await api.post(`/tickets/${ticket.id}/messages`, { content: "Other" }, key);
    assert.equal(other.status, 422);
  });

  test("an answer stored before tickets had versions and messages files is still replayed", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const api = await apiAs(world(), customer);
    const key = { "idempotency-key": `upgrade-${customer.id}` };
    const ticket = await api.post("/tickets", { title: "Old", description: "stored" }, key);
    const replyKey = { "idempotency-key": `upgrade-reply-${customer.id}` };
    const reply = await api.post(
      `/tickets/${ticket.body.id}/messages`,
      { content: "hi" },
      replyKey,
    );
    // As an older release stored them: without the fields added since.
    await deps.db
      .update(idempotencyKeys)
      .set({ body: sql`${idempotencyKeys.body} - 'version' - 'attachments'` })
      .where(eq(idempotencyKeys.userId, customer.id));
    const again = await api.post("/tickets", { title: "Old", description: "stored" }, key);
    assert.equal(again.status, 201);
    assert.equal(again.headers["idempotent-replayed"], "true");
    assert.deepEqual(again.body, { ...ticket.body, version: 1 });
    const replayed = await api.post(
      `/tickets/${ticket.body.id}/messages`,
      { content: "hi" },
      replyKey,
    );
    assert.equal(replayed.status, 201);
    assert.deepEqual(replayed.body, { ...reply.body, attachments: [] });
  });

  test("identical requests sent at the same moment create one ticket", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const api = await apiAs(world(), customer);
    const headers = { "idempotency-key": "burst-1" };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.post("/tickets", { title: "Burst", description: "b" }, headers),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(8).fill(201),
    );
    assert.equal(new Set(responses.map((r) => r.body.id)).size, 1);
    const rows = await deps.db
      .select()
      .from(ticketsTable)
      .where(eq(ticketsTable.requesterId, customer.id));
    assert.equal(rows.length, 1);
  });

  test("a signed-in browser may call the API, but writes need the CSRF header", async () => {
    const customer = await makeCustomer(world().deps);
    const browser = await world().signedIn(customer);
    const csrf = await browser.csrf("/tickets/new");
    const post = (headers: Record<string, string>) =>
      world().app.inject({
        method: "POST",
        url: "/api/v1/tickets",
        headers: { cookie: browser.cookieHeader(), "content-type": "application/json", ...headers },
        payload: JSON.stringify({ title: "From the page", description: "via fetch" }),
      });
    assert.equal((await post({})).statusCode, 403);
    assert.equal((await post({ "x-csrf-token": csrf })).statusCode, 201);
    const me = await world().app.inject({
      url: "/api/v1/me",
      headers: { cookie: browser.cookieHeader() },
    });
    assert.equal(me.json().id, customer.id);
  });
});

describeEachDatabase(
  "API rate limit",
  (world) => {
    test("past the per-minute limit the API answers 429 with Retry-After", async () => {
      const api = await apiAs(world(), await makeCustomer(world().deps));
      for (let i = 0; i < 3; i++) assert.equal((await api.get("/me")).status, 200);
      const limited = await api.get("/me");
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers["retry-after"]) >= 1);
    });
  },
  { env: { API_RATE_LIMIT_PER_MINUTE: "3" } },
);
