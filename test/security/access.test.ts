import assert from "node:assert/strict";
import { test } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";

/** Every "METHOD /path" the app serves, read from Fastify's route tree. */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^([\s│├└─]*)(\S.*?) \(([^)]+)\)$/.exec(line);
    if (!match?.[2] || match[3] === undefined) continue;
    const depth = Math.round((match[1] ?? "").length / 4);
    const segment = match[2];
    const parent = stack[depth - 1] ?? "";
    const path =
      depth === 0
        ? segment
        : segment.startsWith("/")
          ? parent + segment
          : `${parent.replace(/\/$/, "")}/${segment}`;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of match[3].split(", ")) {
      if (method !== "HEAD" && path !== "/*") routes.push(`${method} ${path}`);
    }
  }
  return routes.sort();
}

type Who = "anonymous" | "customer" | "other customer" | "agent" | "admin";

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
      agent: await makeAgent(deps),
      admin: await makeAdmin(deps),
    };
    const browsers: Record<Who, Browser> = {
      anonymous: world().browser(),
      customer: await world().signedIn(people.customer),
      "other customer": await world().signedIn(people["other customer"]),
      agent: await world().signedIn(people.agent),
      admin: await world().signedIn(people.admin),
    };
    const ticketPage = await browsers.customer.postMultipart(
      "/tickets",
      { title: "Access matrix", description: "with a file" },
      [{ field: "attachments", filename: "a.txt", content: "hello", type: "text/plain" }],
      { csrfFrom: "/tickets/new" },
    );
    const ticketId = Number(/\/tickets\/(\d+)/.exec(String(ticketPage.headers.location))?.[1]);
    const page = await browsers.customer.get(`/tickets/${ticketId}`);
    const attachmentId = Number(/\/attachments\/(\d+)/.exec(page.body)?.[1]);
    assert.ok(ticketId > 0 && attachmentId > 0);
    const target = await makeCustomer(deps);

    const failures: string[] = [];
    for (const [route, expectations] of Object.entries(MATRIX)) {
      for (const [who, expected] of Object.entries(expectations) as [Who, number][]) {
        // Fresh state for writes: a new ticket for each state-changing ticket check.
        const fresh = route.startsWith("POST /tickets/:id")
          ? (await makeTicket(deps, owner)).id
          : ticketId;
        const [method, pattern] = route.split(" ") as [string, string];
        const url = (pattern ?? "").replace(
          ":id",
          String(
            pattern?.startsWith("/attachments")
              ? attachmentId
              : pattern?.startsWith("/admin")
                ? target.id
                : fresh,
          ),
        );
        const browser = browsers[who];
        const response =
          method === "GET"
            ? await browser.get(url)
            : await browser.post(url, FORM_FIELDS[route] ?? {}, {
                csrfFrom: who === "anonymous" ? "/login" : "/account",
              });
        if (response.statusCode !== expected)
          failures.push(`${route} as ${who}: ${response.statusCode}, expected ${expected}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});

// Expected status per role. 303 = success with redirect (or sign-in redirect for
// anonymous GETs), 200 = page shown, 401 = must sign in, 403 = role may not,
// 404 = not theirs (never revealed). Setup needs its one-time token (404 without).
const ALL_200: Record<Who, number> = {
  anonymous: 200,
  customer: 200,
  "other customer": 200,
  agent: 200,
  admin: 200,
};
const SIGNED_IN_PAGE: Record<Who, number> = {
  anonymous: 303,
  customer: 200,
  "other customer": 200,
  agent: 200,
  admin: 200,
};
const STAFF_PAGE: Record<Who, number> = {
  anonymous: 303,
  customer: 403,
  "other customer": 403,
  agent: 200,
  admin: 200,
};
const ADMIN_PAGE: Record<Who, number> = {
  anonymous: 303,
  customer: 403,
  "other customer": 403,
  agent: 403,
  admin: 200,
};
const ADMIN_POST: Record<Who, number> = {
  anonymous: 401,
  customer: 403,
  "other customer": 403,
  agent: 403,
  admin: 303,
};

const MATRIX: Record<string, Partial<Record<Who, number>>> = {
  "GET /": { anonymous: 303, customer: 303, agent: 303 },
  "GET /healthz": ALL_200,

  "GET /login": { anonymous: 200, customer: 303 },
  "POST /login": { anonymous: 401 },
  "POST /logout": { anonymous: 303 },
  "GET /signup": { anonymous: 200, customer: 303 },
  "POST /signup": { anonymous: 422 },
  "GET /setup": { anonymous: 404, customer: 404, admin: 404 },
  "POST /setup": { anonymous: 404, admin: 404 },
  "GET /account": SIGNED_IN_PAGE,
  "POST /account/password": { anonymous: 401, customer: 422, agent: 422 },
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
  "GET /attachments/:id": {
    anonymous: 303,
    customer: 200,
    "other customer": 404,
    agent: 200,
    admin: 200,
  },
  "GET /desk": STAFF_PAGE,
  "GET /admin/users": ADMIN_PAGE,
  "GET /admin/users/new": ADMIN_PAGE,
  "POST /admin/users": { ...ADMIN_POST, admin: 422 },
  "POST /admin/users/:id": ADMIN_POST,
  "POST /admin/settings": ADMIN_POST,
};

const FORM_FIELDS: Record<string, Record<string, string>> = {
  "POST /login": { email: "nobody@example.test", password: "wrong password" },
  "POST /signup": { email: "not-an-email", name: "", password: "x" },
  "POST /setup": { email: "a@b.test", name: "A", password: "long enough password" },
  "POST /account/password": { currentPassword: "wrong", newPassword: "another long password" },
  "POST /tickets": { title: "From the matrix", description: "hello" },
  "POST /tickets/:id": { status: "solved" },
  "POST /tickets/:id/replies": { content: "A reply" },
  "POST /admin/users": { email: "bad", name: "", role: "agent", password: "x" },
  "POST /admin/users/:id": { role: "customer" },
  "POST /admin/settings": { signupEnabled: "true" },
};
