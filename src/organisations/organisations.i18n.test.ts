import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAdmin, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { addMember, createOrganisation } from "./organisations.service.ts";

const lang = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];

describeEachDatabase("the organisations page in the reader's language", (world) => {
  test("a Spanish-speaking admin manages organisations in Spanish; names and addresses stay as written", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const organisation = await createOrganisation(deps, adminUser, {
      name: "Acme <Iberia>",
      domains: "acme-iberia.example",
      shareTickets: false,
    });
    const member = await makeCustomer(deps, { name: "Lucía Pérez" });
    await addMember(deps, adminUser, organisation.id, member.email);
    const admin = await world().signedIn(adminUser);

    const page = await admin.get("/admin/organisations", { "accept-language": "es-ES,es;q=0.9" });
    assert.equal(page.statusCode, 200);
    assert.equal(lang(page.body), "es");
    assert.match(page.body, /<h1>Organizaciones<\/h1>/);
    assert.match(page.body, /<h3>Miembros<\/h3>/);
    assert.match(page.body, /Dominios de correo, uno por línea/);
    assert.match(page.body, /Los miembros ven y responden los tickets de los demás/);
    assert.match(
      page.body,
      /Guardar<span class="visually-hidden"> la organización Acme &lt;Iberia(>|&gt;)<\/span>/,
    );
    assert.match(
      page.body,
      /Quitar<span class="visually-hidden"> a Lucía Pérez de Acme &lt;Iberia(>|&gt;)<\/span>/,
    );
    assert.match(page.body, /<button type="submit">Crear organización<\/button>/);
    assert.doesNotMatch(
      page.body,
      /<h1>Organisations|Members|Create organisation|Nobody yet|Mail domains/,
    );

    await admin.post(
      "/account/language",
      { locale: "es", timeZone: "Europe/Madrid" },
      { csrfFrom: "/account" },
    );
    const refused = await admin.post(
      "/admin/organisations",
      { name: "Otra", domains: "no es un dominio" },
      { csrfFrom: "/admin/organisations" },
    );
    assert.equal(refused.statusCode, 422);
    assert.match(
      refused.body,
      /<p>No se guardó: Dominios: estos no son dominios de correo: no, es, un, dominio\.<\/p>/,
      "the field's label and its problem in one Spanish sentence",
    );
    assert.doesNotMatch(refused.body, /are not mail domains/);
    assert.match(refused.body, /value="Otra"/, "what was typed stays");
    assert.doesNotMatch(refused.body, /Not saved/);
  });
});
