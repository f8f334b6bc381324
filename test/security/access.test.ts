import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import type { LightMyRequestResponse } from "fastify";
import { issueTicketLinks } from "../../src/accounts/links.service.ts";
import { apiTokens, organisations } from "../../src/db/schema/index.ts";
import {
  addMember as addOrganisationMember,
  createOrganisation,
} from "../../src/organisations/organisations.service.ts";
import { addMember, createTeam } from "../../src/teams/teams.service.ts";
import { updateTicket } from "../../src/tickets/tickets.service.ts";
import { createToken } from "../../src/tokens/tokens.service.ts";
import type { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";
import {
  apiOperations,
  exampleFor,
  getTicketRow,
  getUserRow,
  rawRequest,
  registeredRoutes,
} from "./support.ts";

/**
 * "agent" is in the ticket's team, "outsider agent" is not; the team is
 * restricted to its members, so the outsider gets 404 for its tickets.
 * "colleague" is a customer in the customer's organisation: with sharing on
 * they see and answer its tickets, with sharing off (the same organisation,
 * switched for each of their requests) they are any other customer.
 */
type Who =
  | "anonymous"
  | "customer"
  | "other customer"
  | "colleague, sharing on"
  | "colleague, sharing off"
  | "agent"
  | "outsider agent"
  | "admin";

describeEachDatabase("access control, route by route", (world) => {
  test("every route is covered by the matrix below", async () => {
    const served = registeredRoutes(world().app);
    assert.ok(served.length >= 20, `read only ${served.length} routes from the route tree`);
    assert.deepEqual(
      served,
      Object.keys(MATRIX).sort(),
      "the matrix lists exactly the routes served",
    );
  });

  test("each role gets exactly what DESIGN.md section 5 allows", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const people = {
      customer: owner,
      "other customer": await makeCustomer(deps),
      colleague: await makeCustomer(deps),
      agent: await makeAgent(deps),
      "outsider agent": await makeAgent(deps),
      admin: await makeAdmin(deps),
    };
    const browsers: Record<Who, Browser> = {
      anonymous: world().browser(),
      customer: await world().signedIn(people.customer),
      "other customer": await world().signedIn(people["other customer"]),
      "colleague, sharing on": await world().signedIn(people.colleague),
      "colleague, sharing off": await world().signedIn(people.colleague),
      agent: await world().signedIn(people.agent),
      "outsider agent": await world().signedIn(people["outsider agent"]),
      admin: await world().signedIn(people.admin),
    };
    // Every ticket of the matrix is in a restricted team the customer picked as its category.
    const team = await createTeam(deps, people.admin, {
      name: `Matrix ${Math.random()}`,
      offeredOnForm: true,
      restricted: true,
    });
    await addMember(deps, people.admin, team.id, people.agent.email);
    const organisation = await createOrganisation(deps, people.admin, {
      name: `Matrix ${Math.random()}`,
      shareTickets: true,
    });
    await addOrganisationMember(deps, people.admin, organisation.id, owner.email);
    await addOrganisationMember(deps, people.admin, organisation.id, people.colleague.email);
    const sharing = (on: boolean) =>
      deps.db
        .update(organisations)
        .set({ shareTickets: on })
        .where(eq(organisations.id, organisation.id));
    const teamTicket = async () => {
      const ticket = await makeTicket(deps, owner);
      await updateTicket(deps, people.admin, ticket.id, { teamId: team.id });
      return ticket;
    };
    const ticketPage = await browsers.customer.postMultipart(
      "/tickets",
      { title: "Access matrix", description: "with a file", teamId: String(team.id) },
      [{ field: "attachments", filename: "a.txt", content: "hello", type: "text/plain" }],
      { csrfFrom: "/tickets/new" },
    );
    const ticketId = Number(/\/tickets\/(\d+)/.exec(String(ticketPage.headers.location))?.[1]);
    const page = await browsers.customer.get(`/tickets/${ticketId}`);
    const attachmentId = Number(/\/attachments\/(\d+)/.exec(page.body)?.[1]);
    assert.ok(ticketId > 0 && attachmentId > 0);
    const target = await makeCustomer(deps);
    const { operations, resolve } = await apiOperations(world().app);
    const apiBody = (route: string) => {
      const op = operations.find(
        (o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ":$1")}` === route,
      );
      return op?.body ? exampleFor(op.body, resolve) : {};
    };

    const failures: string[] = [];
    for (const [route, listed] of Object.entries(MATRIX)) {
      const expectations = withColleagues(route, withOutsider(route, listed));
      for (const [who, expected] of Object.entries(expectations) as [Who, number][]) {
        const [method, pattern] = route.split(" ") as [string, string];
        const writes = method !== "GET";
        // Fresh state for writes: a new ticket (or token) for each state-changing check.
        let id: number;
        if (pattern.startsWith("/attachments") || pattern.startsWith("/api/v1/attachments"))
          id = attachmentId;
        else if (pattern.startsWith("/admin/users")) id = target.id;
        else if (pattern.startsWith("/admin/email")) id = 999_999;
        else if (pattern.startsWith("/admin/rules")) id = 999_999;
        else if (pattern.startsWith("/messages")) id = 999_999;
        else if (pattern.startsWith("/admin/sla")) id = 999_999;
        else if (pattern.startsWith("/admin/teams")) id = 999_999;
        else if (pattern.startsWith("/admin/tags")) id = 999_999;
        else if (pattern.startsWith("/admin/fields")) id = 999_999;
        else if (pattern.startsWith("/canned-replies")) id = 999_999;
        else if (pattern.startsWith("/macros") || pattern.startsWith("/api/v1/macros"))
          id = 999_999;
        else if (pattern.startsWith("/desk/views") || pattern.startsWith("/api/v1/views"))
          id = 999_999;
        else if (pattern.startsWith("/admin/organisations")) id = 999_999;
        else if (pattern.startsWith("/admin/sso") || pattern.startsWith("/login/sso")) id = 999_999;
        else if (pattern.startsWith("/admin/webhooks") || pattern.startsWith("/api/v1/webhooks"))
          id = 999_999;
        else if (pattern.startsWith("/api/v1/users")) id = owner.id;
        else if (
          pattern.startsWith("/account/tokens") ||
          pattern.startsWith("/admin/tokens") ||
          pattern.startsWith("/api/v1/tokens/")
        ) {
          // A fresh token each time, within the 50 an account may hold.
          await deps.db.delete(apiTokens).where(eq(apiTokens.userId, owner.id));
          id = (await createToken(deps, owner, { name: "matrix" })).record.id;
        } else id = writes ? (await teamTicket()).id : ticketId;
        // The live stream answers 200 with a stream that never ends: the matrix checks
        // who is refused (src/live/live.pages.test.ts checks who is streamed what).
        const url =
          pattern === "/live"
            ? `/live?ticket=${ticketId}`
            : pattern
                .replace(":id", String(id))
                .replace(":deliveryId", "999999")
                .replace(":linkId", "999999")
                .replace(":messageId", "999999")
                .replace(":name", "not-on-it")
                .replace(":cannedId", "999999")
                .replace(":macroId", "999999");
        const browser = browsers[who];
        if (who === "colleague, sharing off") await sharing(false);
        let response: LightMyRequestResponse;
        if (!writes) response = await browser.get(url);
        else if (url.startsWith("/api/")) {
          const token = await browser.csrf(who === "anonymous" ? "/login" : "/account");
          response = await rawRequest(browser, {
            method,
            url,
            headers: { "content-type": "application/json", "x-csrf-token": token },
            payload: JSON.stringify(API_BODIES[route] ?? apiBody(route)),
          });
        } else {
          const fields =
            route === "POST /live/typing" ? { ticket: String(ticketId) } : FORM_FIELDS[route];
          response = await browser.post(url, fields ?? {}, {
            csrfFrom: who === "anonymous" ? "/login" : "/account",
          });
        }
        if (who === "colleague, sharing off") await sharing(true);
        if (response.statusCode !== expected)
          failures.push(`${route} as ${who}: ${response.statusCode}, expected ${expected}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test("a ticket link's session gets what an anonymous visitor gets, but for its own ticket's page, replies and files", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const full = await world().signedIn(owner);
    // Two tickets of the same customer, each with a file: the link is for the first.
    const withFile = async (title: string) => {
      const created = await full.postMultipart(
        "/tickets",
        { title, description: "with a file" },
        [{ field: "attachments", filename: "a.txt", content: "hello", type: "text/plain" }],
        { csrfFrom: "/tickets/new" },
      );
      const id = Number(/\/tickets\/(\d+)/.exec(String(created.headers.location))?.[1]);
      const file = Number(
        /\/attachments\/(\d+)/.exec((await full.get(`/tickets/${id}`)).body)?.[1],
      );
      assert.ok(id > 0 && file > 0);
      return { id, file };
    };
    const own = await withFile("Linked");
    const other = await withFile("Not linked");
    const [token] = await issueTicketLinks(deps.db, [
      { userId: owner.id, email: owner.email, ticketId: own.id },
    ]);
    const link = `/tickets/${own.id}/open?token=${token}`;
    const visitor = world().browser();
    assert.equal((await visitor.post(link, {}, { csrfFrom: link })).statusCode, 303);
    const anonymous = world().browser();
    const { operations, resolve } = await apiOperations(world().app);
    const apiBody = (route: string) => {
      const op = operations.find(
        (o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ":$1")}` === route,
      );
      return op?.body ? exampleFor(op.body, resolve) : {};
    };
    const send = async (browser: Browser, route: string, ticket: { id: number; file: number }) => {
      const [method, pattern] = route.split(" ") as [string, string];
      const id = pattern.includes("/attachments/") ? ticket.file : ticket.id;
      const url =
        pattern === "/live"
          ? `/live?ticket=${ticket.id}`
          : pattern.replace(":id", String(id)).replace(/:\w+/g, "999999");
      if (method === "GET") return (await browser.get(url)).statusCode;
      if (url.startsWith("/api/")) {
        const csrf = await browser.csrf("/login");
        return (
          await rawRequest(browser, {
            method,
            url,
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            payload: JSON.stringify(apiBody(route)),
          })
        ).statusCode;
      }
      return (await browser.post(url, FORM_FIELDS[route] ?? {}, { csrfFrom: "/login" })).statusCode;
    };
    const OWN_TICKET: Record<string, number> = {
      "GET /tickets/:id": 200,
      "POST /tickets/:id/replies": 303,
      "GET /attachments/:id": 200,
    };
    const failures: string[] = [];
    for (const route of registeredRoutes(world().app)) {
      if (route === "POST /logout") continue; // would end the session: checked last
      if (route === "GET /live") continue; // anonymous and visitor alike: 401 (checked below)
      const got = await send(visitor, route, other);
      const expected = await send(anonymous, route, other);
      if (got !== expected) failures.push(`${route}: ${got}, anonymous gets ${expected}`);
      const wanted = OWN_TICKET[route];
      if (wanted !== undefined) {
        const mine = await send(visitor, route, own);
        if (mine !== wanted)
          failures.push(`${route} of its own ticket: ${mine}, expected ${wanted}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal((await visitor.get(`/live?ticket=${own.id}`)).statusCode, 401);
    assert.equal((await visitor.get(`/tickets/${own.id}`)).statusCode, 200, "still the session");
    assert.equal((await visitor.post("/logout", {}, { csrfFrom: "/login" })).statusCode, 303);
    assert.equal((await visitor.get(`/tickets/${own.id}`)).statusCode, 303, "signed out");
  });

  test("ids changed in forms and API bodies are refused: assignee, requester, role", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const other = await makeCustomer(deps);
    const agentUser = await makeAgent(deps);
    const customer = await world().signedIn(owner);
    const agent = await world().signedIn(agentUser);
    const ticket = await makeTicket(deps, owner);
    const before = await getTicketRow(deps, ticket.id);

    // An agent assigns the ticket to a customer: refused, nothing changes.
    const toCustomer = await agent.post(`/tickets/${ticket.id}`, {
      assigneeId: String(other.id),
      assigneeIdWas: "",
    });
    assert.equal(toCustomer.statusCode, 400);
    assert.match(toCustomer.body, /Assignee must be an active agent or admin/);
    // The customer assigns their own ticket, or reopens it past what they may do.
    for (const fields of <Record<string, string>[]>[
      { assigneeId: String(agentUser.id), assigneeIdWas: "" },
      { priority: "urgent", priorityWas: "normal" },
      { status: "closed", statusWas: "new" },
    ]) {
      const response = await customer.post(`/tickets/${ticket.id}`, fields);
      assert.equal(response.statusCode, 403, JSON.stringify(fields));
    }
    assert.deepEqual(await getTicketRow(deps, ticket.id), before);

    // A requester field smuggled into the new-ticket form is ignored: the ticket is the sender's.
    const smuggled = await customer.post(
      "/tickets",
      {
        title: "Mine",
        description: "x",
        requesterId: String(other.id),
        requesterEmail: other.email,
      },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(smuggled.statusCode, 303);
    const createdId = Number(/\/tickets\/(\d+)/.exec(String(smuggled.headers.location))?.[1]);
    assert.equal((await getTicketRow(deps, createdId))?.requesterId, owner.id);

    // The same through the API, with bearer tokens.
    const customerApi = (await createToken(deps, owner, { name: "t" })).token;
    const agentApi = (await createToken(deps, agentUser, { name: "t" })).token;
    const api = (token: string, method: string, url: string, body: unknown) =>
      world().app.inject({
        method: method as "POST",
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        payload: JSON.stringify(body),
      });
    const refusals: [string, number, number][] = [
      [
        "customer opens a ticket for someone else",
        (
          await api(customerApi, "POST", "/tickets", {
            title: "t",
            description: "d",
            requesterEmail: other.email,
          })
        ).statusCode,
        403,
      ],
      [
        "customer names a requester id",
        (
          await api(customerApi, "POST", "/tickets", {
            title: "t",
            description: "d",
            requesterId: other.id,
          })
        ).statusCode,
        400,
      ],
      [
        "customer assigns",
        (await api(customerApi, "PATCH", `/tickets/${ticket.id}`, { assigneeId: agentUser.id }))
          .statusCode,
        403,
      ],
      [
        "customer closes",
        (await api(customerApi, "PATCH", `/tickets/${ticket.id}`, { status: "closed" })).statusCode,
        403,
      ],
      [
        "customer makes themself admin",
        (await api(customerApi, "PATCH", `/users/${owner.id}`, { role: "admin" })).statusCode,
        403,
      ],
      [
        "agent makes themself admin",
        (await api(agentApi, "PATCH", `/users/${agentUser.id}`, { role: "admin" })).statusCode,
        403,
      ],
      [
        "agent assigns to a customer",
        (await api(agentApi, "PATCH", `/tickets/${ticket.id}`, { assigneeId: other.id }))
          .statusCode,
        400,
      ],
      [
        "customer writes an internal note",
        (
          await api(customerApi, "POST", `/tickets/${ticket.id}/messages`, {
            content: "x",
            internal: true,
          })
        ).statusCode,
        403,
      ],
      [
        "customer touches another's ticket",
        (
          await api(
            (
              await createToken(deps, other, { name: "t" })
            ).token,
            "PATCH",
            `/tickets/${ticket.id}`,
            { status: "solved" },
          )
        ).statusCode,
        404,
      ],
    ];
    assert.deepEqual(
      refusals
        .filter(([, got, want]) => got !== want)
        .map(([what, got, want]) => `${what}: ${got}, expected ${want}`),
      [],
    );
    assert.deepEqual(await getTicketRow(deps, ticket.id), before);
    assert.equal((await getUserRow(deps, owner.id))?.role, "customer");
    assert.equal((await getUserRow(deps, agentUser.id))?.role, "agent");
  });

  test("internal notes, their files and the audit trail never reach the customer", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const customer = await world().signedIn(owner);
    const agentUser = await makeAgent(deps);
    const agent = await world().signedIn(agentUser);
    const ticket = await makeTicket(deps, owner);
    const note = await agent.postMultipart(
      `/tickets/${ticket.id}/replies`,
      { content: "SECRET-NOTE-TEXT", internal: "true" },
      [{ field: "attachments", filename: "secret-file.txt", content: "secret" }],
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(note.statusCode, 303);
    const staffPage = await agent.get(`/tickets/${ticket.id}`);
    const noteFile = Number(/\/attachments\/(\d+)/.exec(staffPage.body)?.[1]);
    assert.ok(noteFile > 0);
    const page = await customer.get(`/tickets/${ticket.id}`);
    assert.doesNotMatch(page.body, /SECRET-NOTE-TEXT|secret-file/);
    assert.equal((await customer.get(`/attachments/${noteFile}`)).statusCode, 404);
    const token = (await createToken(deps, owner, { name: "t" })).token;
    const get = (url: string) =>
      world().app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });
    const messages = await get(`/tickets/${ticket.id}/messages`);
    assert.equal(messages.statusCode, 200);
    assert.doesNotMatch(messages.body, /SECRET-NOTE-TEXT|secret-file/);
    assert.equal((await get(`/tickets/${ticket.id}/events`)).statusCode, 403);
    // Lists and filters never widen to other people's tickets.
    const others = await makeTicket(deps, await makeCustomer(deps), { title: "NOT-YOURS" });
    for (const url of [
      "/tickets",
      `/tickets?requesterId=${others.requesterId}`,
      "/tickets?q=NOT-YOURS",
    ]) {
      const list = await get(url);
      assert.ok(list.statusCode === 200 || list.statusCode === 400, `${url}: ${list.statusCode}`);
      assert.doesNotMatch(list.body, /NOT-YOURS/, url);
    }
    const mine = await customer.get(`/tickets?requesterId=${others.requesterId}`);
    assert.doesNotMatch(mine.body, /NOT-YOURS/);
  });

  test("a revoked token, and the token of a disabled user, stop working at once", async () => {
    const { deps } = world();
    const user = await makeAgent(deps);
    const admin = await world().signedIn(await makeAdmin(deps));
    const first = await createToken(deps, user, { name: "a" });
    const second = await createToken(deps, user, { name: "b" });
    const me = (token: string) =>
      world().app.inject({ url: "/api/v1/me", headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me(first.token)).statusCode, 200);
    const owner = await world().signedIn(user);
    assert.equal(
      (
        await owner.post(
          `/account/tokens/${first.record.id}/revoke`,
          {},
          { csrfFrom: "/account/tokens" },
        )
      ).statusCode,
      303,
    );
    assert.equal((await me(first.token)).statusCode, 401);
    assert.equal((await me(second.token)).statusCode, 200);
    assert.equal(
      (await admin.post(`/admin/users/${user.id}`, { disabled: "true" })).statusCode,
      303,
    );
    assert.equal((await me(second.token)).statusCode, 401);
    // A session cookie riding along does not rescue a bad bearer token.
    const withCookie = await world().app.inject({
      url: "/api/v1/me",
      headers: {
        authorization: "Bearer tsr_not-a-real-token",
        cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
    });
    assert.equal(withCookie.statusCode, 401);
  });
});

// Expected status per role. 303 = success with redirect (or sign-in redirect for
// anonymous GETs), 200 = page shown, 401 = must sign in, 403 = role may not,
// 404 = not theirs (never revealed). Setup needs its one-time token (404 without).
const ALL_200: Record<Listed, number> = {
  anonymous: 200,
  customer: 200,
  "other customer": 200,
  agent: 200,
  admin: 200,
};
const SIGNED_IN_PAGE: Record<Listed, number> = {
  anonymous: 303,
  customer: 200,
  "other customer": 200,
  agent: 200,
  admin: 200,
};
const STAFF_PAGE: Record<Listed, number> = {
  anonymous: 303,
  customer: 403,
  "other customer": 403,
  agent: 200,
  admin: 200,
};
const ADMIN_PAGE: Record<Listed, number> = {
  anonymous: 303,
  customer: 403,
  "other customer": 403,
  agent: 403,
  admin: 200,
};
const ADMIN_POST: Record<Listed, number> = {
  anonymous: 401,
  customer: 403,
  "other customer": 403,
  agent: 403,
  admin: 303,
};

const API_SIGNED_IN: Record<Listed, number> = {
  anonymous: 401,
  customer: 200,
  "other customer": 200,
  agent: 200,
  admin: 200,
};
const API_ADMIN_WRITE: Record<Listed, number> = {
  anonymous: 401,
  customer: 403,
  "other customer": 403,
  agent: 403,
  admin: 201,
};

/**
 * API bodies where the schema's example would not do: a merge into ticket 1
 * would depend on what ticket 1 is, so it names a ticket that does not exist.
 */
const API_BODIES: Record<string, unknown> = {
  "POST /api/v1/tickets/:id/merge": { targetId: 999_999 },
};

/**
 * Routes about one ticket: an agent outside its restricted team gets 404 there,
 * as if it did not exist. Everywhere else they get what any agent gets.
 */
const TEAM_TICKET_ROUTES = new Set([
  "GET /tickets/:id",
  "POST /tickets/:id",
  "POST /tickets/:id/replies",
  "POST /tickets/:id/replies/insert",
  "GET /attachments/:id",
  "GET /live",
  "GET /api/v1/tickets/:id",
  "PATCH /api/v1/tickets/:id",
  "GET /api/v1/tickets/:id/messages",
  "POST /api/v1/tickets/:id/messages",
  "GET /api/v1/tickets/:id/attachments",
  "GET /api/v1/attachments/:id",
  "GET /api/v1/tickets/:id/events",
  "POST /tickets/:id/ccs",
  "POST /tickets/:id/ccs/remove",
  "GET /api/v1/tickets/:id/ccs",
  "POST /api/v1/tickets/:id/ccs",
  "DELETE /api/v1/tickets/:id/ccs/:address",
  "POST /tickets/:id/links",
  "POST /tickets/:id/links/remove",
  "GET /api/v1/tickets/:id/links",
  "POST /api/v1/tickets/:id/links",
  "DELETE /api/v1/tickets/:id/links/:linkId",
  "POST /tickets/:id/merge",
  "POST /tickets/:id/messages/:messageId/split",
  "POST /api/v1/tickets/:id/merge",
  "POST /api/v1/tickets/:id/messages/:messageId/split",
  "POST /tickets/:id/tags",
  "POST /tickets/:id/tags/remove",
  "GET /api/v1/tickets/:id/tags",
  "PUT /api/v1/tickets/:id/tags",
  "POST /api/v1/tickets/:id/tags",
  "DELETE /api/v1/tickets/:id/tags/:name",
  "GET /tickets/:id/macros",
  "POST /tickets/:id/fields",
]);

/**
 * What a colleague of the customer gets with sharing on: the customer's ticket
 * to read and answer (changing it stays the requester's: 403), and elsewhere
 * whatever another customer gets. With sharing off: always another customer's.
 */
const COLLEAGUE_SHARING: Record<string, number> = {
  "GET /tickets/:id": 200,
  "POST /tickets/:id": 403,
  "POST /tickets/:id/replies": 303,
  "POST /tickets/:id/ccs": 403,
  "POST /tickets/:id/ccs/remove": 403,
  "GET /attachments/:id": 200,
  "GET /api/v1/tickets/:id": 200,
  "PATCH /api/v1/tickets/:id": 403,
  "GET /api/v1/tickets/:id/messages": 200,
  "POST /api/v1/tickets/:id/messages": 201,
  "GET /api/v1/tickets/:id/attachments": 200,
  "GET /api/v1/attachments/:id": 200,
  "GET /api/v1/tickets/:id/events": 403,
  "GET /api/v1/tickets/:id/ccs": 200,
  "POST /api/v1/tickets/:id/ccs": 403,
  "DELETE /api/v1/tickets/:id/ccs/:address": 403,
  "POST /tickets/:id/links": 403,
  "POST /tickets/:id/links/remove": 403,
  "GET /api/v1/tickets/:id/links": 403,
  "POST /api/v1/tickets/:id/links": 403,
  "DELETE /api/v1/tickets/:id/links/:linkId": 403,
  "POST /tickets/:id/merge": 403,
  "POST /tickets/:id/messages/:messageId/split": 403,
  "POST /api/v1/tickets/:id/merge": 403,
  "POST /api/v1/tickets/:id/messages/:messageId/split": 403,
  "POST /tickets/:id/tags": 403,
  "POST /tickets/:id/tags/remove": 403,
  "GET /api/v1/tickets/:id/tags": 403,
  "PUT /api/v1/tickets/:id/tags": 403,
  "POST /api/v1/tickets/:id/tags": 403,
  "DELETE /api/v1/tickets/:id/tags/:name": 403,
  "POST /tickets/:id/fields": 403,
};

function withColleagues(
  route: string,
  expectations: Partial<Record<Who, number>>,
): Partial<Record<Who, number>> {
  const other = expectations["other customer"];
  if (other === undefined) return expectations;
  // The live stream of a ticket they see answers 200 and never ends (as for the customer).
  if (route === "GET /live") return { ...expectations, "colleague, sharing off": other };
  return {
    ...expectations,
    "colleague, sharing on": COLLEAGUE_SHARING[route] ?? other,
    "colleague, sharing off": other,
  };
}

/** The roles the matrix lists; the others are derived (withOutsider, withColleagues). */
type Listed = Exclude<Who, "outsider agent" | "colleague, sharing on" | "colleague, sharing off">;

function withOutsider(
  route: string,
  expectations: Partial<Record<Who, number>>,
): Partial<Record<Who, number>> {
  if (TEAM_TICKET_ROUTES.has(route)) return { ...expectations, "outsider agent": 404 };
  return expectations.agent === undefined
    ? expectations
    : { ...expectations, "outsider agent": expectations.agent };
}

const MATRIX: Record<string, Partial<Record<Who, number>>> = {
  "GET /": { anonymous: 303, customer: 303, agent: 303 },
  "GET /healthz": ALL_200,
  "GET /readyz": ALL_200,
  // Loopback without a proxy header (app.inject's address): see the metrics tests for the rest.
  "GET /metrics": ALL_200,

  "GET /login": { anonymous: 200, customer: 303 },
  "POST /login": { anonymous: 401 },
  "POST /logout": { anonymous: 303 },
  "GET /signup": { anonymous: 200, customer: 303 },
  "POST /signup": { anonymous: 422 },
  // Without a live link there is nothing to confirm, for anyone.
  "GET /signup/confirm": { anonymous: 404, customer: 404, admin: 404 },
  "POST /signup/confirm": { anonymous: 404, customer: 404, admin: 404 },
  "GET /setup": { anonymous: 404, customer: 404, admin: 404 },
  "GET /password/forgot": ALL_200,
  "POST /password/forgot": { anonymous: 422, customer: 422 },
  // Without a live link there is no reset form, for anyone.
  "GET /password/reset": { anonymous: 404, customer: 404, admin: 404 },
  "POST /password/reset": { anonymous: 404, customer: 404, admin: 404 },
  "POST /setup": { anonymous: 404, admin: 404 },
  "GET /account": SIGNED_IN_PAGE,
  "POST /account/password": { anonymous: 401, customer: 422, agent: 422 },
  // The second step of a sign-in: without the pending step's cookie there is nothing to
  // finish, for anyone (back to sign-in); someone signed in is sent home.
  "GET /login/two-factor": { anonymous: 303, customer: 303, admin: 303 },
  "POST /login/two-factor": { anonymous: 303, customer: 303, admin: 303 },
  // Two-factor of one's own account; nobody in the matrix has it on (409 to change it).
  "GET /account/two-factor": SIGNED_IN_PAGE,
  "POST /account/two-factor": { anonymous: 401, customer: 422, agent: 422, admin: 422 },
  "POST /account/two-factor/recovery-codes": { anonymous: 401, customer: 409, agent: 409 },
  "POST /account/two-factor/disable": { anonymous: 401, customer: 409, admin: 409 },
  // Each person's own sessions (the matrix's people have one each, this one).
  "GET /account/sessions": SIGNED_IN_PAGE,
  "POST /account/sessions/others": { anonymous: 401, customer: 303, agent: 303, admin: 303 },
  "GET /tickets": SIGNED_IN_PAGE,
  "GET /tickets/new": SIGNED_IN_PAGE,
  "POST /tickets": { anonymous: 401, customer: 303, agent: 303, admin: 303 },
  "GET /tickets/:id": {
    anonymous: 303,
    customer: 200,
    "other customer": 404,
    agent: 200,
    admin: 200,
  },
  "POST /tickets/:id": {
    anonymous: 401,
    customer: 303,
    "other customer": 404,
    agent: 303,
    admin: 303,
  },
  "POST /tickets/:id/replies": {
    anonymous: 401,
    customer: 303,
    "other customer": 404,
    agent: 303,
    admin: 303,
  },
  // CCs: staff change them; the requester may look (403 to change), others' tickets are 404.
  // Removing an address that is no CC is 404.
  "POST /tickets/:id/ccs": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 303,
    admin: 303,
  },
  "POST /tickets/:id/ccs/remove": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // Links between tickets: staff only, even for the requester (403); the form names no
  // ticket anyone can see (422), and ":linkId"/"linkId" is no link (404).
  "POST /tickets/:id/links": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 422,
    admin: 422,
  },
  "POST /tickets/:id/links/remove": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // Merging and splitting: staff only, even for the requester (403). The form names
  // no ticket (422, beside the field); ":messageId" is no message of the ticket (404).
  "POST /tickets/:id/merge": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 422,
    admin: 422,
  },
  "POST /tickets/:id/messages/:messageId/split": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // Tags: staff's labels, even on the requester's own ticket (403); taking off a tag
  // the ticket does not carry changes nothing (303).
  "POST /tickets/:id/tags": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 303,
    admin: 303,
  },
  "POST /tickets/:id/tags/remove": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 303,
    admin: 303,
  },
  // Custom fields: staff change them (customers only read theirs on the page).
  "POST /tickets/:id/fields": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 303,
    admin: 303,
  },
  // The original of a mail: staff only (customers 404); no such message here.
  "GET /messages/:id/original.eml": {
    anonymous: 303,
    customer: 404,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  "GET /attachments/:id": {
    anonymous: 303,
    customer: 200,
    "other customer": 404,
    agent: 200,
    admin: 200,
  },
  // A ticket link from a customer's mail: without a live token in the URL there is nothing
  // to open, for anyone (src/accounts/ticket-links.test.ts follows real links).
  "GET /tickets/:id/open": { anonymous: 404, customer: 404, agent: 404, admin: 404 },
  "POST /tickets/:id/open": { anonymous: 404, customer: 404, agent: 404, admin: 404 },
  "GET /desk": STAFF_PAGE,
  // Saved views: staff only, customers get 404; ":id" is no view. Saving without a name is 422.
  "GET /desk/views": { ...STAFF_PAGE, customer: 404, "other customer": 404 },
  "POST /desk/views": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 422,
    admin: 422,
  },
  "POST /desk/views/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "POST /desk/views/:id/move": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "POST /desk/views/:id/delete": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  // Canned replies: staff only, customers get 404 (there is nothing there for them);
  // ":id" is no canned reply. The insert button without a choice is refused (422).
  "GET /canned-replies": { ...STAFF_PAGE, customer: 404, "other customer": 404 },
  "POST /canned-replies": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 422,
    admin: 422,
  },
  "GET /canned-replies/:id": { anonymous: 303, customer: 404, agent: 404, admin: 404 },
  "POST /canned-replies/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "POST /canned-replies/:id/delete": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "POST /tickets/:id/replies/insert": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 422,
    admin: 422,
  },
  // Macros: as canned replies (":id" and ":macroId" are no macro). Choosing one for a
  // ticket: staff who see it; the preview without a macro chosen is 404.
  "GET /macros": { ...STAFF_PAGE, customer: 404, "other customer": 404 },
  "POST /macros": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 422,
    admin: 422,
  },
  "GET /macros/:id": { anonymous: 303, customer: 404, agent: 404, admin: 404 },
  "POST /macros/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "POST /macros/:id/delete": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "GET /tickets/:id/macros": { ...STAFF_PAGE, customer: 404, "other customer": 404 },
  "GET /tickets/:id/macros/preview": {
    anonymous: 303,
    customer: 404,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  "POST /tickets/:id/macros/:macroId/apply": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // Bulk actions: staff; without tickets chosen there is nothing to do (400).
  "POST /desk/bulk": {
    anonymous: 401,
    customer: 403,
    "other customer": 403,
    agent: 400,
    admin: 400,
  },
  "GET /admin/users": ADMIN_PAGE,
  "GET /admin/users/new": ADMIN_PAGE,
  "POST /admin/users": { ...ADMIN_POST, admin: 422 },
  "POST /admin/users/:id": ADMIN_POST,
  "POST /admin/users/:id/sessions/end": ADMIN_POST,
  "POST /admin/settings": ADMIN_POST,
  "GET /account/tokens": SIGNED_IN_PAGE,
  "POST /account/tokens": { anonymous: 401, customer: 201, agent: 201, admin: 201 },
  // A token of the customer's: nobody else may revoke it, and it is not revealed.
  "POST /account/tokens/:id/revoke": {
    anonymous: 401,
    customer: 303,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  "GET /admin/tokens": ADMIN_PAGE,
  "POST /admin/tokens/:id/revoke": ADMIN_POST,
  // Notification settings are staff's (mail about assigned tickets).
  "POST /account/notifications": { anonymous: 401, customer: 403, agent: 303, admin: 303 },
  "GET /admin/email": ADMIN_PAGE,
  "GET /admin/email/inbound/:id": { ...ADMIN_PAGE, admin: 404 },
  "GET /admin/email/inbound/:id/raw": { ...ADMIN_PAGE, admin: 404 },
  "POST /admin/email/outbox/:id/retry": { ...ADMIN_POST, admin: 404 },
  // IMAP mailboxes: admins only; a missing mailbox is 404, an empty form 422.
  "GET /admin/email/mailboxes": ADMIN_PAGE,
  "GET /admin/email/mailboxes/new": ADMIN_PAGE,
  "POST /admin/email/mailboxes": { ...ADMIN_POST, admin: 422 },
  "GET /admin/email/mailboxes/:id": { ...ADMIN_PAGE, admin: 404 },
  "POST /admin/email/mailboxes/:id": { ...ADMIN_POST, admin: 404 },
  "POST /admin/email/mailboxes/:id/enabled": { ...ADMIN_POST, admin: 404 },
  "POST /admin/email/mailboxes/:id/delete": { ...ADMIN_POST, admin: 404 },
  // Live updates: a session only; another customer's ticket is 404 (the streams
  // themselves are tested in src/live/live.pages.test.ts). Typing notices are staff's.
  "GET /live": { anonymous: 401, "other customer": 404 },
  "POST /live/typing": { anonymous: 401, customer: 403, agent: 204, admin: 204 },
  // Automation rules: admins only; a missing rule is 404, an empty form 422.
  "GET /admin/rules": ADMIN_PAGE,
  "GET /admin/rules/new": ADMIN_PAGE,
  "POST /admin/rules": { ...ADMIN_POST, admin: 422 },
  "GET /admin/rules/:id": { ...ADMIN_PAGE, admin: 404 },
  "POST /admin/rules/:id": { ...ADMIN_POST, admin: 404 },
  "GET /admin/rules/:id/preview": { ...ADMIN_PAGE, admin: 404 },
  "POST /admin/rules/:id/enabled": { ...ADMIN_POST, admin: 404 },
  "POST /admin/rules/:id/move": { ...ADMIN_POST, admin: 404 },
  "POST /admin/rules/:id/delete": { ...ADMIN_POST, admin: 404 },
  // SLA calendars and policies: admins only; a missing calendar or priority is 404, an empty form 422.
  "GET /admin/sla": ADMIN_PAGE,
  "GET /admin/sla/calendars/new": ADMIN_PAGE,
  "POST /admin/sla/calendars": { ...ADMIN_POST, admin: 422 },
  "GET /admin/sla/calendars/:id": { ...ADMIN_PAGE, admin: 404 },
  "POST /admin/sla/calendars/:id": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/calendars/:id/default": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/policies/:priority": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/calendars/:id/delete": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/teams/:teamId/policies": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/teams/:teamId/policies/:priority": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/teams/:teamId/policies/:priority/remove": { ...ADMIN_POST, admin: 404 },
  "GET /admin/sla/conditions/new": ADMIN_PAGE,
  "POST /admin/sla/conditions": { ...ADMIN_POST, admin: 422 },
  "GET /admin/sla/conditions/:conditionId": { ...ADMIN_PAGE, admin: 404 },
  "POST /admin/sla/conditions/:conditionId": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/conditions/:conditionId/delete": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/conditions/:conditionId/move": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/conditions/:conditionId/policies": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/conditions/:conditionId/policies/:priority": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sla/conditions/:conditionId/policies/:priority/remove": {
    ...ADMIN_POST,
    admin: 404,
  },
  // Teams: admins only; a missing team is 404, a nameless new one 422.
  // Organisations: admins only; a missing one is 404, a nameless new one 422.
  // Single sign-on: providers are admins' (a missing one 404, an empty new one 422); the
  // sign-in link is everyone's (no provider 999999: 404), and the provider's redirect back
  // without the state cookie of a sign-in begun in this browser is refused (400) for anyone.
  "GET /admin/sso": ADMIN_PAGE,
  "POST /admin/sso": { ...ADMIN_POST, admin: 422 },
  "POST /admin/sso/:id": { ...ADMIN_POST, admin: 404 },
  "POST /admin/sso/:id/delete": { ...ADMIN_POST, admin: 404 },
  "GET /login/sso/:id": { anonymous: 404, customer: 404, agent: 404, admin: 404 },
  "GET /login/sso/callback": { anonymous: 400, customer: 400, admin: 400 },
  "GET /admin/organisations": ADMIN_PAGE,
  "POST /admin/organisations": { ...ADMIN_POST, admin: 422 },
  "POST /admin/organisations/:id": { ...ADMIN_POST, admin: 404 },
  "POST /admin/organisations/:id/delete": { ...ADMIN_POST, admin: 404 },
  "POST /admin/organisations/:id/members": { ...ADMIN_POST, admin: 404 },
  "POST /admin/organisations/:id/members/:userId/remove": { ...ADMIN_POST, admin: 404 },
  "GET /admin/tags": ADMIN_PAGE,
  "POST /admin/tags/:id/rename": { ...ADMIN_POST, admin: 404 },
  "POST /admin/tags/:id/merge": { ...ADMIN_POST, admin: 404 },
  "POST /admin/tags/:id/delete": { ...ADMIN_POST, admin: 404 },
  "GET /admin/teams": ADMIN_PAGE,
  "POST /admin/teams": { ...ADMIN_POST, admin: 422 },
  "GET /admin/fields": ADMIN_PAGE,
  "POST /admin/fields": { ...ADMIN_POST, admin: 422 },
  "POST /admin/fields/:id": { ...ADMIN_POST, admin: 404 },
  "POST /admin/fields/:id/delete": { ...ADMIN_POST, admin: 404 },
  "POST /admin/teams/:id": { ...ADMIN_POST, admin: 404 },
  "POST /admin/teams/:id/delete": { ...ADMIN_POST, admin: 404 },
  "POST /admin/teams/:id/members": { ...ADMIN_POST, admin: 404 },
  "POST /admin/teams/:id/members/:userId/remove": { ...ADMIN_POST, admin: 404 },
  // Webhooks: admins only; a missing endpoint is 404, an empty form 422.
  "GET /admin/webhooks": ADMIN_PAGE,
  "POST /admin/webhooks": { ...ADMIN_POST, admin: 422 },
  "GET /admin/webhooks/:id": { ...ADMIN_PAGE, admin: 404 },
  "POST /admin/webhooks/:id": { ...ADMIN_POST, admin: 404 },
  "POST /admin/webhooks/:id/rotate": { ...ADMIN_POST, admin: 404 },
  "POST /admin/webhooks/:id/delete": { ...ADMIN_POST, admin: 404 },
  "POST /admin/webhooks/:id/deliveries/:deliveryId/resend": { ...ADMIN_POST, admin: 404 },
  // Away and back: staff only (automatic assignment skips away agents).
  "POST /account/away": { anonymous: 401, customer: 403, agent: 303, admin: 303 },
  // One's own language and zone: anyone signed in; the switcher: anyone (a cookie when not signed in).
  "POST /account/language": { anonymous: 401, customer: 303, agent: 303, admin: 303 },
  "POST /language": {
    anonymous: 303,
    customer: 303,
    "other customer": 303,
    agent: 303,
    admin: 303,
  },

  // The API reference is public documentation.
  "GET /api/docs": { anonymous: 200, customer: 200 },
  "GET /api/docs/": { anonymous: 200 },
  "GET /api/docs/*": { anonymous: 404 },
  "GET /api/docs/json": { anonymous: 200 },
  "GET /api/docs/yaml": { anonymous: 200 },
  "GET /api/docs/static/index.html": { anonymous: 302 },
  "GET /api/docs/static/swagger-initializer.js": { anonymous: 200 },
  "GET /api/v1/openapi.json": ALL_200,
  // The API with a browser session (writes carry X-CSRF-Token); bearer tokens: api-access.test.ts.
  "GET /api/v1/me": { ...API_SIGNED_IN },
  "PATCH /api/v1/me": { ...API_SIGNED_IN, customer: 403, "other customer": 403 },
  "GET /api/v1/teams": { ...API_SIGNED_IN, customer: 403, "other customer": 403 },
  "GET /api/v1/fields": API_SIGNED_IN,
  "GET /api/v1/organisations": { ...API_SIGNED_IN, customer: 403, "other customer": 403 },
  "GET /api/v1/canned-replies": { ...API_SIGNED_IN, customer: 404, "other customer": 404 },
  // Saved views: staff only, customers get 404; ":id" is no view (404 for staff too).
  "GET /api/v1/views": { ...API_SIGNED_IN, customer: 404, "other customer": 404 },
  "POST /api/v1/views": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 201,
    admin: 201,
  },
  "GET /api/v1/views/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "PATCH /api/v1/views/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "DELETE /api/v1/views/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "GET /api/v1/views/:id/tickets": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  // ":cannedId" is no canned reply: 404 for staff too, after the same checks.
  "GET /api/v1/tickets/:id/canned-replies/:cannedId/rendered": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  "GET /api/v1/macros": { ...API_SIGNED_IN, customer: 404, "other customer": 404 },
  "POST /api/v1/macros": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 400,
    admin: 400,
  },
  "GET /api/v1/macros/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "PATCH /api/v1/macros/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "DELETE /api/v1/macros/:id": { anonymous: 401, customer: 404, agent: 404, admin: 404 },
  "GET /api/v1/tickets/:id/macros/:macroId/preview": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  "POST /api/v1/tickets/:id/macros/:macroId": {
    anonymous: 401,
    customer: 404,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // The schema's example body names every change, a macro among them: refused (400) for staff.
  "POST /api/v1/tickets/bulk": {
    anonymous: 401,
    customer: 403,
    "other customer": 403,
    agent: 400,
    admin: 400,
  },
  "GET /api/v1/users": { ...API_SIGNED_IN, customer: 403, "other customer": 403 },
  "POST /api/v1/users": API_ADMIN_WRITE,
  "GET /api/v1/users/:id": { ...API_SIGNED_IN, "other customer": 404 },
  "PATCH /api/v1/users/:id": { ...API_ADMIN_WRITE, admin: 200 },
  "GET /api/v1/tickets": API_SIGNED_IN,
  "POST /api/v1/tickets": {
    ...API_SIGNED_IN,
    customer: 201,
    "other customer": 201,
    agent: 201,
    admin: 201,
  },
  "GET /api/v1/tickets/:id": { ...API_SIGNED_IN, "other customer": 404 },
  "PATCH /api/v1/tickets/:id": { ...API_SIGNED_IN, "other customer": 404 },
  "GET /api/v1/tickets/:id/messages": { ...API_SIGNED_IN, "other customer": 404 },
  "POST /api/v1/tickets/:id/messages": {
    anonymous: 401,
    customer: 201,
    "other customer": 404,
    agent: 201,
    admin: 201,
  },
  "GET /api/v1/tickets/:id/attachments": { ...API_SIGNED_IN, "other customer": 404 },
  // The file of the matrix's ticket (the customer's, uploaded with it): as the page above.
  "GET /api/v1/attachments/:id": { ...API_SIGNED_IN, "other customer": 404 },
  // Takes a raw message/rfc822 body: JSON is refused before anyone's role is looked at.
  "POST /api/v1/inbound/email": { anonymous: 401, customer: 415, agent: 415, admin: 415 },
  "GET /api/v1/tickets/:id/events": { ...API_SIGNED_IN, customer: 403, "other customer": 404 },
  "GET /api/v1/tickets/:id/ccs": { ...API_SIGNED_IN, "other customer": 404 },
  "POST /api/v1/tickets/:id/ccs": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 201,
    admin: 201,
  },
  "GET /api/v1/tickets/:id/tags": { ...API_SIGNED_IN, customer: 403, "other customer": 404 },
  "PUT /api/v1/tickets/:id/tags": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 200,
    admin: 200,
  },
  "POST /api/v1/tickets/:id/tags": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 200,
    admin: 200,
  },
  // Taking off a tag the ticket does not carry changes nothing (204), as on the page.
  "DELETE /api/v1/tickets/:id/tags/:name": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 204,
    admin: 204,
  },
  "GET /api/v1/tickets/:id/links": { ...API_SIGNED_IN, customer: 403, "other customer": 404 },
  // The schema's example links ticket 1 as related: staff may.
  "POST /api/v1/tickets/:id/links": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 201,
    admin: 201,
  },
  "DELETE /api/v1/tickets/:id/links/:linkId": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // The body names no ticket (API_BODIES): 404 for staff, as for a target they cannot see.
  "POST /api/v1/tickets/:id/merge": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  "POST /api/v1/tickets/:id/messages/:messageId/split": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // Webhooks through the API: admins only; ":id" is no endpoint (404 for admins).
  "GET /api/v1/webhooks": { ...API_ADMIN_WRITE, admin: 200 },
  "POST /api/v1/webhooks": { ...API_ADMIN_WRITE, admin: 400 },
  "GET /api/v1/webhooks/:id": { ...API_ADMIN_WRITE, admin: 404 },
  "PATCH /api/v1/webhooks/:id": { ...API_ADMIN_WRITE, admin: 404 },
  "DELETE /api/v1/webhooks/:id": { ...API_ADMIN_WRITE, admin: 404 },
  "POST /api/v1/webhooks/:id/rotate-secret": { ...API_ADMIN_WRITE, admin: 404 },
  "GET /api/v1/webhooks/:id/deliveries": { ...API_ADMIN_WRITE, admin: 404 },
  "GET /api/v1/webhooks/:id/deliveries/:deliveryId": { ...API_ADMIN_WRITE, admin: 404 },
  "POST /api/v1/webhooks/:id/deliveries/:deliveryId/resend": { ...API_ADMIN_WRITE, admin: 404 },
  // Tokens through the API: each person's own; ":id" is the customer's token.
  "GET /api/v1/tokens": API_SIGNED_IN,
  "POST /api/v1/tokens": {
    anonymous: 401,
    customer: 201,
    "other customer": 201,
    agent: 201,
    admin: 201,
  },
  "GET /api/v1/tokens/:id": {
    anonymous: 401,
    customer: 200,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
  // Admins revoke anyone's token; nobody else may revoke the customer's.
  "DELETE /api/v1/tokens/:id": {
    anonymous: 401,
    customer: 204,
    "other customer": 404,
    agent: 404,
    admin: 204,
  },
  // ":address" is no CC of the ticket: 404 for staff, after the same access checks.
  "DELETE /api/v1/tickets/:id/ccs/:address": {
    anonymous: 401,
    customer: 403,
    "other customer": 404,
    agent: 404,
    admin: 404,
  },
};

