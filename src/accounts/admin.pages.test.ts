import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import type { Browser } from "../../test/helpers/browser.ts";
import {
  makeAdmin,
  makeAgent,
  makeCustomer,
  PASSWORD,
  type TestUser,
} from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { users } from "../db/schema/index.ts";
import { getInstanceSettings } from "../settings/settings.service.ts";
import { findUserByEmail, findUserById } from "./accounts.repo.ts";
import { createUser, startSession } from "./accounts.service.ts";

const NO_MATCH = "That email and password do not match an active account.";

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@example.test`;
}

function tag(): string {
  return `tag${randomBytes(4).toString("hex")}`;
}

/**
 * A browser holding a fresh session for `user`. Sign-in itself is tested in
 * accounts.pages.test.ts; going through /login here would spend the per-address
 * sign-in allowance that every test of this file shares.
 */
async function sessionBrowser(world: World, user: TestUser): Promise<Browser> {
  const browser = world.browser();
  browser.cookies.set("tessera_session", await startSession(world.deps, user.id, {}));
  return browser;
}

/** The table rows of the users list. */
function rows(body: string): string[] {
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(body)?.[1] ?? "";
  return tbody.split("<tr>").slice(1);
}

/** The users-list row showing `email`. */
function rowFor(body: string, email: string): string {
  const row = rows(body).find((r) => r.includes(`<td>${email}</td>`));
  assert.ok(row, `a row for ${email}`);
  return row;
}

function selectedRole(row: string): string | undefined {
  return /<option value="(\w+)" selected/.exec(row)?.[1];
}

function unescapeHref(href: string): string {
  return href.replaceAll("&amp;", "&");
}

describeEachDatabase("admin pages", (world) => {
  test("anonymous visitors are sent to sign in, and their posts are refused", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const b = world().browser();
    for (const path of ["/admin/users", "/admin/users/new", "/admin/users?role=agent"]) {
      const response = await b.get(path);
      assert.equal(response.statusCode, 303, path);
      assert.equal(response.headers.location, `/login?next=${encodeURIComponent(path)}`);
    }
    const posts: [string, Record<string, string>][] = [
      ["/admin/users", { email: unique("anon"), name: "Anon", role: "admin", password: PASSWORD }],
      [`/admin/users/${customer.id}`, { role: "admin" }],
      ["/admin/settings", {}],
    ];
    for (const [path, fields] of posts) {
      assert.equal((await b.post(path, fields)).statusCode, 401, path);
    }
    assert.equal((await findUserById(deps.db, customer.id))?.role, "customer");
    assert.equal((await getInstanceSettings(deps.db)).signupEnabled, true);
  });

  test("customers and agents get 403 on every admin page and change nothing", async () => {
    const { deps } = world();
    for (const user of [await makeCustomer(deps), await makeAgent(deps)]) {
      const b = await sessionBrowser(world(), user);
      for (const path of ["/admin/users", "/admin/users/new"]) {
        assert.equal((await b.get(path)).statusCode, 403, `${user.role} GET ${path}`);
      }
      const email = unique("sneaky");
      const create = await b.post("/admin/users", {
        email,
        name: "Sneaky",
        role: "admin",
        password: PASSWORD,
      });
      assert.equal(create.statusCode, 403, `${user.role} creates a user`);
      assert.equal(await findUserByEmail(deps.db, email), undefined);

      const promote = await b.post(`/admin/users/${user.id}`, { role: "admin" });
      assert.equal(promote.statusCode, 403, `${user.role} promotes themselves`);
      assert.equal((await findUserById(deps.db, user.id))?.role, user.role);

      const settings = await b.post("/admin/settings", {});
      assert.equal(settings.statusCode, 403, `${user.role} changes settings`);
      assert.equal((await getInstanceSettings(deps.db)).signupEnabled, true);
    }
  });

  test("an admin gets every admin page", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const b = await sessionBrowser(world(), admin);
    const list = await b.get("/admin/users");
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /<h1>Users<\/h1>/);
    assert.match(list.body, /<a href="\/admin\/users" aria-current="page">Users<\/a>/);
    const form = await b.get("/admin/users/new");
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1>Create user<\/h1>/);
    const create = await b.post("/admin/users", {
      email: unique("ok"),
      name: "Okay",
      role: "customer",
      password: PASSWORD,
    });
    assert.equal(create.statusCode, 303);
    assert.equal(
      (await b.post(`/admin/users/${customer.id}`, { role: "customer" })).statusCode,
      303,
    );
    assert.equal((await b.post("/admin/settings", { signupEnabled: "true" })).statusCode, 303);
  });

  test("an admin creates an agent, who can then sign in to the desk", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const b = await sessionBrowser(world(), admin);
    const email = unique("new-agent");
    const password = "agent's own password";
    const response = await b.post("/admin/users", {
      email,
      name: "Nia Agent",
      role: "agent",
      password,
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, "/admin/users?notice=user-created");

    const list = await b.get("/admin/users?notice=user-created");
    assert.match(list.body, /User created\./);
    const row = rowFor(list.body, email);
    assert.match(row, /Nia Agent/);
    assert.equal(selectedRole(row), "agent");
    assert.match(row, /<td>Active<\/td>/);
    assert.match(row, /<time datetime="\d{4}-\d{2}-\d{2}T[^"]+">\d{4}-\d{2}-\d{2}<\/time>/);

    const agentBrowser = world().browser();
    const signIn = await agentBrowser.signIn(email, password);
    assert.equal(signIn.headers.location, "/desk");
  });

  test("creating a user with bad input re-renders the form with errors and the values kept", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const b = await sessionBrowser(world(), admin);
    const response = await b.post("/admin/users", {
      email: "not an email",
      name: "",
      role: "agent",
      password: "short77",
    });
    assert.equal(response.statusCode, 422);
    assert.match(response.body, /Name is required/);
    assert.match(response.body, /Email must be an email address/);
    assert.match(response.body, /Password must be at least 8 characters/);
    assert.match(response.body, /name="email" value="not an email"/);
    assert.match(response.body, /<option value="agent" selected/);
    assert.doesNotMatch(response.body, /short77/);

    const badRole = await b.post("/admin/users", {
      email: unique("role"),
      name: "Role",
      role: "superuser",
      password: PASSWORD,
    });
    assert.equal(badRole.statusCode, 422);
    assert.match(badRole.body, /Role must be one of: customer, agent, admin/);
  });

  test("creating a user whose email is taken, in any case, shows the error on the email field", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const existing = await makeCustomer(deps, { email: unique("exists") });
    const b = await sessionBrowser(world(), admin);
    const response = await b.post("/admin/users", {
      email: existing.email.toUpperCase(),
      name: "Copy",
      role: "agent",
      password: PASSWORD,
    });
    assert.equal(response.statusCode, 422);
    assert.match(
      response.body,
      /<p class="error" id="field-email-error">Email already has an account<\/p>/,
    );
    assert.match(response.body, /name="name" value="Copy"/);
    assert.equal((await findUserByEmail(deps.db, existing.email))?.role, "customer");
  });

  test("the users list filters by role and by a fragment of the name or email", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const t = tag();
    const customer = await makeCustomer(deps, { name: `Cora ${t}` });
    const agent = await makeAgent(deps, { name: `Aldo ${t}` });
    const other = await makeAgent(deps, { name: "Somebody Else" });
    const b = await sessionBrowser(world(), admin);

    const byName = await b.get(`/admin/users?q=${t}`);
    assert.equal(byName.statusCode, 200);
    assert.deepEqual(
      rows(byName.body).map((r) => /<td>([^<]+)<\/td>/.exec(r)?.[1]),
      [customer.email, agent.email],
    );
    assert.match(byName.body, new RegExp(`name="q" value="${t}"`));

    const agentsOnly = await b.get(`/admin/users?q=${t}&role=agent`);
    assert.equal(rows(agentsOnly.body).length, 1);
    rowFor(agentsOnly.body, agent.email);
    assert.match(agentsOnly.body, /<option value="agent" selected/);

    const byEmail = await b.get(`/admin/users?q=${encodeURIComponent(other.email.toUpperCase())}`);
    assert.equal(rows(byEmail.body).length, 1);
    rowFor(byEmail.body, other.email);

    const none = await b.get(`/admin/users?q=${t}&role=admin`);
    assert.equal(rows(none.body).length, 0);
    assert.match(none.body, /No users match these filters\./);

    // LIKE wildcards in the fragment match only themselves.
    assert.equal(rows((await b.get("/admin/users?q=%25%25%25")).body).length, 0);
  });

  test("the users list shows 50 a page, with a Next page link that keeps the filters", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const t = tag();
    const emails: string[] = [];
    for (let i = 0; i < 53; i++) {
      const user = await createUser(deps, "system", {
        email: unique(`page${i}`),
        name: `Paged ${t} ${i}`,
        role: "customer",
      });
      emails.push(user.email);
    }
    const b = await sessionBrowser(world(), admin);
    const first = await b.get(`/admin/users?q=${t}&role=customer`);
    const firstRows = rows(first.body);
    assert.equal(firstRows.length, 50);
    assert.ok(firstRows[0]?.includes(emails[0] ?? "-"), "ordered oldest first");
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.body)?.[1];
    assert.ok(next, "a Next page link");
    const nextUrl = new URL(unescapeHref(next), "http://x");
    assert.equal(nextUrl.pathname, "/admin/users");
    assert.equal(nextUrl.searchParams.get("q"), t);
    assert.equal(nextUrl.searchParams.get("role"), "customer");
    assert.match(nextUrl.searchParams.get("after") ?? "", /^\d+$/);

    const second = await b.get(unescapeHref(next));
    assert.equal(second.statusCode, 200);
    assert.deepEqual(
      rows(second.body).map((r) => /<td>([^<]+)<\/td>/.exec(r)?.[1]),
      emails.slice(50),
    );
    assert.doesNotMatch(second.body, /Next page/);

    assert.equal((await b.get("/admin/users?after=banana")).statusCode, 400);
  });

  test("an admin changes a user's role, and it applies to the user's open session", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const user = await makeCustomer(deps);
    const adminBrowser = await sessionBrowser(world(), admin);
    const userBrowser = await sessionBrowser(world(), user);

    const toAgent = await adminBrowser.post(`/admin/users/${user.id}`, { role: "agent" });
    assert.equal(toAgent.statusCode, 303);
    assert.equal(toAgent.headers.location, "/admin/users?notice=user-updated");
    assert.equal((await findUserById(deps.db, user.id))?.role, "agent");
    const list = await adminBrowser.get(`/admin/users?q=${encodeURIComponent(user.email)}`);
    assert.equal(selectedRole(rowFor(list.body, user.email)), "agent");
    assert.equal((await userBrowser.get("/admin/users")).statusCode, 403);

    await adminBrowser.post(`/admin/users/${user.id}`, { role: "admin" });
    assert.equal((await userBrowser.get("/admin/users")).statusCode, 200);
  });

  test("a change returns to the same filtered list, and only to the users list", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const user = await makeCustomer(deps);
    const b = await sessionBrowser(world(), admin);
    const kept = await b.post(`/admin/users/${user.id}`, {
      role: "agent",
      back: "role=customer&q=abc&after=7",
    });
    assert.equal(
      kept.headers.location,
      "/admin/users?role=customer&q=abc&after=7&notice=user-updated",
    );
    const elsewhere = await b.post(`/admin/users/${user.id}`, {
      role: "customer",
      back: "https://evil.example/?next=//evil.example",
    });
    assert.equal(elsewhere.headers.location, "/admin/users?notice=user-updated");
  });

  test("a refused change re-renders the list with a message; an unknown user is 404", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const user = await makeCustomer(deps);
    const b = await sessionBrowser(world(), admin);
    const badRole = await b.post(`/admin/users/${user.id}`, { role: "overlord" });
    assert.equal(badRole.statusCode, 422);
    assert.match(badRole.body, /Role must be one of: customer, agent, admin\./);
    assert.match(badRole.body, /<h1>Users<\/h1>/);
    const badFlag = await b.post(`/admin/users/${user.id}`, { disabled: "maybe" });
    assert.equal(badFlag.statusCode, 422);
    assert.match(badFlag.body, /That change was not saved: Status must be one of: true, false\./);
    const after = await findUserById(deps.db, user.id);
    assert.equal(after?.role, "customer");
    assert.equal(after?.disabled, false);

    assert.equal((await b.post("/admin/users/2000000000", { role: "agent" })).statusCode, 404);
    assert.equal((await b.post("/admin/users/abc", { role: "agent" })).statusCode, 404);
  });

  test("disabling a customer signs them out at once and keeps them out until enabled", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const adminBrowser = await sessionBrowser(world(), admin);
    const customerBrowser = await world().signedIn(customer);
    assert.equal((await customerBrowser.get("/account")).statusCode, 200);

    const disable = await adminBrowser.post(`/admin/users/${customer.id}`, { disabled: "true" });
    assert.equal(disable.statusCode, 303);
    const list = await adminBrowser.get(`/admin/users?q=${encodeURIComponent(customer.email)}`);
    const row = rowFor(list.body, customer.email);
    assert.match(row, /<td>Disabled<\/td>/);
    assert.match(row, /name="disabled" value="false"/);
    assert.match(row, /Enable<span class="visually-hidden">/);

    const next = await customerBrowser.get("/account");
    assert.equal(next.statusCode, 303);
    assert.equal(next.headers.location, "/login?next=%2Faccount");

    const again = await world().browser().post("/login", {
      email: customer.email,
      password: customer.password,
    });
    assert.equal(again.statusCode, 401);
    assert.match(again.body, new RegExp(NO_MATCH));

    const enable = await adminBrowser.post(`/admin/users/${customer.id}`, { disabled: "false" });
    assert.equal(enable.statusCode, 303);
    await world().browser().signIn(customer.email, customer.password);
  });

  test("the sign-up switch turns customer sign-up off and on", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const b = await sessionBrowser(world(), admin);
    try {
      const off = await b.post("/admin/settings", {});
      assert.equal(off.statusCode, 303);
      assert.equal(off.headers.location, "/admin/users?notice=settings-saved");
      const page = await b.get("/admin/users?notice=settings-saved");
      assert.match(page.body, /Settings saved\./);
      assert.match(
        page.body,
        /<input id="field-signupEnabled" type="checkbox" name="signupEnabled" value="true"\/>/,
      );

      const visitor = world().browser();
      const signupPage = await visitor.get("/signup");
      assert.equal(signupPage.statusCode, 200);
      assert.match(signupPage.body, /Sign-up is switched off here/);
      assert.doesNotMatch(signupPage.body, /action="\/signup"/);
      const email = unique("refused");
      const refused = await visitor.post("/signup", { email, name: "Late", password: PASSWORD });
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /Sign-up is switched off here/);
      assert.equal(await findUserByEmail(deps.db, email), undefined);
      const refusedInvalid = await visitor.post("/signup", { email: "x", name: "", password: "" });
      assert.equal(refusedInvalid.statusCode, 403, "refused before the input is looked at");

      const on = await b.post("/admin/settings", { signupEnabled: "true" });
      assert.equal(on.statusCode, 303);
      assert.match((await b.get("/admin/users")).body, /name="signupEnabled" value="true" checked/);
      assert.match((await visitor.get("/signup")).body, /action="\/signup"/);
      const welcome = await visitor.post("/signup", { email, name: "Early", password: PASSWORD });
      assert.equal(welcome.statusCode, 200);
      assert.match(welcome.body, /Check your inbox/);
    } finally {
      await b.post("/admin/settings", { signupEnabled: "true" });
    }
  });

  test("names containing markup are shown escaped in the users list", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const t = tag();
    const evil = await makeCustomer(deps, { name: `<script>alert(1)</script> ${t}` });
    const b = await sessionBrowser(world(), admin);
    const list = await b.get(`/admin/users?q=${t}`);
    assert.equal(list.statusCode, 200);
    assert.doesNotMatch(list.body, /<script>alert\(1\)/);
    assert.match(rowFor(list.body, evil.email), /&lt;script>alert\(1\)&lt;\/script>/);

    const search = await b.get(
      `/admin/users?q=${encodeURIComponent('"><script>alert(2)</script>')}`,
    );
    assert.equal(search.statusCode, 200);
    assert.doesNotMatch(search.body, /<script>alert\(2\)/);
    assert.match(search.body, /value="&quot;>&lt;script>alert\(2\)&lt;\/script>"/);
  });
});

// A database of its own: "last admin" depends on every admin that exists.
describeEachDatabase("admin pages: the last active admin", (world) => {
  test("the last active admin cannot demote or disable themselves; the list says why", async () => {
    const { deps } = world();
    const only = await makeAdmin(deps);
    const b = await sessionBrowser(world(), only);
    const changes: Record<string, string>[] = [{ role: "agent" }, { disabled: "true" }];
    for (const change of changes) {
      const response = await b.post(`/admin/users/${only.id}`, change);
      assert.equal(response.statusCode, 409, JSON.stringify(change));
      assert.match(response.body, /This is the last active admin; make another admin first\./);
      assert.match(response.body, /<h1>Users<\/h1>/);
    }
    const still = await findUserById(deps.db, only.id);
    assert.equal(still?.role, "admin");
    assert.equal(still?.disabled, false);
    assert.equal((await b.get("/admin/users")).statusCode, 200);

    // Once there is another admin, stepping down works and leads home.
    await makeAdmin(deps);
    const stepDown = await b.post(`/admin/users/${only.id}`, { role: "agent" });
    assert.equal(stepDown.statusCode, 303);
    assert.equal(stepDown.headers.location, "/");
    assert.equal((await b.get("/admin/users")).statusCode, 403);
  });
});

// A database of its own: the one admin here is the last active one.
describeEachDatabase("admin pages: refusals in the reader's language", (world) => {
  test("a German admin's bad input is refused in whole German sentences; the API keeps its English", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    await deps.db.update(users).set({ locale: "de" }).where(eq(users.id, admin.id));
    const customer = await makeCustomer(deps);
    const b = await sessionBrowser(world(), admin);
    const shows = (body: string, sentence: string) =>
      assert.ok(decodeEntities(body).includes(sentence), `${sentence} in ${body}`);

    const badFlag = await b.post(`/admin/users/${customer.id}`, { disabled: "vielleicht" });
    assert.equal(badFlag.statusCode, 422);
    shows(
      badFlag.body,
      "<p>Diese Änderung wurde nicht gespeichert: Status muss einer dieser Werte sein: true, false.</p>",
    );
    const badRole = await b.post(`/admin/users/${customer.id}`, { role: "overlord" });
    assert.equal(badRole.statusCode, 422);
    shows(
      badRole.body,
      "<p>Diese Änderung wurde nicht gespeichert: Rolle muss einer dieser Werte sein: customer, agent, admin.</p>",
    );

    const badPage = await b.get("/admin/users?after=abc");
    assert.equal(badPage.statusCode, 400);
    shows(
      badPage.body,
      "<p>Einige Felder müssen korrigiert werden. Seitenlink ist keine Seite dieser Liste.</p>",
    );

    const badAway = await b.post("/account/away", { away: "vielleicht", back: "/admin/users" });
    assert.equal(badAway.statusCode, 400);
    shows(
      badAway.body,
      "<p>Einige Felder müssen korrigiert werden. Abwesend muss einer dieser Werte sein: true, false.</p>",
    );

    const withNul = await b.post(
      "/admin/users",
      { email: unique("nul"), name: "Ada\u0000", role: "agent", password: PASSWORD },
      { csrfFrom: "/admin/users/new" },
    );
    assert.equal(withNul.statusCode, 400);
    shows(
      withNul.body,
      "<p>Einige Felder müssen korrigiert werden. Name enthält unzulässige Zeichen.</p>",
    );

    const lastAdmin = await b.post(`/admin/users/${admin.id}`, { role: "agent" });
    assert.equal(lastAdmin.statusCode, 409);
    shows(
      lastAdmin.body,
      "<p>Dies ist der letzte aktive Administrator; machen Sie zuerst jemand anderen zum Administrator.</p>",
    );

    const twoFactor = await b.post("/admin/settings", {
      signupEnabled: "true",
      requireStaffTwoFactor: "true",
    });
    assert.equal(twoFactor.statusCode, 409);
    shows(
      twoFactor.body,
      "<p>Schalten Sie die Zwei-Faktor-Anmeldung zuerst für Ihr eigenes Konto ein, bevor Sie sie von Mitarbeitenden verlangen.</p>",
    );
    for (const page of [badFlag, badRole, badPage, badAway, withNul, lastAdmin, twoFactor]) {
      assert.doesNotMatch(
        page.body,
        /must be|is not a page|characters that are not allowed|last active admin|Turn on two-factor/,
      );
    }

    // The API answers a German client in its own English.
    const api = await apiAs(world(), admin);
    const de = { "accept-language": "de" };
    const conflict = await api.patch(`/users/${admin.id}`, { disabled: true }, de);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.detail, "This is the last active admin; make another admin first.");
    const nul = await api.get(`/users?q=${encodeURIComponent("Ada\u0000")}`, de);
    assert.equal(nul.status, 400);
    assert.deepEqual(nul.body.errors, [
      { field: "q", message: "contains characters that are not allowed" },
    ]);
  });
});
