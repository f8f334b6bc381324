import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { TEST_SECRET_KEY } from "../../test/helpers/dovecot.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { mailboxes } from "../db/schema/index.ts";

const PASSWORD = "imap-pass-Zq81x";
const form = (over: Record<string, string> = {}) => ({
  address: "Help@Example.test",
  name: "Help desk",
  enabled: "true",
  imapHost: "imap.example.test",
  imapTls: "tls",
  imapPort: "",
  imapUser: "help",
  imapAuth: "password",
  imapSecret: PASSWORD,
  folder: "",
  afterImport: "seen",
  moveTo: "",
  smtpHost: "",
  smtpTls: "starttls",
  smtpPort: "",
  smtpUser: "",
  smtpSecret: "",
  ...over,
});

describeEachDatabase(
  "mailboxes admin pages",
  (world) => {
    test("an admin adds a mailbox; its password is stored sealed and never shown again", async () => {
      const { deps } = world();
      const admin = await world().signedIn(await makeAdmin(deps));
      const added = await admin.post("/admin/email/mailboxes", form(), {
        csrfFrom: "/admin/email/mailboxes/new",
      });
      assert.equal(added.statusCode, 303);
      const [row] = await deps.db
        .select()
        .from(mailboxes)
        .where(eq(mailboxes.address, "help@example.test"));
      assert.ok(row, "stored, address in lower case");
      assert.equal(row.imapPort, 993, "the TLS default port");
      assert.equal(row.folder, "INBOX");
      assert.ok(row.imapSecret && !row.imapSecret.includes(PASSWORD), "sealed");
      const list = await admin.get("/admin/email/mailboxes");
      assert.equal(list.statusCode, 200);
      assert.match(list.body, /help@example\.test/);
      assert.match(list.body, /Not fetched yet/);
      const edit = await admin.get(`/admin/email/mailboxes/${row.id}`);
      assert.equal(edit.statusCode, 200);
      assert.ok(!edit.body.includes(PASSWORD), "the edit page never shows the password");
      assert.match(edit.body, /Leave blank to keep/);

      // Saved again with the password left blank: the stored one is kept.
      const saved = await admin.post(
        `/admin/email/mailboxes/${row.id}`,
        form({ address: "help@example.test", imapSecret: "", folder: "Support" }),
        { csrfFrom: `/admin/email/mailboxes/${row.id}` },
      );
      assert.equal(saved.statusCode, 303);
      const [after] = await deps.db.select().from(mailboxes).where(eq(mailboxes.id, row.id));
      assert.equal(after?.folder, "Support");
      assert.equal(after?.imapSecret, row.imapSecret, "blank keeps the stored password");
    });

    test("bad input is answered field by field, keeps what was typed, and stores nothing", async () => {
      const { deps } = world();
      const admin = await world().signedIn(await makeAdmin(deps));
      const refused = await admin.post(
        "/admin/email/mailboxes",
        form({
          address: "not an address",
          imapHost: "",
          imapPort: "99999",
          afterImport: "move",
          name: "Evil <script>",
        }),
        { csrfFrom: "/admin/email/mailboxes/new" },
      );
      assert.equal(refused.statusCode, 422);
      const text = decodeEntities(refused.body);
      assert.match(text, /Address must be an address like support@example\.com/);
      assert.match(text, /IMAP host is required/);
      assert.match(text, /IMAP port must be a number from 1 to 65535/);
      assert.match(text, /Move to folder is required when messages are moved/);
      assert.match(text, /Display name must not contain/);
      assert.ok(!refused.body.includes("<script>"), "typed text is escaped");
      assert.ok(!refused.body.includes(PASSWORD), "the password is not echoed back");
      assert.match(refused.body, /value="not an address"/);
      const rows = await deps.db
        .select()
        .from(mailboxes)
        .where(eq(mailboxes.address, "not an address"));
      assert.equal(rows.length, 0);
    });

    test("an admin disables and deletes a mailbox; its error shows escaped", async () => {
      const { deps } = world();
      const admin = await world().signedIn(await makeAdmin(deps));
      await admin.post("/admin/email/mailboxes", form({ address: "gone@example.test" }), {
        csrfFrom: "/admin/email/mailboxes/new",
      });
      const [row] = await deps.db
        .select()
        .from(mailboxes)
        .where(eq(mailboxes.address, "gone@example.test"));
      assert.ok(row);
      await deps.db
        .update(mailboxes)
        .set({ lastError: "imap answered: <b>no</b>", lastErrorAt: new Date() })
        .where(eq(mailboxes.id, row.id));
      const failing = await admin.get("/admin/email/mailboxes");
      assert.match(failing.body, /Failing: imap answered: &lt;b>no&lt;\/b>/);
      const off = await admin.post(
        `/admin/email/mailboxes/${row.id}/enabled`,
        { enabled: "false" },
        { csrfFrom: "/admin/email/mailboxes" },
      );
      assert.equal(off.statusCode, 303);
      const [disabled] = await deps.db.select().from(mailboxes).where(eq(mailboxes.id, row.id));
      assert.equal(disabled?.enabled, false);
      const deleted = await admin.post(
        `/admin/email/mailboxes/${row.id}/delete`,
        {},
        { csrfFrom: "/admin/email/mailboxes" },
      );
      assert.equal(deleted.statusCode, 303);
      assert.equal(
        (await deps.db.select().from(mailboxes).where(eq(mailboxes.id, row.id))).length,
        0,
      );
    });

    test("only admins reach the mailboxes, and a post without a CSRF token is refused", async () => {
      const { deps } = world();
      for (const user of [await makeCustomer(deps), await makeAgent(deps)]) {
        const browser = await world().signedIn(user);
        const page = await browser.get("/admin/email/mailboxes");
        assert.ok([403, 404].includes(page.statusCode), `${user.role}: ${page.statusCode}`);
        const post = await browser.post(
          "/admin/email/mailboxes",
          form({ address: "x@example.test" }),
        );
        assert.ok([403, 404].includes(post.statusCode));
      }
      const admin = await world().signedIn(await makeAdmin(deps));
      const forged = await admin.post("/admin/email/mailboxes", {
        ...form({ address: "forged@example.test" }),
        _csrf: "",
      });
      assert.equal(forged.statusCode, 403);
      const rows = await deps.db
        .select()
        .from(mailboxes)
        .where(eq(mailboxes.address, "forged@example.test"));
      assert.equal(rows.length, 0);
    });
  },
  { env: { MAILBOX_SECRET_KEY: TEST_SECRET_KEY } },
);

describeEachDatabase("mailboxes without MAILBOX_SECRET_KEY", (world) => {
  test("adding a mailbox is refused with what to set, and nothing is stored", async () => {
    const { deps } = world();
    const admin = await world().signedIn(await makeAdmin(deps));
    const page = await admin.get("/admin/email/mailboxes/new");
    assert.match(page.body, /MAILBOX_SECRET_KEY is not set/);
    const refused = await admin.post("/admin/email/mailboxes", form(), {
      csrfFrom: "/admin/email/mailboxes/new",
    });
    assert.equal(refused.statusCode, 422);
    assert.match(decodeEntities(refused.body), /cannot be stored: MAILBOX_SECRET_KEY is not set/);
    assert.equal((await deps.db.select().from(mailboxes)).length, 0);
  });
});
