import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { inboundEmails, tickets } from "../db/schema/index.ts";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test/fixtures");
const RFC822 = { "content-type": "message/rfc822" };

describeEachDatabase(
  "POST /api/v1/inbound/email",
  (world) => {
    test("an admin token hands in a raw message: it is stored and opens a ticket, like mail over SMTP", async () => {
      const { deps } = world();
      const raw = fs.readFileSync(path.join(FIXTURES, "new-ticket.eml"), "latin1");
      const api = await apiAs(world(), await makeAdmin(deps));
      const res = await api.post("/inbound/email", raw, RFC822);
      assert.equal(res.status, 202);
      assert.equal(res.body.status, "ticket");
      const [ticket] = await deps.db
        .select()
        .from(tickets)
        .where(eq(tickets.id, res.body.ticketId));
      assert.equal(ticket?.title, "Printer prints only blank pages");
      const [stored] = await deps.db
        .select()
        .from(inboundEmails)
        .where(eq(inboundEmails.id, res.body.id));
      assert.equal(stored?.raw.toString("latin1"), raw);
      assert.equal(stored?.envelopeFrom, null);

      const junk = await api.post(
        "/inbound/email",
        fs.readFileSync(path.join(FIXTURES, "out-of-office.eml"), "latin1"),
        RFC822,
      );
      assert.deepEqual([junk.status, junk.body.status], [202, "ignored"]);
    });

    test("only admins may, and only message/rfc822 bodies within INBOUND_MAX_MB", async () => {
      const { deps } = world();
      const agent = await apiAs(world(), await makeAgent(deps));
      assert.equal(
        (await agent.post("/inbound/email", "From: a@b.test\r\n\r\nhi", RFC822)).status,
        403,
      );
      const admin = await apiAs(world(), await makeAdmin(deps));
      assert.equal((await admin.post("/inbound/email", { raw: "x" })).status, 415);
      const big = `From: a@b.test\r\nSubject: big\r\n\r\n${"x".repeat(1024 * 1024 + 10)}`;
      assert.equal((await admin.post("/inbound/email", big, RFC822)).status, 413);
    });
  },
  { env: { MAIL_FROM: "support@example.test", INBOUND_MAX_MB: "1" } },
);
