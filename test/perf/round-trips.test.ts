import assert from "node:assert/strict";
import { before, test } from "node:test";
import { watchCachedTables } from "../../src/reactions.ts";
import { createView } from "../../src/saved-views/saved-views.service.ts";
import { languageDefaults } from "../../src/settings/settings.service.ts";
import { defaultCalendar, savePolicy } from "../../src/sla/sla.service.ts";
import { addMember, createTeam } from "../../src/teams/teams.service.ts";
import { apiAs } from "../helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";

/**
 * How many statements each hot request sends to the database, at most. On a
 * server every statement is a round trip plus its building and parsing in the
 * app, and the 100k benchmark showed the cost: the desk went from 7 statements
 * to 17 as teams and SLA arrived, and its median latency from 68 to 173 ms.
 * Not a timing: a count, the same on every machine. A feature that needs
 * another statement on one of these paths raises its budget here, on purpose.
 */
const BUDGETS = {
  // session, visible teams, the saved views (src/saved-views: beside the teams), assignable
  // staff, the page, every count (the queues', the teams' and each saved view's in one)
  desk: 6,
  // session, ticket, staff, messages, events, files, requester, CCs, SLA, teams, names,
  // links to other tickets (staff), the canned replies the reply box offers (src/canned),
  // tags (the ticket's and the autocomplete's names in one statement), the requester's other
  // recent tickets (beside the ticket: its requester a subquery)
  ticketPage: 15,
  apiList: 2, // token, the page (restricted teams are a subquery in it)
  // token, ticket, message, audit, recipients, staff to notify, loop-protection lock and
  // count, the customer's ticket link (issue 17: a row per mailed link, so a link can be
  // voided and expires), outbox, SLA policies and the team's calendar, clocks, due row,
  // NOTIFY (rules, webhook endpoints and calendars come from memory)
  create: 14,
  // a new ticket into a round-robin team: the above and the team checked, then the team
  // locked, and one statement that picks (moving the team's cursor), assigns and writes
  // the audit rows; the assignee's mail joins the others in the one outbox insert (its
  // recipient known from the staff list read for the new ticket, no thread lookup); one
  // NOTIFY for both, no SLA read (an assignment moves no clock) and the ticket not read
  // again (the assignment's event carries it)
  createAssigned: 17,
  // token, ticket (locked), message, ticket update, recipients, CCs, the thread's mails
  // (one read of the customer's and ours), the customer's ticket link, outbox, SLA clocks,
  // NOTIFY (a later reply: the first response is met already)
  reply: 11,
  // token, both tickets locked (one statement), the source's open children, both requesters,
  // a link between them, the move (messages, files, CCs: one statement), the source closed and
  // the target touched (each with its search documents rebuilt), the merged link, audit,
  // the requester's mail (recipient, ticket link, thread, outbox), the source's SLA clocks
  // stopped (read, update, due row), NOTIFY; the same for 2 messages or 20
  merge: 18,
};

/** Not counted: transaction control (PGlite does not report it; it is one per write anyway). */
const TRANSACTION_CONTROL = /^(begin|commit|rollback|savepoint|release savepoint)\b/i;

let counting = false;
const statements: string[] = [];

/** The statements `work` sends (only those: nothing else runs in the test's app meanwhile). */
async function countDuring(work: () => Promise<{ statusCode?: number; status?: number }>) {
  statements.length = 0;
  counting = true;
  let status: number | undefined;
  try {
    const res = await work();
    status = res.statusCode ?? res.status;
  } finally {
    counting = false;
  }
  return { status, statements: [...statements] };
}

function within(name: keyof typeof BUDGETS, measured: { statements: string[] }) {
  assert.ok(
    measured.statements.length <= BUDGETS[name],
    `${name}: ${measured.statements.length} statements, budget ${BUDGETS[name]}:\n` +
      measured.statements.map((s) => `  ${s.slice(0, 160)}`).join("\n"),
  );
}