const FORM_FIELDS: Record<string, Record<string, string>> = {
  "POST /login": { email: "nobody@example.test", password: "wrong password" },
  "POST /signup": { email: "not-an-email", name: "", password: "x" },
  "POST /setup": { email: "a@b.test", name: "A", password: "long enough password" },
  "POST /password/forgot": { email: "not-an-email" },
  "POST /password/reset": { password: "long enough password" },
  "POST /account/password": { currentPassword: "wrong", newPassword: "another long password" },
  "POST /login/two-factor": { code: "123456" },
  "POST /account/two-factor": { code: "000000x" },
  "POST /account/two-factor/recovery-codes": { proof: "wrong" },
  "POST /account/two-factor/disable": { proof: "wrong" },
  "POST /tickets": { title: "From the matrix", description: "hello" },
  "POST /tickets/:id": { status: "solved" },
  "POST /admin/rules/:id/enabled": { enabled: "false" },
  "POST /admin/rules/:id/move": { direction: "up" },
  "POST /tickets/:id/replies": { content: "A reply" },
  "POST /tickets/:id/replies/insert": { content: "A draft" },
  "POST /canned-replies": { title: "", body: "" },
  "POST /canned-replies/:id": { title: "Renamed", body: "Text" },
  "POST /macros": { name: "" },
  "POST /macros/:id": {
    name: "Renamed",
    "actions.0.type": "set_priority",
    "actions.0.value": "low",
  },
  "POST /tickets/:id/ccs": { ccAddress: "matrix-cc@client.example.org" },
  "POST /tickets/:id/ccs/remove": { address: "nobody@client.example.org" },
  "POST /tickets/:id/links": { relation: "related", linkTicketId: "999999" },
  "POST /tickets/:id/links/remove": { linkId: "999999" },
  "POST /tickets/:id/merge": { mergeTicketId: "999999" },
  "POST /tickets/:id/messages/:messageId/split": {},
  "POST /tickets/:id/tags": { tag: "matrix" },
  "POST /tickets/:id/tags/remove": { tag: "not-on-it" },
  "POST /admin/tags/:id/rename": { name: "Renamed" },
  "POST /admin/tags/:id/merge": { into: "other" },
  "POST /admin/users": { email: "bad", name: "", role: "agent", password: "x" },
  "POST /admin/users/:id": { role: "customer" },
  "POST /admin/settings": { signupEnabled: "true" },
  "POST /account/tokens": { name: "From the matrix" },
  "POST /account/notifications": { emailNotifications: "true" },
  "POST /admin/teams": { name: "" },
  "POST /admin/fields": { name: "", label: "", type: "text" },
  "POST /admin/fields/:id": { label: "Renamed" },
  "POST /admin/organisations": { name: "" },
  "POST /admin/organisations/:id": { name: "Renamed" },
  "POST /admin/organisations/:id/members": { email: "nobody@example.test" },
  "POST /admin/teams/:id": { name: "Renamed" },
  "POST /admin/teams/:id/members": { email: "nobody@example.test" },
  "POST /account/away": { away: "false", back: "/desk" },
  // The instance's language and zone (""), English: the matrix's later pages stay as they were.
  "POST /account/language": { locale: "", timeZone: "" },
  "POST /language": { locale: "en", back: "/" },
};
