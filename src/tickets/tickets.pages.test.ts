import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { until } from "../../test/helpers/wait.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { attachments, tickets } from "../db/schema/index.ts";

function tmpFiles(dataDir: string): string[] {
  const tmp = path.join(dataDir, "tmp");
  return fs.existsSync(tmp) ? fs.readdirSync(tmp).sort() : [];
}

function ticketIdFrom(location: string | undefined): number {
  const match = /^\/tickets\/(\d+)/.exec(location ?? "");
  assert.ok(match?.[1], `expected a ticket URL, got ${location}`);
  return Number(match[1]);
}

describeEachDatabase(
  "ticket pages",
  (world) => {
    test("the whole journey: submit with attachment, triage, reply, note, solve; the customer never sees the note", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps, { name: "Cora Customer" });
      const agent = await makeAgent(deps, { name: "Avery Agent" });
      const cora = await world().signedIn(customer);

      const created = await cora.postMultipart(
        "/tickets",
        {
          title: "Invoice shows the wrong VAT",
          description: "See the attached **invoice**.",
          priority: "high",
        },
        [
          {
            field: "attachments",
            filename: "invoice.pdf",
            content: "%PDF-1.4 fake",
            type: "application/pdf",
          },
        ],
        { csrfFrom: "/tickets/new" },
      );
      assert.equal(created.statusCode, 303);
      const id = ticketIdFrom(created.headers.location as string);

      const page = await cora.get(`/tickets/${id}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Invoice shows the wrong VAT/);
      assert.match(page.body, /<strong>invoice<\/strong>/, "markdown is rendered");
      const link = /href="\/attachments\/(\d+)"/.exec(page.body);
      assert.ok(link?.[1], "the attachment is linked");
      const attachmentId = Number(link[1]);

      const avery = await world().signedIn(agent);
      const desk = await avery.get("/desk?queue=unassigned");
      assert.match(desk.body, /Invoice shows the wrong VAT/);

      assert.equal(
        (
          await avery.post(
            `/tickets/${id}`,
            { assigneeId: String(agent.id) },
            { csrfFrom: `/tickets/${id}` },
          )
        ).statusCode,
        303,
      );
      const reply = await avery.postMultipart(
        `/tickets/${id}/replies`,
        { content: "We are correcting the invoice." },
        [],
        {
          csrfFrom: `/tickets/${id}`,
        },
      );
      assert.equal(reply.statusCode, 303);
      const note = await avery.postMultipart(
        `/tickets/${id}/replies`,
        { content: "SECRET: finance made a mistake", internal: "true" },
        [
          {
            field: "attachments",
            filename: "internal-ledger.csv",
            content: "a,b",
            type: "text/csv",
          },
        ],
        { csrfFrom: `/tickets/${id}` },
      );
      assert.equal(note.statusCode, 303);
      assert.equal(
        (await avery.post(`/tickets/${id}`, { status: "solved" }, { csrfFrom: `/tickets/${id}` }))
          .statusCode,
        303,
      );

      const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, id));
      assert.equal(row?.status, "solved");
      assert.equal(row?.assigneeId, agent.id);

      const agentView = await avery.get(`/tickets/${id}`);
      assert.match(agentView.body, /SECRET: finance made a mistake/);
      assert.match(agentView.body, /internal-ledger\.csv/);
      assert.match(agentView.body, /changed status/);

      const customerView = await cora.get(`/tickets/${id}`);
      assert.match(customerView.body, /We are correcting the invoice\./);
      assert.match(customerView.body, /Solved/);
      assert.doesNotMatch(customerView.body, /SECRET/);
      assert.doesNotMatch(customerView.body, /internal-ledger/);
      assert.doesNotMatch(customerView.body, /changed status/, "no audit trail for customers");

      const internalFile = await deps.db
        .select()
        .from(attachments)
        .where(eq(attachments.filename, "internal-ledger.csv"));
      const internalId = internalFile[0]?.id;
      assert.ok(internalId);
      assert.equal(
        (await cora.get(`/attachments/${internalId}`)).statusCode,
        404,
        "a note's attachment is not the customer's",
      );

      const download = await cora.get(`/attachments/${attachmentId}`);
      assert.equal(download.statusCode, 200);
      assert.equal(download.body, "%PDF-1.4 fake");
      assert.match(
        String(download.headers["content-disposition"]),
        /^attachment; filename="invoice.pdf"/,
      );
      assert.equal(download.headers["x-content-type-options"], "nosniff");

      const stranger = await world().signedIn(await makeCustomer(deps));
      const notFound = await stranger.get(`/tickets/${id}?notice=created`);
      assert.equal(notFound.statusCode, 404);
      assert.ok(!notFound.body.includes("Ticket created."), "no notice above a 404");
      assert.equal((await stranger.get(`/attachments/${attachmentId}`)).statusCode, 404);
      const strangerReply = await stranger.post(`/tickets/${id}/replies`, { content: "hi" });
      assert.equal(strangerReply.statusCode, 404);
    });

    test("customer-written titles, bodies and names are inert on every page that shows them", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps, { name: '<img src=x onerror="alert(1)">Mallory' });
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, customer, {
        title: "<script>alert('title')</script>",
        description:
          '[click](javascript:alert(1)) <svg onload=alert(2)> <a href="javascript:alert(3)">x</a>',
      });
      const pages = [
        await (await world().signedIn(customer)).get(`/tickets/${ticket.id}`),
        await (await world().signedIn(customer)).get("/tickets"),
        await (await world().signedIn(agent)).get(`/tickets/${ticket.id}`),
        await (await world().signedIn(agent)).get("/desk?queue=unassigned"),
      ];
      for (const page of pages) {
        assert.equal(page.statusCode, 200);
        assert.doesNotMatch(page.body, /<script>alert|<img src=x|<svg onload|href="javascript/i);
        assert.match(page.body, /&lt;script>alert\('title'\)&lt;\/script>|&lt;script&gt;alert/);
        assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
      }
    });

    test("a body that imitates an uploaded file cannot make the server move or serve its files", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const b = await world().signedIn(customer);
      const secret = path.join(deps.config.dataDir, "secret.txt");
      fs.writeFileSync(secret, "do not move me");
      const fake = {
        tmpPath: secret,
        filename: "x.txt",
        contentType: "text/plain",
        size: 14,
        sha256: "a".repeat(64),
      };
      const response = await b.app.inject({
        method: "POST",
        url: "/tickets",
        headers: {
          cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
          "content-type": "application/json",
          "x-csrf-token": await b.csrf("/tickets/new"),
        },
        payload: JSON.stringify({ title: "t", description: "d", attachments: fake }),
      });
      assert.equal(response.statusCode, 415);
      assert.equal(fs.readFileSync(secret, "utf8"), "do not move me");
      const rows = await deps.db.select().from(tickets).where(eq(tickets.requesterId, customer.id));
      assert.equal(rows.length, 0);
    });

    test("an anonymous upload is refused before any file is written", async () => {
      const { deps } = world();
      const anonymous = world().browser();
      const before = tmpFiles(deps.config.dataDir);
      const response = await anonymous.postMultipart(
        "/tickets",
        { title: "x", description: "y" },
        [{ field: "attachments", filename: "junk.bin", content: Buffer.alloc(64 * 1024) }],
        { csrfFrom: "/login" },
      );
      assert.equal(response.statusCode, 401);
      assert.deepEqual(tmpFiles(deps.config.dataDir), before);
    });

    test("my tickets lists only my own tickets", async () => {
      const { deps } = world();
      const me = await makeCustomer(deps);
      const other = await makeCustomer(deps);
      await makeTicket(deps, me, { title: "Mine: login loop" });
      await makeTicket(deps, other, { title: "Theirs: refund" });
      const page = await (await world().signedIn(me)).get("/tickets");
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers["cache-control"], "private, no-store", "never cached");
      assert.match(page.body, /Mine: login loop/);
      assert.doesNotMatch(page.body, /Theirs: refund/);
    });

    test("a new ticket with bad input is shown again with what was typed and each problem by its field", async () => {
      const { deps } = world();
      const me = await world().signedIn(await makeCustomer(deps));
      const response = await me.postMultipart(
        "/tickets",
        { title: "", description: "Keep this text <b>please</b>", priority: "normal" },
        [],
        { csrfFrom: "/tickets/new" },
      );
      assert.equal(response.statusCode, 422);
      assert.match(response.body, /Subject is required/);
      assert.match(response.body, /Keep this text &lt;b>please&lt;\/b>/);
      assert.match(response.body, /aria-invalid="true"/);
    });

    test("an attachment over the size limit is refused with 413 and no ticket is created", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const me = await world().signedIn(customer);
      const response = await me.postMultipart(
        "/tickets",
        { title: "Big file", description: "see attached" },
        [{ field: "attachments", filename: "big.bin", content: Buffer.alloc(1024 * 1024 + 1) }],
        { csrfFrom: "/tickets/new" },
      );
      assert.equal(response.statusCode, 413);
      assert.match(response.body, /larger than the 1 MB limit for attachments/);
      // The refused upload's file is removed as its stream closes, which may be just after the answer.
      await until(() => tmpFiles(deps.config.dataDir).length === 0, "the partial upload's removal");
      const rows = await deps.db.select().from(tickets).where(eq(tickets.requesterId, customer.id));
      assert.equal(rows.length, 0);
    });

    test("dangerous uploads are served as inert downloads", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const me = await world().signedIn(customer);
      const created = await me.postMultipart(
        "/tickets",
        { title: "Look", description: "html attached" },
        [
          {
            field: "attachments",
            filename: '"><script>alert(1)</script>.html',
            content: "<script>alert(1)</script>",
            type: "text/html",
          },
        ],
        { csrfFrom: "/tickets/new" },
      );
      const id = ticketIdFrom(created.headers.location as string);
      const page = await me.get(`/tickets/${id}`);
      assert.doesNotMatch(page.body, /<script>alert/);
      const link = /href="\/attachments\/(\d+)"/.exec(page.body);
      const download = await me.get(`/attachments/${link?.[1]}`);
      assert.equal(download.statusCode, 200);
      assert.equal(download.headers["content-type"], "application/octet-stream");
      assert.match(String(download.headers["content-disposition"]), /^attachment;/);
      assert.equal(download.headers["x-content-type-options"], "nosniff");
      const viaHtmx = await me.get(`/attachments/${link?.[1]}`, { "hx-request": "true" });
      assert.equal(viaHtmx.statusCode, 204, "htmx is never given a file to swap into the page");
      assert.equal(viaHtmx.headers["hx-redirect"], `/attachments/${link?.[1]}`);
      assert.equal(viaHtmx.body, "");
    });

    test("a customer cannot change priority or assignee through the form, only mark solved", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer, { status: "open" });
      const me = await world().signedIn(customer);
      const csrfFrom = `/tickets/${ticket.id}`;
      assert.equal(
        (await me.post(`/tickets/${ticket.id}`, { priority: "urgent" }, { csrfFrom })).statusCode,
        403,
      );
      assert.equal(
        (await me.post(`/tickets/${ticket.id}`, { status: "closed" }, { csrfFrom })).statusCode,
        403,
      );
      assert.equal(
        (await me.post(`/tickets/${ticket.id}`, { status: "solved" }, { csrfFrom })).statusCode,
        303,
      );
      const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
      assert.equal(row?.status, "solved");
      assert.equal(row?.priority, "normal");
    });

    test("saving the controls applies only what this agent changed, not a stale form's other fields", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const first = await makeAgent(deps);
      const second = await makeAgent(deps);
      const ticket = await makeTicket(deps, customer, { status: "open" });
      const a = await world().signedIn(first);
      const b = await world().signedIn(second);
      const csrfFrom = `/tickets/${ticket.id}`;
      const shown = { statusWas: "open", priorityWas: "normal", assigneeIdWas: "" };
      // The first agent assigns the ticket to themself...
      await a.post(
        `/tickets/${ticket.id}`,
        { ...shown, status: "open", priority: "normal", assigneeId: String(first.id) },
        { csrfFrom },
      );
      // ...while the second, with the page opened before, raises the priority.
      const late = await b.post(
        `/tickets/${ticket.id}`,
        { ...shown, status: "open", priority: "high", assigneeId: "" },
        { csrfFrom },
      );
      assert.equal(late.statusCode, 303);
      const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
      assert.equal(row?.priority, "high");
      assert.equal(row?.assigneeId, first.id, "the first agent's assignment stands");
    });

    test("the controls carry the ticket's version: a change made on a page loaded before someone else's is refused with a notice", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const first = await makeAgent(deps);
      const second = await makeAgent(deps);
      const ticket = await makeTicket(deps, customer, { status: "open" });
      const a = await world().signedIn(first);
      const b = await world().signedIn(second);
      const csrfFrom = `/tickets/${ticket.id}`;
      // Both open the page: every control form carries version 1.
      const page = (await b.get(`/tickets/${ticket.id}`)).body;
      const versions = [...page.matchAll(/name="version" value="(\d+)"/g)].map((m) => m[1]);
      assert.deepEqual(versions, ["1", "1"], "the controls and Assign to me");
      const shown = { version: "1", statusWas: "open", priorityWas: "normal", assigneeIdWas: "" };
      const saved = await a.post(
        `/tickets/${ticket.id}`,
        { ...shown, status: "open", priority: "urgent", assigneeId: "" },
        { csrfFrom },
      );
      assert.equal(saved.statusCode, 303);
      // The second agent's page is now out of date: nothing is overwritten, the page says why.
      const late = await b.post(
        `/tickets/${ticket.id}`,
        { ...shown, status: "pending", priority: "normal", assigneeId: String(second.id) },
        { csrfFrom },
      );
      assert.equal(late.statusCode, 409);
      assert.match(late.body, /id="controls-conflict"/);
      assert.match(late.body, /changed by someone else/);
      assert.match(late.body, /name="version" value="2"/, "the page shows the ticket as it is now");
      const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
      assert.deepEqual(
        [row?.status, row?.priority, row?.assigneeId, row?.version],
        ["open", "urgent", null, 2],
      );
      // Sent again from the reloaded page, it goes through.
      const again = await b.post(
        `/tickets/${ticket.id}`,
        { ...shown, version: "2", priorityWas: "urgent", status: "pending", priority: "urgent" },
        { csrfFrom },
      );
      assert.equal(again.statusCode, 303);
      // The customer's "Mark as solved" is checked the same way.
      const me = await world().signedIn(customer);
      const mine = (await me.get(`/tickets/${ticket.id}`)).body;
      assert.match(mine, /name="version" value="3"/);
      assert.equal(
        (await me.post(`/tickets/${ticket.id}`, { version: "2", status: "solved" }, { csrfFrom }))
          .statusCode,
        409,
      );
      assert.equal(
        (await me.post(`/tickets/${ticket.id}`, { version: "x", status: "solved" }, { csrfFrom }))
          .statusCode,
        400,
      );
      assert.equal(
        (await me.post(`/tickets/${ticket.id}`, { version: "3", status: "solved" }, { csrfFrom }))
          .statusCode,
        303,
      );
    });

    test("a reply form with a problem outside its fields says what it is, and keeps the text", async () => {
      const { deps } = world();
      const ticket = await makeTicket(deps, await makeCustomer(deps));
      const b = await world().signedIn(await makeAgent(deps));
      const response = await b.postMultipart(
        `/tickets/${ticket.id}/replies`,
        { content: "Draft I do not want to lose", internal: "true", waitOnCustomer: "true" },
        [],
        { csrfFrom: `/tickets/${ticket.id}` },
      );
      assert.equal(response.statusCode, 422);
      assert.match(response.body, /An internal note cannot set the ticket pending/);
      assert.match(response.body, /Draft I do not want to lose/);
    });

    test("assigning to a customer through the form is refused", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, customer);
      const b = await world().signedIn(agent);
      const csrfFrom = `/tickets/${ticket.id}`;
      assert.equal(
        (await b.post(`/tickets/${ticket.id}`, { assigneeId: String(customer.id) }, { csrfFrom }))
          .statusCode,
        400,
      );
      assert.equal(
        (await b.post(`/tickets/${ticket.id}`, { assigneeId: "1 OR 1=1" }, { csrfFrom }))
          .statusCode,
        400,
      );
      const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
      assert.equal(row?.assigneeId, null);
    });

    test("a reply on a closed ticket by its customer opens a follow-up", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer, { status: "closed" });
      const me = await world().signedIn(customer);
      const response = await me.post(
        `/tickets/${ticket.id}/replies`,
        { content: "Happening again" },
        { csrfFrom: `/tickets/${ticket.id}` },
      );
      assert.equal(response.statusCode, 303);
      const followUpId = ticketIdFrom(response.headers.location as string);
      assert.notEqual(followUpId, ticket.id);
      const page = await me.get(`/tickets/${followUpId}`);
      assert.match(page.body, new RegExp(`Follow-up to <a href="/tickets/${ticket.id}">`));
    });

    test("ticket pages need sign-in; odd ids are 404, not errors", async () => {
      const anonymous = world().browser();
      const response = await anonymous.get("/tickets/new");
      assert.equal(response.statusCode, 303);
      assert.equal(response.headers.location, "/login?next=%2Ftickets%2Fnew");
      const me = await world().signedIn(await makeCustomer(world().deps));
      for (const id of ["abc", "0", "-1", "99999999999", "1.5"]) {
        assert.equal((await me.get(`/tickets/${id}`)).statusCode, 404, id);
      }
    });
  },
  { env: { MAX_ATTACHMENT_MB: "1" } },
);