describeEachDatabase(
  "database round trips per request",
  (world) => {
    let stop: (() => Promise<void>) | undefined;
    before(async () => {
      const { deps, listen } = world();
      // As the server runs: triggers, webhook endpoints, calendars and organisations kept in memory.
      stop = await watchCachedTables({ db: deps.db, listen });
    });
    test.after(async () => {
      await stop?.();
    });

    test("the desk, a ticket page, an API list, a new ticket and a reply each stay within their statement budget", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      await createTeam(deps, admin, { name: "Billing", restricted: true });
      await savePolicy(deps, admin, "normal", {
        calendarId: String((await defaultCalendar(deps)).id),
        firstResponse: "60",
        firstResponseUnit: "minutes",
        resolution: "8",
        resolutionUnit: "hours",
      });
      const ticket = await makeTicket(deps, customer, { assigneeId: agent.id });
      for (let i = 0; i < 3; i++) await makeTicket(deps, customer);
      // Saved views with a search, a tag and `team:mine`: counted in the desk's one count statement.
      await createView(deps, agent, {
        name: "Fire",
        filters: { q: "fire tag:hardware team:mine" },
      });
      await createView(deps, agent, { name: "Tagged", filters: { queue: "open", tag: "x" } });
      const browser = await world().signedIn(agent);
      const agentApi = await apiAs(world(), agent);
      const customerApi = await apiAs(world(), customer);
      // Warm: the first request of a kind may create settings rows or fill caches.
      await browser.get("/desk");
      await browser.get(`/tickets/${ticket.id}`);
      await agentApi.get("/tickets?status=new");
      await customerApi.post("/tickets", { title: "Warm", description: "x" });
      await agentApi.post(`/tickets/${ticket.id}/messages`, { content: "Warm." });

      const desk = await countDuring(() => browser.get("/desk"));
      assert.equal(desk.status, 200);
      assert.match((await browser.get("/desk")).body, /Tagged/, "the views are on the desk");
      within("desk", desk);
      const page = await countDuring(() => browser.get(`/tickets/${ticket.id}`));
      assert.equal(page.status, 200);
      within("ticketPage", page);
      const list = await countDuring(() => agentApi.get("/tickets?status=new&limit=50"));
      assert.equal(list.status, 200);
      within("apiList", list);
      const other = await makeCustomer(deps);
      const otherApi = await apiAs(world(), other);
      await otherApi.get("/me"); // a token's first use records it: not what is counted
      const create = await countDuring(() =>
        otherApi.post("/tickets", { title: "Counted", description: "How many round trips?" }),
      );
      assert.equal(create.status, 201);
      within("create", create);
      const team = await createTeam(deps, admin, {
        name: "Support",
        assignment: "round_robin",
        offeredOnForm: true,
      });
      await addMember(deps, admin, team.id, agent.email);
      await otherApi.post("/tickets", { title: "Warm", description: "x", teamId: team.id });
      const assigned = await countDuring(() =>
        otherApi.post("/tickets", { title: "Assigned", description: "Who?", teamId: team.id }),
      );
      assert.equal(assigned.status, 201);
      assert.equal(
        assigned.statements.filter((s) => /pg_notify/.test(s)).length,
        1,
        "one NOTIFY carries the creation and the assignment",
      );
      within("createAssigned", assigned);
      const reply = await countDuring(() =>
        agentApi.post(`/tickets/${ticket.id}/messages`, { content: "Counted reply." }),
      );
      assert.equal(reply.status, 201);
      within("reply", reply);
    });

    test("merging two tickets stays within its statement budget, whatever their number of messages", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const agentApi = await apiAs(world(), agent);
      const pair = async (replies: number) => {
        const source = await makeTicket(deps, customer);
        const target = await makeTicket(deps, customer);
        for (let i = 0; i < replies; i++)
          await agentApi.post(`/tickets/${source.id}/messages`, { content: `Reply ${i}` });
        return { source, target };
      };
      const warm = await pair(1);
      await agentApi.post(`/tickets/${warm.source.id}/merge`, { targetId: warm.target.id });
      for (const replies of [1, 19]) {
        const { source, target } = await pair(replies);
        const merge = await countDuring(() =>
          agentApi.post(`/tickets/${source.id}/merge`, { targetId: target.id }),
        );
        assert.equal(merge.status, 200);
        within("merge", merge);
      }
    });

    test("an anonymous page asks nothing for the instance's language defaults once they are read; an admin's change is seen at once", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const anonymous = world().browser();
      await anonymous.get("/login"); // the first read fills the copy
      assert.ok(languageDefaults.isWarm(deps.db));
      const page = await countDuring(() => anonymous.get("/login"));
      assert.equal(page.status, 200);
      assert.deepEqual(
        page.statements.filter((s) => /"settings"/.test(s)),
        [],
        "the defaults come from memory",
      );
      const browser = await world().signedIn(admin);
      const form = { signupEnabled: "on", ticketLinks: "open" };
      const saved = await browser.post(
        "/admin/settings",
        { ...form, defaultLocale: "de", defaultTimeZone: "Europe/Berlin" },
        { csrfFrom: "/admin/users" },
      );
      assert.equal(saved.statusCode, 303);
      const german = await anonymous.get("/login");
      assert.match(german.body, /<html lang="de"/, "the changed default, with no wait");
      await browser.post(
        "/admin/settings",
        { ...form, defaultLocale: "en", defaultTimeZone: "UTC" },
        { csrfFrom: "/admin/users" },
      );
      assert.match((await anonymous.get("/login")).body, /<html lang="en"/);
    });
  },
  {
    logQuery: (sql) => {
      const statement = sql.replace(/\s+/g, " ").trim();
      if (counting && !TRANSACTION_CONTROL.test(statement)) statements.push(statement);
    },
  },
);
