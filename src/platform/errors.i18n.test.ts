import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs } from "../../test/helpers/api.ts";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeCustomer, makeTicket, type TestUser } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";

/** `user` signed in, having chosen German for their account. */
async function germanReader(world: World, user: TestUser): Promise<Browser> {
  const b = await world.signedIn(user);
  const saved = await b.post("/account/language", { locale: "de", timeZone: "" });
  assert.equal(saved.statusCode, 303);
  return b;
}

/** The error page's title and sentence. */
function errorPage(body: string): { title: string; detail: string } {
  const match = /<section class="error-page"><h1>([^<]*)<\/h1><p>([^<]*)<\/p>/.exec(body);
  return {
    title: decodeEntities(match?.[1] ?? ""),
    detail: decodeEntities(match?.[2] ?? ""),
  };
}

describeEachDatabase("error pages in the reader's language", (world) => {
  test("a customer on a staff-only page is refused in German", async () => {
    const b = await germanReader(world(), await makeCustomer(world().deps));
    const page = await b.get("/desk");
    assert.equal(page.statusCode, 403);
    assert.match(page.body, /<html lang="de"/);
    assert.deepEqual(errorPage(page.body), {
      title: "Nicht erlaubt",
      detail: "Diese Seite ist für das Support-Team.",
    });
    assert.doesNotMatch(page.body, /support staff/);
  });

  test("a ticket that does not exist is said in German, without the API's English name for it", async () => {
    const b = await germanReader(world(), await makeCustomer(world().deps));
    const page = await b.get("/tickets/999999");
    assert.equal(page.statusCode, 404);
    assert.deepEqual(errorPage(page.body), {
      title: "Nicht gefunden",
      detail: "Das gibt es nicht, oder Sie dürfen es nicht sehen.",
    });
    assert.doesNotMatch(page.body, /No ticket/);
  });

  test("turning off a two-factor sign-in that is not on is refused in German", async () => {
    const b = await germanReader(world(), await makeCustomer(world().deps));
    const page = await b.post("/account/two-factor/disable", { proof: "123456" });
    assert.equal(page.statusCode, 409);
    assert.deepEqual(errorPage(page.body), {
      title: "Das lässt sich jetzt nicht ändern",
      detail: "Die Zwei-Faktor-Anmeldung ist nicht eingeschaltet.",
    });
    assert.doesNotMatch(page.body, /Two-factor is not on/);
  });

  test("a customer changing their ticket's priority is told in German that only staff can", async () => {
    const customer = await makeCustomer(world().deps);
    const ticket = await makeTicket(world().deps, customer);
    const b = await germanReader(world(), customer);
    const page = await b.post(`/tickets/${ticket.id}`, {
      priority: "urgent",
      priorityWas: "normal",
    });
    assert.equal(page.statusCode, 403);
    assert.deepEqual(errorPage(page.body), {
      title: "Nicht erlaubt",
      detail: "Nur das Support-Team kann Priorität, Bearbeiter oder Team ändern.",
    });
    assert.doesNotMatch(page.body, /Only staff/);
  });

  test("the API answers the same refusals in the English it always did, whatever the Accept-Language", async () => {
    const customer = await makeCustomer(world().deps);
    const ticket = await makeTicket(world().deps, customer);
    const api = await apiAs(world(), customer);
    const de = { "accept-language": "de" };

    const missing = await api.get("/tickets/999999", de);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.title, "Not found");
    assert.equal(missing.body.detail, "No ticket 999999.");

    const refused = await api.patch(`/tickets/${ticket.id}`, { priority: "urgent" }, de);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.title, "Not allowed");
    assert.equal(refused.body.detail, "Only staff can change priority, assignee or team.");
    assert.deepEqual(Object.keys(refused.body).sort(), ["detail", "status", "title", "type"]);
  });
});
