import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachDatabase } from "../../test/helpers/world.ts";

describeEachDatabase("plain-text refusals in the reader's language", (world) => {
  test("the live stream tells a visitor without a session in German to sign in; in English as before", async () => {
    const german = await world().browser().get("/live", { "accept-language": "de" });
    assert.equal(german.statusCode, 401);
    assert.equal(german.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(german.body, "Melden Sie sich an, um Live-Aktualisierungen zu erhalten.");

    const english = await world().browser().get("/live", { "accept-language": "en" });
    assert.equal(english.statusCode, 401);
    assert.equal(english.body, "Sign in to receive live updates.");
  });

  test("a malformed address is refused in the browser's language; the API's in English", async () => {
    const { app } = world();
    const url = "/tickets/%E0%A4%A";
    const french = await app.inject({ url, headers: { "accept-language": "fr-CH, en;q=0.5" } });
    assert.equal(french.statusCode, 400);
    assert.equal(french.body, "Cette adresse n’est pas valide.\n");
    const english = await app.inject({ url });
    assert.equal(english.body, "This address is not valid.\n");
    const api = await app.inject({
      url: "/api/v1/tickets/%E0%A4%A",
      headers: { "accept-language": "fr" },
    });
    assert.equal(api.statusCode, 400);
    assert.equal(api.body, "This address is not valid.\n");
  });

  test("a page the framework refuses (an unsupported content type) is said in German, not in the framework's English", async () => {
    const refused = await world().app.inject({
      method: "POST",
      url: "/login",
      headers: { "content-type": "text/csv", "accept-language": "de" },
      payload: "a,b",
    });
    assert.equal(refused.statusCode, 415);
    assert.match(refused.body, /Diese Art von Inhalt wird hier nicht angenommen\./);
    assert.doesNotMatch(refused.body, /Unsupported Media Type|content-type/i);
  });
});
