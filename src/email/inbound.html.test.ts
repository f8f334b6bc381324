import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { attachments, messages } from "../db/schema/index.ts";
import { createTeam } from "../teams/teams.service.ts";
import { updateTicket } from "../tickets/tickets.service.ts";
import { receiveEmail } from "./inbound.service.ts";

const ENV = { MAIL_FROM: "support@example.test", INBOUND_SMTP_DOMAINS: "support@example.test" };

// A 1x1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

const EVIL_HTML = [
  "<html><head><style>body{background:url(https://styles.example.com/bg.png)}</style>",
  "<script>alert('head')</script></head><body>",
  '<p onclick="alert(1)">Hello <b>team</b>, the invoice is <span style="background:url(https://css.example.com/x.png)">wrong</span>.</p>',
  '<img src="cid:logo@client" alt="our logo" width="120">',
  '<img src="https://tracker.example.com/pixel.gif?u=42" alt="">',
  '<img src="x" onerror="alert(2)">',
  '<a href="javascript:alert(3)">click</a> <a href="https://docs.example.com/">docs</a>',
  '<svg onload="alert(4)"><circle r="5"/></svg>',
  '<form action="https://phish.example.com/"><input name="password"><button>Log in</button></form>',
  '<iframe src="https://frame.example.com/"></iframe>',
  "<script>alert('body')</script>",
  "</body></html>",
].join("\r\n");

let serial = 0;
function htmlOnlyMail(from: string, html = EVIL_HTML): Buffer {
  serial++;
  return Buffer.from(
    [
      `From: Hana Html <${from}>`,
      "To: support@example.test",
      "Subject: HTML only",
      `Message-ID: <html-${serial}-${Date.now()}@client.example.org>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/related; boundary="REL"',
      "",
      "--REL",
      "Content-Type: text/html; charset=utf-8",
      "",
      html,
      "--REL",
      "Content-Type: image/png; name=logo.png",
      "Content-Transfer-Encoding: base64",
      "Content-ID: <logo@client>",
      "Content-Disposition: inline; filename=logo.png",
      "",
      PNG.toString("base64"),
      "--REL--",
      "",
    ].join("\r\n"),
  );
}

function textAndHtmlMail(from: string): Buffer {
  serial++;
  return Buffer.from(
    [
      `From: ${from}`,
      "To: support@example.test",
      "Subject: Both parts",
      `Message-ID: <both-${serial}-${Date.now()}@client.example.org>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="ALT"',
      "",
      "--ALT",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "The plain words.",
      "--ALT",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>The <i>html</i> words.</p>",
      "--ALT--",
      "",
    ].join("\r\n"),
  );
}

async function firstMessage(world: World, ticketId: number) {
  const [m] = await world.deps.db
    .select()
    .from(messages)
    .where(eq(messages.ticketId, ticketId))
    .orderBy(messages.id);
  assert.ok(m);
  return m;
}

