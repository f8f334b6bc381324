import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { makeAdmin, makeAgent } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { Invalid } from "../lib/errors.ts";
import { addMember, createTeam } from "./teams.service.ts";

const unique = () => randomBytes(4).toString("hex");
const ar = { "accept-language": "ar" };

describeEachDatabase("the teams page in the reader's language", (world) => {
  test("an Arabic reader gets the teams page right to left, in Arabic; team and member names stay as written", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const agent = await makeAgent(deps, { name: "Ada Agent" });
    const team = await createTeam(deps, adminUser, { name: `Billing ${unique()}` });
    await addMember(deps, adminUser, team.id, agent.email);
    const admin = await world().signedIn(adminUser);

    const page = await admin.get("/admin/teams", ar);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="ar" dir="rtl">/);
    assert.match(page.body, /<h1>الفرق<\/h1>/);
    assert.match(page.body, /<h2 id="new-team">فريق جديد<\/h2>/);
    assert.match(page.body, /<option value="round_robin">بالتناوب: كل عضو بدوره<\/option>/);
    assert.match(page.body, /<h3>الأعضاء<\/h3>/);
    assert.match(
      page.body,
      new RegExp(`حفظ<span class="visually-hidden"> الفريق ${team.name}</span>`),
      "the words only a screen reader hears are Arabic too",
    );
    assert.match(page.body, new RegExp(`<h2 id="team-${team.id}">${team.name}</h2>`));
    assert.match(page.body, /Ada Agent/);
    assert.doesNotMatch(
      page.body,
      /New team|Create team|Automatic assignment|Members|Round-robin|Add an agent/,
    );

    // A form post sends no Accept-Language here: the admin's saved language decides.
    await admin.post(
      "/language",
      { locale: "ar", back: "/admin/teams" },
      { csrfFrom: "/admin/teams" },
    );
    const refused = await admin.post(`/admin/teams/${team.id}`, {
      name: team.name,
      maxOpenPerAgent: "lots",
    });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /<html lang="ar" dir="rtl">/);
    assert.match(
      refused.body,
      /<p>لم يُحفظ: يجب أن يكون حقل أقصى عدد من التذاكر المفتوحة لكل وكيل عددًا صحيحًا، أو فارغًا لعدم وضع حد\.<\/p>/,
    );
    assert.doesNotMatch(refused.body, /Not saved|must be/);
  });

  test("a German admin's refused team is explained in whole German sentences, numbers grouped as German writes them; the service keeps the API's English", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const admin = await world().signedIn(adminUser);
    await admin.post("/language", { locale: "de", back: "/admin/teams" }, { csrfFrom: "/account" });

    const tooMany = await admin.post("/admin/teams", { name: "", maxOpenPerAgent: "20000" });
    assert.equal(tooMany.statusCode, 422);
    const text = decodeEntities(tooMany.body);
    assert.ok(
      text.includes(
        "<p>Nicht gespeichert: Name ist erforderlich. Höchstens offene Tickets pro Agent darf höchstens 10.000 sein.</p>",
      ),
      text,
    );

    const noCalendar = await admin.post("/admin/teams", {
      name: `Kasse ${unique()}`,
      calendarId: "Berlin",
    });
    assert.equal(noCalendar.statusCode, 422);
    assert.match(
      decodeEntities(noCalendar.body),
      /<p>Nicht gespeichert: Geschäftszeiten ist kein Kalender\.<\/p>/,
    );

    const team = await createTeam(deps, adminUser, { name: `Kasse ${unique()}` });
    const notStaff = await admin.post(`/admin/teams/${team.id}/members`, {
      email: "niemand@example.test",
    });
    assert.equal(notStaff.statusCode, 422);
    assert.match(
      decodeEntities(notStaff.body),
      /<p>Nicht gespeichert: Adresse muss die Adresse eines Agenten oder Administrators sein\.<\/p>/,
    );
    for (const body of [tooMany.body, noCalendar.body, notStaff.body]) {
      assert.doesNotMatch(body, /must be|is required|is not a calendar|Not saved/);
    }

    // What the API and the CLI are told stays English.
    await assert.rejects(
      createTeam(deps, adminUser, { name: `Kasse ${unique()}`, maxOpenPerAgent: 20000 }),
      (error: unknown) =>
        error instanceof Invalid &&
        error.errors.some(
          (e) => e.field === "maxOpenPerAgent" && e.message === "must be at most 10000",
        ),
    );
  });
});
