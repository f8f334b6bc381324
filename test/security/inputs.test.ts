import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import { BODY_LIMIT } from "../../src/app.ts";
import type { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";
import { cookieHeader, visibleText } from "./support.ts";

describeEachDatabase("odd input gets a clear 4xx, never a 500", (world) => {
  test("NUL bytes in queries and forms are refused by name", async () => {
    const { deps } = world();
    const agent = await world().signedIn(await makeAgent(deps));
    const admin = await world().signedIn(await makeAdmin(deps));
    const desk = await agent.get("/desk?requester=%00");
    assert.equal(desk.statusCode, 400);
    assert.match(desk.body, /requester contains characters that are not allowed/);
    assert.equal((await admin.get("/admin/users?q=a%00b")).statusCode, 400);
    const login = await world()
      .browser()
      .post("/login", { email: "a\u0000b@example.test", password: "x" });
    assert.equal(login.statusCode, 400);
  });

  test("a redirect target outside printable ASCII falls back to the default page", async () => {
    const customer = await makeCustomer(world().deps);
    const b = await world().signedIn(customer);
    const response = await b.get("/login?next=/%E2%82%AC");
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, "/tickets");
    const signIn = await world()
      .browser()
      .post("/login", { email: customer.email, password: customer.password, next: "/€" });
    assert.equal(signIn.statusCode, 303);
    assert.equal(signIn.headers.location, "/tickets");
  });

  test("a multipart body that does not match its headers is a 400", async () => {
    const b = await world().signedIn(await makeCustomer(world().deps));
    const token = await b.csrf("/tickets/new");
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const noBoundary = await b.app.inject({
      method: "POST",
      url: "/tickets",
      headers: { cookie, "content-type": "multipart/form-data", "x-csrf-token": token },
      payload: "garbage",
    });
    assert.equal(noBoundary.statusCode, 400);
    const truncated = await b.app.inject({
      method: "POST",
      url: "/tickets",
      headers: {
        cookie,
        "content-type": "multipart/form-data; boundary=XYZ",
        "x-csrf-token": token,
      },
      payload: '--XYZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nhalf a',
    });
    assert.equal(truncated.statusCode, 400);
  });

  test("other content types are 415 and unknown pages 404", async () => {
    const b = await world().signedIn(await makeCustomer(world().deps));
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const xml = await b.app.inject({
      method: "POST",
      url: "/tickets",
      headers: { cookie, "content-type": "application/xml" },
      payload: "<a/>",
    });
    assert.equal(xml.statusCode, 415);
    assert.equal((await b.get("/no/such/page")).statusCode, 404);
    assert.equal((await b.get("/tickets?cursor=%%%")).statusCode, 400);
    assert.equal((await b.get("/?notice=__proto__")).statusCode, 303);
    const proto = await b.get("/tickets?notice=__proto__");
    assert.equal(proto.statusCode, 200);
    assert.doesNotMatch(proto.body, /class="notice"/);
    // Every page that looks a notice up by key: inherited names are not notices.
    const admin = await world().signedIn(await makeAdmin(world().deps));
    for (const url of ["/admin/users", "/account/tokens", "/desk"]) {
      for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
        const response = await admin.get(`${url}?notice=${key}`);
        assert.equal(response.statusCode, 200, `${url}?notice=${key}`);
        assert.doesNotMatch(
          response.body,
          /class="notice"|\[object|function /,
          `${url}?notice=${key}`,
        );
      }
    }
  });

  /** A urlencoded body exactly as given (bytes and all), with a valid token. */
  async function postRaw(b: Browser, url: string, body: Buffer | string, from = "/account") {
    const token = await b.csrf(from);
    return b.app.inject({
      method: "POST",
      url,
      headers: {
        cookie: cookieHeader(b),
        "content-type": "application/x-www-form-urlencoded",
      },
      payload: Buffer.concat([
        Buffer.from(`_csrf=${encodeURIComponent(token)}&`),
        Buffer.from(body),
      ]),
    });
  }

  async function ticketCount(requesterId: number): Promise<number> {
    const rows = await world().deps.db.execute(
      sql`select count(*)::int as n from tickets where requester_id = ${requesterId}`,
    );
    return (rows as unknown as { rows: { n: number }[] }).rows[0]?.n ?? -1;
  }

  test("SQL metacharacters are data: stored, shown and searched verbatim", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps, { name: "O'Brien \\ %_ \"; --" });
    const b = await world().signedIn(user);
    const agent = await world().signedIn(await makeAgent(deps));
    const admin = await world().signedIn(await makeAdmin(deps));
    const title = "'); DROP TABLE tickets; -- \" OR 1=1 -- %_\\ $1 $" + "{x}";
    const created = await b.post(
      "/tickets",
      { title, description: "x' OR '1'='1" },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(created.statusCode, 303);
    const page = await b.get(String(created.headers.location));
    assert.ok(visibleText(page.body).includes(title), "the title comes back exactly");
    for (const probe of ["' OR '1'='1", "%", "_", "\\", "%' --"]) {
      const desk = await agent.get(`/desk?requester=${encodeURIComponent(probe)}`);
      assert.equal(desk.statusCode, 200, probe);
      assert.match(visibleText(desk.body), /matches no account/, probe);
    }
    // LIKE wildcards match themselves only: "%" finds the one name with a "%" in it.
    const search = await admin.get(`/admin/users?q=${encodeURIComponent("%_")}`);
    assert.equal(search.statusCode, 200);
    assert.equal((search.body.match(/<th scope="row"/g) ?? []).length, 1);
    assert.equal(await ticketCount(user.id), 1);
  });

  test("overlong input is refused by name and saves nothing", async () => {
    const user = await makeCustomer(world().deps);
    const b = await world().signedIn(user);
    const long = await b.post(
      "/tickets",
      { title: "t".repeat(10_000), description: "d" },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(long.statusCode, 422);
    assert.match(visibleText(long.body), /at most 200/);
    const huge = await b.post(
      "/tickets",
      { title: "t", description: "d".repeat(70_000) },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(huge.statusCode, 422);
    const anon = world().browser();
    const login = await anon.post("/login", {
      email: `${"a".repeat(100_000)}@x.test`,
      password: "p".repeat(100_000),
    });
    assert.equal(login.statusCode, 401);
    const signup = await anon.post("/signup", {
      email: "ok@example.test",
      name: "n".repeat(5000),
      password: "long enough password",
    });
    assert.equal(signup.statusCode, 422);
    for (const url of [
      `/tickets/${"9".repeat(30)}`,
      "/tickets/1e3",
      "/tickets/-1",
      "/tickets/0x10",
      `/tickets/${"9".repeat(200)}`,
    ]) {
      const response = await b.get(url);
      assert.ok([400, 404].includes(response.statusCode), `${url}: ${response.statusCode}`);
    }
    assert.equal(await ticketCount(user.id), 0);
  });

  test("invalid UTF-8 in a form is a 400 that says so, and saves nothing", async () => {
    const user = await makeCustomer(world().deps);
    const b = await world().signedIn(user);
    const bodies: [string, Buffer | string][] = [
      [
        "raw bytes",
        Buffer.concat([
          Buffer.from("title="),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
          Buffer.from("&description=x"),
        ]),
      ],
      ["a percent-escaped lone byte", "title=%FF&description=x"],
      ["an escaped surrogate", "title=%ED%A0%80&description=x"],
      ["an overlong encoding", "title=%C0%AF&description=x"],
      ["a broken escape", "title=%E2%82&description=x"],
    ];
    for (const [what, body] of bodies) {
      const response = await postRaw(b, "/tickets", body, "/tickets/new");
      assert.equal(response.statusCode, 400, what);
      assert.match(visibleText(response.body), /not sent as valid UTF-8/, what);
    }
    // Real UTF-8, escaped as browsers send it, is fine.
    const ok = await postRaw(
      b,
      "/tickets",
      `title=${encodeURIComponent("Grüße 👋 ﬀ \uFFFD")}&description=x`,
      "/tickets/new",
    );
    assert.equal(ok.statusCode, 303);
    assert.equal(await ticketCount(user.id), 1);
  });

  test("NUL bytes in multipart fields and file names", async () => {
    const user = await makeCustomer(world().deps);
    const b = await world().signedIn(user);
    const nulField = await b.postMultipart(
      "/tickets",
      { title: "a\u0000b", description: "x" },
      [],
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(nulField.statusCode, 400);
    assert.match(visibleText(nulField.body), /title contains characters that are not allowed/);
    const nulName = await b.postMultipart(
      "/tickets",
      { title: "file", description: "x" },
      [{ field: "attachments", filename: "a\u0000b.txt", content: "x" }],
      { csrfFrom: "/tickets/new" },
    );
    assert.ok(nulName.statusCode < 500, `file name with NUL: ${nulName.statusCode}`);
  });

  test("huge bodies are a 413 that says so, JSON to a page is a 415", async () => {
    const b = await world().signedIn(await makeCustomer(world().deps));
    const huge = await postRaw(
      b,
      "/tickets",
      `title=t&description=${"x".repeat(BODY_LIMIT + 10)}`,
      "/tickets/new",
    );
    assert.equal(huge.statusCode, 413);
    assert.match(visibleText(huge.body), /larger than this server accepts/);
    const nested = `{"a":${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
    const json = await b.app.inject({
      method: "POST",
      url: "/tickets",
      headers: {
        cookie: cookieHeader(b),
        "content-type": "application/json",
        "x-csrf-token": await b.csrf("/tickets/new"),
      },
      payload: nested,
    });
    assert.equal(json.statusCode, 415);
  });

  test("next= after sign-in only ever leads to a page of this site", async () => {
    const user = await makeCustomer(world().deps);
    const base = "https://tessera.example.test";
    const attacks = [
      "//evil.test",
      "///evil.test",
      "////evil.test/",
      "https://evil.test",
      "http:evil.test",
      "/\\evil.test",
      "\\/evil.test",
      "/\\/evil.test",
      "/%2F/evil.test",
      "/%5Cevil.test",
      "%2F%2Fevil.test",
      "/\t/evil.test",
      "/\n/evil.test",
      " //evil.test",
      "javascript:alert(1)",
      "/javascript:alert(1)",
      "data:text/html,x",
      "//evil.test@tessera.example.test",
      "/@evil.test",
      "/.//evil.test",
      "https:/\\evil.test",
    ];
    const signedIn = await world().signedIn(user);
    const failures: string[] = [];
    for (const next of attacks) {
      const check = (how: string, location: string) => {
        const target = new URL(location, base);
        if (target.origin !== base || !location.startsWith("/") || location.startsWith("//"))
          failures.push(`${how} ${JSON.stringify(next)} -> ${location}`);
      };
      const visit = await signedIn.get(`/login?next=${encodeURIComponent(next)}`);
      check("signed-in visit", String(visit.headers.location));
      const post = await world()
        .browser()
        .post("/login", { email: user.email, password: user.password, next });
      assert.equal(post.statusCode, 303);
      check("sign-in", String(post.headers.location));
    }
    assert.deepEqual(failures, []);
    // A local path survives, with its query.
    const ok = await world()
      .browser()
      .post("/login", { email: user.email, password: user.password, next: "/tickets/new?x=1" });
    assert.equal(ok.headers.location, "/tickets/new?x=1");
  });

  test("the email admin page does not take inherited names for notices", async () => {
    const admin = await world().signedIn(await makeAdmin(world().deps));
    for (const key of ["__proto__", "constructor", "toString"]) {
      const response = await admin.get(`/admin/email?notice=${key}`);
      assert.equal(response.statusCode, 200);
      assert.doesNotMatch(response.body, /class="notice"/, key);
    }
  });
});
