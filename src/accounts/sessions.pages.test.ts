import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** Signs in from a browser that sends `userAgent`. */
async function signInWith(
  world: World,
  user: { email: string; password: string },
  userAgent: string,
): Promise<Browser> {
  const browser = world.browser();
  const form = await browser.get("/login", { "user-agent": userAgent });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? "";
  const response = await world.app.inject({
    method: "POST",
    url: "/login",
    headers: {
      cookie: browser.cookieHeader(),
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": userAgent,
    },
    payload: new URLSearchParams({
      _csrf: csrf,
      email: user.email,
      password: user.password,
    }).toString(),
  });
  assert.equal(response.statusCode, 303);
  for (const cookie of response.cookies as { name: string; value: string }[]) {
    browser.cookies.set(cookie.name, cookie.value);
  }
  return browser;
}

describeEachDatabase("sessions page", (world) => {
  test("lists each session; sign out everywhere else ends the others, not this one", async () => {
    const user = await makeCustomer(world().deps);
    const laptop = await signInWith(world(), user, FIREFOX);
    const phone = await signInWith(world(), user, SAFARI);
    const bystander = await world().signedIn(await makeCustomer(world().deps));

    const page = await laptop.get("/account/sessions");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Firefox on Linux<span class="badge">This browser<\/span>/);
    assert.match(page.body, /Safari on iOS/);
    assert.equal(page.body.match(/This browser/g)?.length, 1);
    assert.match(page.body, /127\.0\.0\.1/);
    assert.match(page.body, /Sign out everywhere else \(1 other session\)/);
    assert.match((await laptop.get("/account")).body, /href="\/account\/sessions"/);

    const out = await laptop.post(
      "/account/sessions/others",
      {},
      { csrfFrom: "/account/sessions" },
    );
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, "/account/sessions?notice=signed-out-elsewhere");
    assert.equal((await phone.get("/tickets")).statusCode, 303, "the phone is signed out");
    assert.equal((await laptop.get("/tickets")).statusCode, 200, "this browser is not");
    assert.equal((await bystander.get("/tickets")).statusCode, 200, "nor is anyone else");
    const after = await laptop.get("/account/sessions?notice=signed-out-elsewhere");
    assert.match(after.body, /Every other session has been signed out/);
    assert.match(after.body, /You are signed in nowhere else/);
    assert.doesNotMatch(after.body, /Safari on iOS/);
  });

  test("an admin ends every session of a user; the admin's own stay", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const admin = await world().signedIn(adminUser);
    const agentUser = await makeAgent(deps);
    const desk = await world().signedIn(agentUser);
    const home = await world().signedIn(agentUser);
    const list = await admin.get("/admin/users");
    assert.match(list.body, new RegExp(`action="/admin/users/${agentUser.id}/sessions/end"`));

    const ended = await admin.post(`/admin/users/${agentUser.id}/sessions/end`, {
      back: "role=agent",
    });
    assert.equal(ended.statusCode, 303);
    assert.equal(ended.headers.location, "/admin/users?role=agent&notice=sessions-ended");
    for (const browser of [desk, home]) assert.equal((await browser.get("/desk")).statusCode, 303);
    assert.equal((await admin.get("/admin/users")).statusCode, 200);
    // The account itself is untouched: the agent signs in again.
    assert.equal((await world().signedIn(agentUser)).signedIn, true);
    // No such user: 404, nothing ended.
    assert.equal((await admin.post("/admin/users/999999/sessions/end", {})).statusCode, 404);
  });

  test("only admins end someone else's sessions", async () => {
    const { deps } = world();
    const target = await makeCustomer(deps);
    const victim = await world().signedIn(target);
    for (const who of [await makeAgent(deps), await makeCustomer(deps)]) {
      const browser = await world().signedIn(who);
      const response = await browser.post(`/admin/users/${target.id}/sessions/end`, {});
      assert.equal(response.statusCode, 403);
    }
    assert.equal((await victim.get("/tickets")).statusCode, 200);
  });
});
