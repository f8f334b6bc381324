import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, type TestUser } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { startSession } from "../accounts/accounts.service.ts";
import { messages, rules, tickets } from "../db/schema/index.ts";
import { receiveEmail } from "../email/inbound.service.ts";
import * as ticketService from "../tickets/tickets.service.ts";
import { tag } from "./test-support.ts";

const ENV = { MAIL_FROM: "support@example.test", INBOUND_SMTP_DOMAINS: "support@example.test" };

async function sessionBrowser(world: World, user: TestUser): Promise<Browser> {
  const browser = world.browser();
  browser.cookies.set("tessera_session", await startSession(world.deps, user.id, {}));
  return browser;
}

async function ruleNamed(world: World, name: string) {
  const [row] = await world.deps.db.select().from(rules).where(eq(rules.name, name));
  return row;
}

describeEachDatabase(
  "rules pages",
  (world) => {
    test("only admins reach the rules pages; others get 403 and their posts change nothing", async () => {
      const agent = await makeAgent(world().deps);
      const customer = await makeCustomer(world().deps);
      const anonymous = world().browser();
      const toLogin = await anonymous.get("/admin/rules");
      assert.equal(toLogin.statusCode, 303);
      for (const user of [agent, customer]) {
        const browser = await sessionBrowser(world(), user);
        assert.equal((await browser.get("/admin/rules")).statusCode, 403);
        assert.equal((await browser.get("/admin/rules/new")).statusCode, 403);
        const name = `Sneaky ${tag()}`;
        const post = await browser.post("/admin/rules", {
          kind: "trigger",
          name,
          event: "ticket_created",
          "actions.0.type": "set_priority",
          "actions.0.value": "urgent",
        });
        assert.equal(post.statusCode, 403);
        assert.equal(await ruleNamed(world(), name), undefined);
      }
    });

    test("the admin navigation links to rules, and the default time rules are listed", async () => {
      const admin = await makeAdmin(world().deps);
      const browser = await sessionBrowser(world(), admin);
      const page = await browser.get("/admin/rules");
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /href="\/admin\/rules"/);
      assert.ok(page.body.includes("Close solved tickets after 4 days without activity"));
      assert.ok(page.body.includes("Remind the customer of a pending ticket after 3 days"));
      assert.ok(page.body.includes("Solve pending tickets 7 days after the reminder"));
    });

    test("a post without a valid CSRF token is refused and saves nothing", async () => {
      const admin = await makeAdmin(world().deps);
      const browser = await sessionBrowser(world(), admin);
      const name = `No token ${tag()}`;
      const fields = {
        kind: "trigger",
        name,
        event: "ticket_created",
        "actions.0.type": "set_priority",
        "actions.0.value": "urgent",
      };
      const forged = await browser.post("/admin/rules", { ...fields, _csrf: "" });
      assert.equal(forged.statusCode, 403);
      const wrong = await browser.post("/admin/rules", { ...fields, _csrf: "x".repeat(40) });
      assert.equal(wrong.statusCode, 403);
      assert.equal(await ruleNamed(world(), name), undefined);
    });

    test("a rule with problems is a 422 naming each field, with everything typed kept; an unknown placeholder is named", async () => {
      const admin = await makeAdmin(world().deps);
      const browser = await sessionBrowser(world(), admin);
      const name = `Broken ${tag()}`;
      const page = await browser.post("/admin/rules", {
        kind: "trigger",
        name,
        event: "ticket_created",
        "conditions.0.field": "requester_domain",
        "conditions.0.op": "is",
        "conditions.0.value": "not a domain",
        "actions.0.type": "send_mail",
        "actions.0.to": "requester",
        "actions.0.subject": "Hi {{ticket.title}}",
        "actions.0.body": "Dear {{customer.name}}, <b>kept</b>",
        "actions.1.type": "set_status",
        "actions.1.value": "new",
      });
      assert.equal(page.statusCode, 422);
      const body = decodeEntities(page.body);
      assert.ok(
        body.includes("unknown placeholders: {{customer.name}}"),
        "the placeholder is named",
      );
      assert.match(page.body, /id="field-actions\.0\.body"[^>]*aria-invalid="true"/);
      assert.match(page.body, /id="field-conditions\.0\.value"[^>]*aria-invalid="true"/);
      assert.match(page.body, /id="field-actions\.1\.value"[^>]*aria-invalid="true"/);
      assert.ok(body.includes(`value="${name}"`));
      assert.ok(body.includes("Dear {{customer.name}}, <b>kept</b></textarea>"));
      assert.ok(!page.body.includes("<b>kept</b>"), "typed text is escaped when shown back");
      assert.ok(body.includes('value="not a domain"'));
      assert.equal(await ruleNamed(world(), name), undefined);
    });

    test("done when: an admin makes 'mail from @bigcustomer.example -> urgent + internal note' on the page and it fires on a new mail", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const browser = await sessionBrowser(world(), admin);
      const form = await browser.get("/admin/rules/new?kind=trigger");
      assert.equal(form.statusCode, 200);
      const name = `Big customer ${tag()}`;
      const saved = await browser.post(
        "/admin/rules",
        {
          kind: "trigger",
          name,
          enabled: "true",
          event: "ticket_created",
          match: "all",
          "conditions.0.field": "requester_domain",
          "conditions.0.op": "is",
          "conditions.0.value": "@BigCustomer.example",
          "conditions.1.field": "channel",
          "conditions.1.op": "is",
          "conditions.1.value": "email",
          "actions.0.type": "set_priority",
          "actions.0.value": "urgent",
          "actions.1.type": "add_note",
          "actions.1.body": "Big customer: {{requester.name}} wrote in. Handle first.",
        },
        { csrfFrom: "/admin/rules/new" },
      );
      assert.equal(saved.statusCode, 303, saved.body);
      const rule = await ruleNamed(world(), name);
      assert.ok(rule);
      try {
        const from = `cto-${randomBytes(4).toString("hex")}@bigcustomer.example`;
        const raw = Buffer.from(
          `From: Grace Hopper <${from}>\r\nTo: support@example.test\r\nSubject: Everything is down\r\nMessage-ID: <${randomBytes(6).toString("hex")}@bigcustomer.example>\r\n\r\nNothing works since this morning.\r\n`,
        );
        const result = await receiveEmail(deps, raw, { from, to: ["support@example.test"] });
        assert.equal(result.status, "ticket", JSON.stringify(result));
        assert.ok(result.ticketId);
        const [ticket] = await deps.db
          .select()
          .from(tickets)
          .where(eq(tickets.id, result.ticketId));
        assert.equal(ticket?.priority, "urgent");
        assert.equal(ticket?.channel, "email");
        const notes = await deps.db
          .select()
          .from(messages)
          .where(and(eq(messages.ticketId, result.ticketId), eq(messages.internal, true)));
        assert.deepEqual(
          notes.map((n) => n.content),
          ["Big customer: Grace Hopper wrote in. Handle first."],
        );
        // The ticket page's history names the rule, readably.
        const page = await browser.get(`/tickets/${result.ticketId}`);
        assert.equal(page.statusCode, 200);
        assert.ok(decodeEntities(page.body).includes(`ran the rule “${name}”`));

        // A mail from elsewhere is left alone.
        const other = `x-${randomBytes(4).toString("hex")}@smallcustomer.example`;
        const plain = await receiveEmail(
          deps,
          Buffer.from(
            `From: ${other}\r\nTo: support@example.test\r\nSubject: Hi\r\n\r\nHello.\r\n`,
          ),
          { from: other, to: ["support@example.test"] },
        );
        assert.ok(plain.ticketId);
        const [small] = await deps.db.select().from(tickets).where(eq(tickets.id, plain.ticketId));
        assert.equal(small?.priority, "normal");
      } finally {
        await deps.db.delete(rules).where(eq(rules.id, rule.id));
      }
    });

    test("rules are edited with their values shown, reordered, disabled, previewed and deleted from the pages", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const browser = await sessionBrowser(world(), admin);
      const word = tag();
      const make = (name: string) =>
        browser.post(
          "/admin/rules",
          {
            kind: "trigger",
            name,
            enabled: "true",
            event: "ticket_created",
            "conditions.0.field": "subject",
            "conditions.0.op": "contains",
            "conditions.0.value": word,
            "actions.0.type": "set_assignee",
            "actions.0.value": agent.email,
          },
          { csrfFrom: "/admin/rules/new" },
        );
      assert.equal((await make(`A ${word}`)).statusCode, 303);
      assert.equal((await make(`B ${word}`)).statusCode, 303);
      const a = await ruleNamed(world(), `A ${word}`);
      const b = await ruleNamed(world(), `B ${word}`);
      assert.ok(a && b);
      try {
        const edit = await browser.get(`/admin/rules/${a.id}`);
        assert.equal(edit.statusCode, 200);
        assert.ok(edit.body.includes(`value="${agent.email}"`));
        const order = async () => {
          const body = (await browser.get("/admin/rules")).body;
          return body.indexOf(`A ${word}`) < body.indexOf(`B ${word}`) ? "AB" : "BA";
        };
        assert.equal(await order(), "AB");
        const moved = await browser.post(
          `/admin/rules/${b.id}/move`,
          { direction: "up" },
          {
            csrfFrom: "/admin/rules",
          },
        );
        assert.equal(moved.statusCode, 303);
        assert.equal(await order(), "BA");

        const matching = await ticketService.createTicket(deps, customer, {
          title: `About ${word}`,
          description: "x",
        });
        assert.equal(matching.id > 0, true);
        const preview = await browser.get(`/admin/rules/${a.id}/preview`);
        assert.equal(preview.statusCode, 200);
        assert.match(preview.body, /Would have matched 1 of the last \d+ tickets/);
        assert.ok(preview.body.includes(`href="/tickets/${matching.id}"`));

        const disabled = await browser.post(
          `/admin/rules/${a.id}/enabled`,
          { enabled: "false" },
          {
            csrfFrom: "/admin/rules",
          },
        );
        assert.equal(disabled.statusCode, 303);
        assert.equal((await ruleNamed(world(), `A ${word}`))?.enabled, false);

        const renamed = await browser.post(
          `/admin/rules/${a.id}`,
          {
            kind: "trigger",
            name: "",
            event: "ticket_created",
            "actions.0.type": "add_note",
            "actions.0.body": "x",
          },
          { csrfFrom: `/admin/rules/${a.id}` },
        );
        assert.equal(renamed.statusCode, 422);
        assert.match(renamed.body, /id="field-name"[^>]*aria-invalid="true"/);

        const deleted = await browser.post(
          `/admin/rules/${a.id}/delete`,
          {},
          { csrfFrom: `/admin/rules/${a.id}` },
        );
        assert.equal(deleted.statusCode, 303);
        assert.equal(await ruleNamed(world(), `A ${word}`), undefined);
        assert.equal((await browser.get(`/admin/rules/${a.id}`)).statusCode, 404);
      } finally {
        await deps.db.delete(rules).where(eq(rules.id, a.id));
        await deps.db.delete(rules).where(eq(rules.id, b.id));
      }
    });

    test("the automation account is not in the users list and cannot be assigned", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const { automationActor } = await import("../accounts/index.ts");
      const bot = await deps.db.transaction((tx) => automationActor(deps, tx));
      const browser = await sessionBrowser(world(), admin);
      const list = await browser.get("/admin/users?q=automation");
      assert.ok(!list.body.includes("automation@tessera.invalid"));
      const customer = await makeCustomer(deps);
      const ticket = await ticketService.createTicket(deps, customer, {
        title: "x",
        description: "y",
      });
      await assert.rejects(
        ticketService.updateTicket(deps, admin, ticket.id, { assigneeId: bot.id }),
      );
      const signIn = await world().browser().post("/login", { email: bot.email, password: "" });
      assert.notEqual(signIn.statusCode, 303);
    });

    test("a time rule is made on the page: a clock and whole hours are required, and it is listed with them", async () => {
      const admin = await makeAdmin(world().deps);
      const browser = await sessionBrowser(world(), admin);
      const form = await browser.get("/admin/rules/new?kind=automation");
      assert.equal(form.statusCode, 200);
      assert.ok(form.body.includes('name="clock"'));
      const name = `Nudge ${tag()}`;
      const fields = {
        kind: "automation",
        name,
        enabled: "true",
        clock: "",
        hours: "1.5",
        "actions.0.type": "send_mail",
        "actions.0.to": "requester",
        "actions.0.subject": "Still there, {{requester.name}}?",
        "actions.0.body": "About #{{ticket.id}}",
      };
      const refused = await browser.post("/admin/rules", fields, { csrfFrom: "/admin/rules/new" });
      assert.equal(refused.statusCode, 422);
      assert.match(refused.body, /id="field-clock"[^>]*aria-invalid="true"/);
      assert.match(refused.body, /id="field-hours"[^>]*aria-invalid="true"/);
      assert.ok(refused.body.includes('value="1.5"'));
      const saved = await browser.post(
        "/admin/rules",
        { ...fields, clock: "customer_reply", hours: "36" },
        { csrfFrom: "/admin/rules/new" },
      );
      assert.equal(saved.statusCode, 303);
      const rule = await ruleNamed(world(), name);
      try {
        assert.equal(rule?.kind, "automation");
        assert.equal(rule?.clock, "customer_reply");
        assert.equal(rule?.hours, 36);
        const list = await browser.get("/admin/rules");
        assert.ok(decodeEntities(list.body).includes("Hours since the customer's last reply: 36"));
      } finally {
        if (rule) await world().deps.db.delete(rules).where(eq(rules.id, rule.id));
      }
    });
  },
  { env: ENV },
);
