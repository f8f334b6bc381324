import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { mail, TEST_SECRET_KEY } from "../../test/helpers/dovecot.ts";
import { makeAdmin, makeAgent } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { mailboxes, outbox, tickets } from "../db/schema/index.ts";
import { action, ruleForm, withRules } from "../rules/test-support.ts";
import { addMember, createTeam, deleteTeam } from "../teams/teams.service.ts";
import { receiveEmail } from "./inbound.service.ts";
import { createMailbox } from "./mailboxes.service.ts";

const unique = () => randomBytes(4).toString("hex");
const BASE = { imapHost: "imap.example.test", imapTls: "off", imapUser: "u", imapSecret: "s" };

describeEachDatabase(
  "a mailbox's team",
  (world) => {
    test("a new ticket from mail fetched on a mailbox gets its team, then the team's rules and automatic assignment run on it", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const agent = await makeAgent(deps);
      // Not offered on the new-ticket form: a customer could not pick it, the mailbox can.
      const team = await createTeam(deps, admin, {
        name: `Sales ${unique()}`,
        assignment: "round_robin",
      });
      await addMember(deps, admin, team.id, agent.email);
      const address = `sales-${unique()}@shop.example`;
      const mailbox = await createMailbox(deps, admin, {
        ...BASE,
        address,
        teamId: String(team.id),
      });
      assert.equal(mailbox.teamId, team.id);

      await withRules(
        deps,
        admin,
        [
          ruleForm({
            conditions: [{ field: "team", op: "is", value: team.name }],
            actions: [action({ type: "set_priority", value: "high" })],
          }),
        ],
        async () => {
          const messageId = `<quote.${unique()}@customer.example>`;
          const fetched = await receiveEmail(
            deps,
            Buffer.from(
              mail({ from: "Pat <pat@customer.example>", subject: "Quote please", messageId }),
            ),
            { to: [address] },
            { mailboxId: mailbox.id, address, uidValidity: 1, uid: 1 },
          );
          assert.equal(fetched.status, "ticket");
          const [row] = await deps.db
            .select()
            .from(tickets)
            .where(eq(tickets.id, fetched.ticketId ?? 0));
          assert.equal(row?.teamId, team.id, "the mailbox's team");
          assert.equal(row?.priority, "high", "the rule on 'team is' ran");
          assert.equal(row?.assigneeId, agent.id, "assigned round-robin in the team");
          // The assignee's mail, written in the transaction that opened the ticket, answers
          // the customer's mail in the ticket's thread.
          const [assignedMail] = await deps.db
            .select()
            .from(outbox)
            .where(and(eq(outbox.ticketId, row?.id ?? 0), eq(outbox.kind, "ticket.assigned")));
          assert.equal(assignedMail?.toAddress, agent.email);
          assert.equal(assignedMail?.headers["In-Reply-To"], messageId);
          assert.match(
            assignedMail?.headers.References ?? "",
            new RegExp(
              `^<tessera\\.ticket\\.${row?.id}@[^>]+> ${messageId.replace(/\./g, "\\.")}$`,
            ),
          );

          // The same mail without a mailbox (the SMTP listener): no team.
          const direct = await receiveEmail(
            deps,
            Buffer.from(mail({ from: "Sam <sam@customer.example>", subject: "Hello" })),
            { to: [address] },
          );
          const [plain] = await deps.db
            .select()
            .from(tickets)
            .where(eq(tickets.id, direct.ticketId ?? 0));
          assert.equal(plain?.teamId, null);
          assert.equal(plain?.priority, "normal");
        },
      );

      // The team deleted: the mailbox keeps working, without a team.
      await deleteTeam(deps, admin, team.id);
      const [after] = await deps.db.select().from(mailboxes).where(eq(mailboxes.id, mailbox.id));
      assert.equal(after?.teamId, null);
    });

    test("an admin chooses a mailbox's team on its page; a team that does not exist is refused", async () => {
      const { deps } = world();
      const adminUser = await makeAdmin(deps);
      const admin = await world().signedIn(adminUser);
      const team = await createTeam(deps, adminUser, { name: `Billing ${unique()}` });
      const page = await admin.get("/admin/email/mailboxes/new");
      assert.match(
        decodeEntities(page.body),
        new RegExp(`<option value="${team.id}">${team.name}</option>`),
      );
      const address = `billing-${unique()}@shop.example`;
      const form = {
        address,
        imapHost: "imap.example.test",
        imapTls: "off",
        imapUser: "u",
        imapSecret: "s",
        afterImport: "seen",
      };
      const refused = await admin.post(
        "/admin/email/mailboxes",
        { ...form, teamId: "999999" },
        { csrfFrom: "/admin/email/mailboxes/new" },
      );
      assert.equal(refused.statusCode, 422);
      assert.match(decodeEntities(refused.body), /is not a team/);
      assert.equal(
        (await deps.db.select().from(mailboxes).where(eq(mailboxes.address, address))).length,
        0,
      );
      const added = await admin.post(
        "/admin/email/mailboxes",
        { ...form, teamId: String(team.id) },
        { csrfFrom: "/admin/email/mailboxes/new" },
      );
      assert.equal(added.statusCode, 303);
      const [row] = await deps.db.select().from(mailboxes).where(eq(mailboxes.address, address));
      assert.equal(row?.teamId, team.id);
      const edit = await admin.get(`/admin/email/mailboxes/${row?.id}`);
      assert.match(edit.body, new RegExp(`<option value="${team.id}" selected`));
      const cleared = await admin.post(
        `/admin/email/mailboxes/${row?.id}`,
        { ...form, imapSecret: "", teamId: "" },
        { csrfFrom: `/admin/email/mailboxes/${row?.id}` },
      );
      assert.equal(cleared.statusCode, 303);
      const [after] = await deps.db.select().from(mailboxes).where(eq(mailboxes.address, address));
      assert.equal(after?.teamId, null);
    });
  },
  { env: { MAILBOX_SECRET_KEY: TEST_SECRET_KEY } },
);
