import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { scaled } from "../helpers/time.ts";
import { api, createStore, type Store, seedAccounts, startServer, Visitor } from "./server.ts";

/**
 * The real server's log stream (JSON lines on stdout, as collectors read it)
 * while someone signs in, opens a ticket through a form and through the API
 * with a bearer token: every line is JSON, every line written while serving a
 * request carries its id, and no password, token, cookie or message body
 * appears anywhere in it.
 */

let store: Store | undefined;
after(async () => {
  await store?.remove();
});

test("logs are JSON lines with a request id on each request line and no secrets", {
  timeout: scaled(300_000),
}, async () => {
  store = await createStore("pglite");
  const [account] = await seedAccounts(store, 1);
  assert.ok(account);
  const server = await startServer(store, { LOG_LEVEL: "info" });
  const secrets = new Map<string, string>([
    ["password", account.password],
    ["bearer token", account.token],
  ]);
  let exit: Awaited<ReturnType<typeof server.stop>>;
  try {
    const visitor = new Visitor();
    await visitor.get(server, "/login");
    const signIn = await visitor.post(server, "/login", {
      email: account.email,
      password: account.password,
    });
    assert.equal(signIn.status, 303);
    // A wrong password too: the refusal is logged, the password is not.
    const wrong = `wrong-${randomBytes(8).toString("hex")}`;
    secrets.set("wrong password", wrong);
    const other = new Visitor();
    await other.get(server, "/login");
    assert.equal(
      (await other.post(server, "/login", { email: account.email, password: wrong })).status,
      401,
    );

    await visitor.get(server, "/tickets/new");
    secrets.set("CSRF token", visitor.csrf);
    const formBody = `Form body ${randomBytes(8).toString("hex")}`;
    secrets.set("form message body", formBody);
    const posted = await visitor.post(server, "/tickets", {
      title: "Logged title",
      description: formBody,
      priority: "normal",
    });
    assert.equal(posted.status, 303);
    const reply = `Form reply ${randomBytes(8).toString("hex")}`;
    secrets.set("form reply body", reply);
    const ticketPath = posted.location.split("?")[0] ?? "";
    await visitor.get(server, ticketPath);
    assert.equal(
      (await visitor.post(server, `${ticketPath}/replies`, { content: reply })).status,
      303,
    );
    for (const [name, value] of visitor.cookieValues()) secrets.set(`cookie ${name}`, value);

    const apiBody = `API body ${randomBytes(8).toString("hex")}`;
    secrets.set("API message body", apiBody);
    const created = await api(server, account.token, "POST", "/tickets", {
      title: "Logged API title",
      description: apiBody,
    });
    assert.equal(created.status, 201);
    assert.equal((await api(server, account.token, "GET", "/me")).status, 200);
    // A refused request with a body: the body stays out of the log.
    const refusedBody = `Refused body ${randomBytes(8).toString("hex")}`;
    secrets.set("refused body", refusedBody);
    assert.equal(
      (
        await api(server, account.token, "POST", "/tickets", {
          title: "",
          description: refusedBody,
        })
      ).status,
      400,
    );
    // Credentials in a query string are redacted from the logged URL.
    const setupToken = `setup-${randomBytes(8).toString("hex")}`;
    secrets.set("query token", setupToken);
    await visitor.get(server, `/setup?token=${setupToken}`);
  } finally {
    exit = await server.stop();
  }
  assert.equal(exit.code, 0);

  const lines = server
    .log()
    .split("\n")
    .filter((line) => line.trim() !== "");
  const entries = lines.map((line) => {
    let entry: Record<string, unknown> | undefined;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // Reported below.
    }
    assert.ok(entry, `not a JSON log line: ${line}`);
    return entry;
  });
  const requestLines = entries.filter((e) => "req" in e || "res" in e || "reqId" in e);
  // Each request logs at least "incoming request" and "request completed".
  assert.ok(requestLines.length >= 2 * 10, `only ${requestLines.length} request lines`);
  for (const entry of entries) {
    if ("req" in entry || "res" in entry || /request/.test(String(entry.msg))) {
      assert.match(String(entry.reqId), /^[0-9a-f-]{36}$/, `no reqId: ${JSON.stringify(entry)}`);
    }
  }
  const refused = entries.filter((e) => e.msg === "request refused");
  assert.ok(refused.length >= 2, "refusals are logged (with their request id)");
  assert.ok(
    entries.some((e) => String((e.req as { url?: string })?.url).includes("token=[redacted]")),
    "the query token is logged redacted",
  );

  const everything = lines.join("\n");
  for (const [what, value] of secrets) {
    assert.ok(value.length >= 8, `${what} is a real secret`);
    assert.ok(!everything.includes(value), `the ${what} appears in the log`);
  }
});
