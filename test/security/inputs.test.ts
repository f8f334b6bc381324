import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAdmin, makeAgent, makeCustomer } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";

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
  });
});