describeEachDatabase(
  "HTML mail on the ticket page, and the original .eml",
  (world) => {
    test("an HTML-only mail is shown as sanitised HTML with its inline image; remote images wait for a click", async () => {
      const { deps } = world();
      const from = `hana-${world().kind}@client.example.org`;
      const result = await receiveEmail(deps, htmlOnlyMail(from), { to: ["support@example.test"] });
      assert.equal(result.status, "ticket");
      const ticketId = result.ticketId ?? 0;
      const message = await firstMessage(world(), ticketId);
      const [logo] = await deps.db
        .select()
        .from(attachments)
        .where(eq(attachments.messageId, message.id));
      assert.equal(logo?.filename, "logo.png");
      // Its text (for search and notifications) is made from the HTML, not "(see attachments)".
      assert.match(message.content, /Hello team, the invoice is wrong\./);

      const agent = await world().signedIn(await makeAgent(deps));
      const res = await agent.get(`/tickets/${ticketId}`);
      assert.equal(res.statusCode, 200);
      const body = res.body;
      const shown =
        /<div class="message-body mail-html">([\s\S]*?)<\/div>\s*(?:<p class="muted original-mail">|<\/article>)/.exec(
          body,
        )?.[1];
      assert.ok(shown, "the message body is the mail's HTML");
      assert.match(shown, /Hello <b>team<\/b>, the invoice is <span>wrong<\/span>\./);
      assert.match(
        shown,
        new RegExp(
          `<img src="/attachments/${logo?.id}" alt="our logo" class="mail-image" width="120" />`,
        ),
      );
      assert.match(shown, /href="https:\/\/docs\.example\.com\/"/);
      for (const bad of [
        "<script",
        "alert(",
        "onclick",
        "onerror",
        "onload",
        "javascript:",
        "<style",
        "url(",
        "<svg",
        "<form",
        "<input",
        "<iframe",
        "phish.example.com",
        "frame.example.com",
      ]) {
        assert.ok(!shown.includes(bad), `no ${bad} in the shown HTML`);
      }
      // Not even the address of the remote image is on the page: nothing can fetch it.
      assert.ok(!body.includes("tracker.example.com"), "the remote image is not referenced");
      assert.match(body, /1 remote image blocked/);
      // A real page load (not an htmx swap, which would keep this page's policy).
      assert.match(
        body,
        new RegExp(
          `<a href="/tickets/${ticketId}\\?images=${message.id}#message-${message.id}" hx-boost="false">`,
        ),
      );
      const csp = String(res.headers["content-security-policy"]);
      assert.match(csp, /img-src 'self' data:(;|$)/);

      // The inline image itself is served from the attachment.
      const image = await agent.get(`/attachments/${logo?.id}`);
      assert.equal(image.statusCode, 200);
      assert.deepEqual(image.rawPayload, PNG);

      // Asked for, this one response shows the remote image and allows https: images.
      const loaded = await agent.get(`/tickets/${ticketId}?images=${message.id}`);
      assert.match(
        loaded.body,
        /<img src="https:\/\/tracker\.example\.com\/pixel\.gif\?u=42" alt="" class="mail-image" referrerpolicy="no-referrer" \/>/,
      );
      assert.match(
        String(loaded.headers["content-security-policy"]),
        /img-src 'self' data: https:(;|$)/,
      );
      assert.ok(!loaded.body.includes("<script>alert"), "loading images loads nothing else");
      // Another message id in the link changes nothing.
      const other = await agent.get(`/tickets/${ticketId}?images=999999`);
      assert.ok(!other.body.includes("tracker.example.com"));
      assert.match(String(other.headers["content-security-policy"]), /img-src 'self' data:(;|$)/);
    });

    test("an HTML-only reply with quoted history shows its own words first, the HTML as sent behind a click", async () => {
      const { deps } = world();
      const html = [
        '<div dir="ltr">Thanks, <b>that fixed it</b>.</div>',
        '<div class="gmail_quote"><div>On Sun, 6 Dec 2026 at 10:00, Support &lt;support@example.test&gt; wrote:</div>',
        "<blockquote>Please restart the printer.<br>Old history here.</blockquote></div>",
      ].join("\r\n");
      const result = await receiveEmail(
        deps,
        htmlOnlyMail(`kim-${world().kind}@client.example.org`, html),
        { to: ["support@example.test"] },
      );
      const message = await firstMessage(world(), result.ticketId ?? 0);
      assert.ok(message.html, "the HTML is kept");
      assert.ok(message.quoted, "the text had history to trim");
      const agent = await world().signedIn(await makeAgent(deps));
      const page = (await agent.get(`/tickets/${result.ticketId}`)).body;
      const body = /<div class="message-body">([\s\S]*?)<\/div>/.exec(page)?.[1] ?? "";
      assert.match(body, /Thanks, that fixed it\./);
      assert.ok(!body.includes("Old history here"), "the history is not in the shown text");
      assert.match(page, /<summary>Show quoted text<\/summary>/);
      const asSent =
        /<summary>Show the mail as sent \(HTML\)<\/summary>([\s\S]*?)<\/details>/.exec(page)?.[1] ??
        "";
      assert.match(asSent, /<div class="message-body mail-html">/);
      assert.match(asSent, /<b>that fixed it<\/b>/);
      assert.match(
        asSent,
        /<blockquote>Please restart the printer\.<br \/>Old history here\.<\/blockquote>/,
      );
    });

    test("a mail with a text part is shown as its text", async () => {
      const { deps } = world();
      const result = await receiveEmail(
        deps,
        textAndHtmlMail(`ivan-${world().kind}@client.example.org`),
        {
          to: ["support@example.test"],
        },
      );
      const message = await firstMessage(world(), result.ticketId ?? 0);
      assert.equal(message.html, null);
      const agent = await world().signedIn(await makeAgent(deps));
      const page = (await agent.get(`/tickets/${result.ticketId}`)).body;
      assert.match(page, /The plain words\./);
      assert.ok(!page.includes("mail-html"));
    });

    test("staff download the original .eml of a mail; the customer who sent it gets 404", async () => {
      const { deps } = world();
      const jo = await makeCustomer(deps);
      const from = jo.email;
      const raw = htmlOnlyMail(from, "<p>Original words</p>");
      const result = await receiveEmail(deps, raw, { to: ["support@example.test"] });
      const message = await firstMessage(world(), result.ticketId ?? 0);
      const agent = await world().signedIn(await makeAgent(deps));
      const page = (await agent.get(`/tickets/${result.ticketId}`)).body;
      assert.match(page, new RegExp(`href="/messages/${message.id}/original\\.eml"`));
      const eml = await agent.get(`/messages/${message.id}/original.eml`);
      assert.equal(eml.statusCode, 200);
      assert.match(String(eml.headers["content-type"]), /^message\/rfc822/);
      assert.match(
        String(eml.headers["content-disposition"]),
        /^attachment; filename="[^"]+\.eml"$/,
      );
      assert.deepEqual(eml.rawPayload, raw, "byte for byte as received");

      // The customer who sent it sees their ticket, not the original.
      const customer = await world().signedIn(jo);
      const theirs = await customer.get(`/tickets/${result.ticketId}`);
      assert.equal(theirs.statusCode, 200);
      assert.match(theirs.body, /Original words/);
      assert.ok(!theirs.body.includes("original.eml"));
      assert.equal((await customer.get(`/messages/${message.id}/original.eml`)).statusCode, 404);

      // A message written on the web has no original.
      const web = await agent.post(
        `/tickets/${result.ticketId}/replies`,
        { content: "Typed on the web" },
        { csrfFrom: `/tickets/${result.ticketId}` },
      );
      assert.equal(web.statusCode, 303);
      const [, second] = await deps.db
        .select()
        .from(messages)
        .where(eq(messages.ticketId, result.ticketId ?? 0))
        .orderBy(messages.id);
      assert.equal((await agent.get(`/messages/${second?.id}/original.eml`)).statusCode, 404);

      // Once the ticket is in a team restricted to its members, an agent outside it gets 404.
      const admin = await makeAdmin(deps);
      const team = await createTeam(deps, admin, {
        name: `Private ${Date.now()}`,
        restricted: true,
      });
      await updateTicket(deps, admin, result.ticketId ?? 0, { teamId: team.id });
      assert.equal((await agent.get(`/messages/${message.id}/original.eml`)).statusCode, 404);
      const adminPage = await world().signedIn(admin);
      assert.equal((await adminPage.get(`/messages/${message.id}/original.eml`)).statusCode, 200);
    });
  },
  { env: ENV },
);
