import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAdmin } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { calendars, deleteCalendar, saveCalendar } from "./sla.service.ts";

describeEachDatabase("calendars kept in memory", (world) => {
  test("a server's copy follows every change to a calendar at once: saved, renamed, deleted", async () => {
    const { deps, listen } = world();
    const admin = await makeAdmin(deps);
    const unwatch = await calendars.watch(deps.db, listen);
    try {
      const office = await saveCalendar(deps, admin, {
        name: "Office",
        timeZone: "Europe/Berlin",
        hours1: "09:00-17:00",
      });
      assert.equal((await calendars.get(deps.db, deps.db)).get(office.id)?.name, "Office");
      // The save's own NOTIFY may arrive after that read and drop the copy once more.
      const deadline = Date.now() + 5_000;
      while (!calendars.isWarm(deps.db) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await calendars.get(deps.db, deps.db);
      }
      assert.equal(calendars.isWarm(deps.db), true, "the copy is kept");
      await saveCalendar(
        deps,
        admin,
        { name: "Office hours", timeZone: "America/New_York", hours1: "08:00-20:00" },
        office.id,
      );
      assert.equal(calendars.isWarm(deps.db), false, "a change drops the copy");
      const changed = (await calendars.get(deps.db, deps.db)).get(office.id);
      assert.equal(changed?.name, "Office hours");
      assert.equal(changed?.timeZone, "America/New_York");
      await deleteCalendar(deps, admin, office.id);
      assert.equal((await calendars.get(deps.db, deps.db)).has(office.id), false);
    } finally {
      await unwatch();
    }
  });
});
