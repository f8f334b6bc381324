import assert from "node:assert/strict";
import { test } from "node:test";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { accountLinks, messages, outbox, sessions, users } from "../db/schema/index.ts";
import { receiveEmail } from "../email/inbound.service.ts";
import { hashToken } from "../lib/tokens.ts";
import { updateInstanceSettings } from "../settings/settings.service.ts";
import { addReply } from "../tickets/tickets.service.ts";
import { resolveSession } from "./accounts.service.ts";
import { issueLink, issueTicketLinks } from "./links.service.ts";

const SESSION = "tessera_session";

let serial = 0;
/** A new customer's first mail, as a mail client sends it. */
function firstMail(from: string, subject: string): Buffer {
  serial++;
  return Buffer.from(
    [
      `From: Mo Mailonly <${from}>`,
      "To: support@example.test",
      `Subject: ${subject}`,
      `Message-ID: <ticket-link-${serial}-${Date.now()}@client.example.org>`,
      "Date: Sun, 06 Dec 2026 10:00:00 +0000",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "",
      `Hello, ${subject.toLowerCase()}.`,
      "",
    ].join("\r\n"),
  );
}

/** The newest mail of `kind` queued to `address`. */
async function lastMail(world: World, address: string, kind: string) {
  const [row] = await world.deps.db
    .select()
    .from(outbox)
    .where(and(sql`lower(${outbox.toAddress}) = lower(${address})`, eq(outbox.kind, kind)))
    .orderBy(desc(outbox.id))
    .limit(1);
  assert.ok(row, `a ${kind} mail to ${address}`);
  return row;
}

/** The path and query of the ticket link in a mail's text. */
function ticketLinkIn(text: string): string {
  const match = /https?:\/\/[^\s/]+(\/tickets\/\d+\/open\?token=[A-Za-z0-9_-]+)/.exec(text);
  assert.ok(match?.[1], "a ticket link in the mail");
  return match[1];
}

const tokenOf = (link: string) => new URL(link, "http://x").searchParams.get("token") ?? "";

/** A ticket from a new address by mail: its requester has no password. */
async function mailOnlyTicket(world: World, subject = "Invoice question") {
  const email = `mailonly-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@client.example.org`;
  const result = await receiveEmail(world.deps, firstMail(email, subject), {
    to: ["support@example.test"],
  });
  assert.equal(result.status, "ticket");
  const ticketId = result.ticketId ?? 0;
  const [user] = await world.deps.db.select().from(users).where(eq(users.email, email));
  assert.ok(user && user.passwordHash === null, "an account without a password");
  return { email, ticketId, user };
}

/** Opens a ticket link as a visitor would: the page, then its button. */
async function openLink(browser: Browser, link: string) {
  const page = await browser.get(link);
  assert.equal(page.statusCode, 200, page.body.slice(0, 300));
  return browser.post(link, {}, { csrfFrom: link });
}

async function setMode(world: World, ticketLinks: "open" | "set_password") {
  await updateInstanceSettings(world.deps.db, { ticketLinks });
}

describeEachDatabase("ticket links in customer mail", (world) => {
  test("a mail-only customer opens their ticket from the acknowledgement, replies, and reaches nothing else", async () => {
    const { deps } = world();
    await setMode(world(), "open");
    const { email, ticketId, user } = await mailOnlyTicket(world());
    const mail = await lastMail(world(), email, "ticket.received");
    const other = await mailOnlyTicketOf(world(), email);

    assert.equal(mail.ticketId, ticketId);
    const link = ticketLinkIn(mail.textBody);
    assert.ok(link.startsWith(`/tickets/${ticketId}/open?token=`));
    assert.ok(mail.htmlBody.includes(`href="${deps.config.publicUrl.origin}${link}"`));
    assert.match(mail.textBody, /please do not forward this mail/);
    const [stored] = await deps.db
      .select()
      .from(accountLinks)
      .where(eq(accountLinks.tokenHash, hashToken(tokenOf(link))));
    assert.equal(stored?.purpose, "ticket_access");
    assert.equal(stored?.userId, user.id);
    assert.equal(stored?.ticketId, ticketId);
    const days = ((stored?.expiresAt.getTime() ?? 0) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `valid for 30 days (${days})`);

    const visitor = world().browser();
    // The GET shows a button and signs nobody in (mail scanners open links).
    const page = await visitor.get(link);
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers["cache-control"]), /no-store/);
    assert.equal(page.headers["referrer-policy"], "no-referrer");
    assert.match(page.body, /Open the ticket/);
    assert.equal(visitor.signedIn, false);
    const opened = await visitor.post(link, {}, { csrfFrom: link });
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, `/tickets/${ticketId}?notice=ticket-link`);
    assert.ok(visitor.signedIn);

    const ticketPage = await visitor.get(`/tickets/${ticketId}`);
    assert.equal(ticketPage.statusCode, 200);
    assert.match(ticketPage.body, /Invoice question/);
    assert.match(ticketPage.body, /this ticket only/);
    assert.doesNotMatch(ticketPage.body, /href="\/tickets\/new"|Mark as solved/);

    const replied = await visitor.postMultipart(
      `/tickets/${ticketId}/replies`,
      { content: "Replying from the link." },
      [{ field: "attachments", filename: "note.txt", content: "hello", type: "text/plain" }],
      { csrfFrom: `/tickets/${ticketId}` },
    );
    assert.equal(replied.statusCode, 303, replied.body.slice(0, 300));
    const [reply] = await deps.db
      .select()
      .from(messages)
      .where(eq(messages.ticketId, ticketId))
      .orderBy(desc(messages.id))
      .limit(1);
    assert.equal(reply?.content, "Replying from the link.");
    assert.equal(reply?.authorId, user.id);
    const withFile = await visitor.get(`/tickets/${ticketId}`);
    const fileId = Number(/\/attachments\/(\d+)/.exec(withFile.body)?.[1]);
    assert.equal((await visitor.get(`/attachments/${fileId}`)).statusCode, 200);

    // Nothing else: their other ticket, the list, the account, new tickets, the API, live pages.
    for (const url of [`/tickets/${other}`, "/tickets", "/tickets/new", "/account", "/desk"]) {
      const response = await visitor.get(url);
      assert.equal(response.statusCode, 303, url);
      assert.match(String(response.headers.location), /^\/login\?next=/, url);
    }
    const otherFile = await visitor.get(`/attachments/${await attachmentOf(world(), other)}`);
    assert.equal(otherFile.statusCode, 303);
    assert.match(String(otherFile.headers.location), /^\/login\?next=/);
    for (const url of ["/api/v1/me", `/api/v1/tickets/${ticketId}`, "/api/v1/tickets"]) {
      assert.equal((await visitor.get(url)).statusCode, 401, url);
    }
    assert.equal((await visitor.get(`/live?ticket=${ticketId}`)).statusCode, 401);
    const elsewhere = await visitor.post(
      `/tickets/${other}/replies`,
      { content: "Not this one." },
      { csrfFrom: `/tickets/${ticketId}` },
    );
    assert.equal(elsewhere.statusCode, 401);
    const solve = await visitor.post(
      `/tickets/${ticketId}`,
      { status: "solved" },
      { csrfFrom: `/tickets/${ticketId}` },
    );
    assert.equal(solve.statusCode, 401, "changing the ticket needs a full sign-in");
    const created = await visitor.post(
      "/tickets",
      { title: "New", description: "x" },
      { csrfFrom: `/tickets/${ticketId}` },
    );
    assert.equal(created.statusCode, 401);

    // Opening changes nothing: the link works again (another device), until it expires.
    const phone = world().browser();
    assert.equal((await openLink(phone, link)).statusCode, 303);
    assert.equal((await phone.get(`/tickets/${ticketId}`)).statusCode, 200);
  });

  test("a staff reply mails the customer a fresh link; CCs and staff requesters get none", async () => {
    const { deps } = world();
    await setMode(world(), "open");
    const { email, ticketId } = await mailOnlyTicket(world(), "Staff replies");
    const agent = await makeAgent(deps);
    await addReply(deps, agent, ticketId, { content: "We are on it." });
    const mail = await lastMail(world(), email, "reply.public");
    const link = ticketLinkIn(mail.textBody);
    const visitor = world().browser();
    assert.equal((await openLink(visitor, link)).statusCode, 303);
    assert.match((await visitor.get(`/tickets/${ticketId}`)).body, /We are on it\./);

    const staffTicket = await makeTicket(deps, agent, { title: "My own" });
    const staffMails = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.ticketId, staffTicket.id));
    for (const m of staffMails) assert.doesNotMatch(m.textBody, /\/open\?token=/);
    const onBehalf = await makeTicket(deps, await makeCustomer(deps), { title: "Has CC" });
    await deps.db.execute(
      sql`insert into ticket_ccs (ticket_id, address) values (${onBehalf.id}, 'cc-person@client.example.org')`,
    );
    await addReply(deps, agent, onBehalf.id, { content: "To all." });
    const ccMail = await lastMail(world(), "cc-person@client.example.org", "reply.public");
    assert.doesNotMatch(ccMail.textBody, /\/open\?token=|do not forward/);
    assert.match(ccMail.textBody, new RegExp(`/tickets/${onBehalf.id}\\b`));
  });

  test("tampered, expired, other-ticket, other-account and other-purpose tokens are refused", async () => {
    const { deps } = world();
    await setMode(world(), "open");
    const alice = await mailOnlyTicket(world(), "Alice's");
    const bob = await mailOnlyTicket(world(), "Bob's");
    const aliceLink = ticketLinkIn(
      (await lastMail(world(), alice.email, "ticket.received")).textBody,
    );
    const bobLink = ticketLinkIn((await lastMail(world(), bob.email, "ticket.received")).textBody);
    const token = tokenOf(aliceLink);
    const at = (ticketId: number, t: string) => `/tickets/${ticketId}/open?token=${t}`;
    const refused = async (url: string, why: string) => {
      const browser = world().browser();
      const page = await browser.get(url);
      assert.equal(page.statusCode, 404, `GET ${why}`);
      assert.match(page.body, /This link no longer works/, why);
      const post = await browser.post(url, {}, { csrfFrom: "/login" });
      assert.equal(post.statusCode, 404, `POST ${why}`);
      assert.equal(browser.signedIn, false, why);
    };
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const bad of ["", "x", flipped, `${token}A`, token.toUpperCase(), hashToken(token)]) {
      await refused(at(alice.ticketId, encodeURIComponent(bad)), `tampered ${bad}`);
    }
    // Bob's token on Alice's ticket, and Alice's on Bob's: bound to the ticket.
    await refused(at(alice.ticketId, tokenOf(bobLink)), "another ticket's token");
    await refused(at(bob.ticketId, token), "a token for another ticket");
    // A link made out to another account (never mailed so, but bound all the same).
    const [forged] = await issueTicketLinks(deps.db, [
      { userId: bob.user.id, email: bob.email, ticketId: alice.ticketId },
    ]);
    await refused(at(alice.ticketId, forged ?? ""), "another account's link to this ticket");
    // Other purposes: a reset link here, and this link at the reset page.
    const reset = await issueLink(deps.db, {
      purpose: "password_reset",
      userId: alice.user.id,
      email: alice.email,
    });
    await refused(at(alice.ticketId, reset), "a password reset token");
    assert.equal((await world().browser().get(`/password/reset?token=${token}`)).statusCode, 404);
    // A staff member's link (a customer promoted since) and a disabled account.
    const promoted = await mailOnlyTicket(world(), "Promoted");
    const promotedLink = ticketLinkIn(
      (await lastMail(world(), promoted.email, "ticket.received")).textBody,
    );
    await deps.db.update(users).set({ role: "agent" }).where(eq(users.id, promoted.user.id));
    await refused(promotedLink, "a link of an account that is staff now");
    // Expired: the database's clock decides.
    const visitor = world().browser();
    assert.equal((await openLink(visitor, aliceLink)).statusCode, 303);
    await deps.db
      .update(accountLinks)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(accountLinks.tokenHash, hashToken(token)));
    await refused(aliceLink, "an expired link");
    await deps.db.update(users).set({ disabled: true }).where(eq(users.id, bob.user.id));
    await refused(bobLink, "a disabled account's link");
  });

  test("the session of a link ends with the link, and a new password voids the links", async () => {
    const { deps } = world();
    await setMode(world(), "open");
    const { email, ticketId, user } = await mailOnlyTicket(world(), "Short lived");
    const link = ticketLinkIn((await lastMail(world(), email, "ticket.received")).textBody);
    await deps.db
      .update(accountLinks)
      .set({ expiresAt: sql`now() + interval '1 hour'` })
      .where(eq(accountLinks.tokenHash, hashToken(tokenOf(link))));
    const visitor = world().browser();
    await openLink(visitor, link);
    const cookie = visitor.cookies.get(SESSION) ?? "";
    const session = await resolveSession(deps, cookie);
    assert.equal(session?.onlyTicketId, ticketId);
    const [row] = await deps.db.select().from(sessions).where(eq(sessions.userId, user.id));
    const hours = ((row?.expiresAt.getTime() ?? 0) - Date.now()) / 3600_000;
    assert.ok(hours > 0.9 && hours <= 1, `the session ends when the link would (${hours} h)`);

    // A password reset ends the link's session and voids the link.
    const reset = await issueLink(deps.db, { purpose: "password_reset", userId: user.id, email });
    const done = await world()
      .browser()
      .post(
        `/password/reset?token=${reset}`,
        { password: "a long new password" },
        {
          csrfFrom: `/password/reset?token=${reset}`,
        },
      );
    assert.equal(done.statusCode, 303);
    assert.equal(await resolveSession(deps, cookie), undefined, "the link's session ended");
    assert.equal((await world().browser().get(link)).statusCode, 404, "the link is void");
  });

  test("with the setting 'set a password', the link claims the account once, then signs in", async () => {
    const { deps } = world();
    await setMode(world(), "set_password");
    try {
      const { email, ticketId, user } = await mailOnlyTicket(world(), "Claim me");
      const link = ticketLinkIn((await lastMail(world(), email, "ticket.received")).textBody);
      const other = await mailOnlyTicketOf(world(), email);
      const visitor = world().browser();
      const form = await visitor.get(link);
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /Choose a password/);
      assert.equal(visitor.signedIn, false);
      const short = await visitor.post(link, { password: "short" }, { csrfFrom: link });
      assert.equal(short.statusCode, 422);
      const claimed = await visitor.post(
        link,
        { password: "my own passphrase" },
        { csrfFrom: link },
      );
      assert.equal(claimed.statusCode, 303);
      assert.equal(claimed.headers.location, `/tickets/${ticketId}?notice=password-set`);
      // A full session: the list and the other ticket too.
      assert.equal((await visitor.get("/tickets")).statusCode, 200);
      assert.equal((await visitor.get(`/tickets/${other}`)).statusCode, 200);
      const [row] = await deps.db.select().from(users).where(eq(users.id, user.id));
      assert.ok(row?.passwordHash);
      await world().browser().signIn(email, "my own passphrase");
      // Used once: neither the form nor a replay works.
      assert.equal((await world().browser().get(link)).statusCode, 404);
      const replay = await world()
        .browser()
        .post(link, { password: "someone else's pass" }, { csrfFrom: "/login" });
      assert.equal(replay.statusCode, 404);
      // Later mail to an account with a password: the link asks to sign in.
      const agent = await makeAgent(deps);
      await addReply(deps, agent, ticketId, { content: "Answer." });
      const later = ticketLinkIn((await lastMail(world(), email, "reply.public")).textBody);
      const signIn = await world().browser().get(later);
      assert.equal(signIn.statusCode, 303);
      assert.equal(
        signIn.headers.location,
        `/login?next=${encodeURIComponent(`/tickets/${ticketId}`)}`,
      );
      // Already signed in as the account: straight to the ticket.
      assert.equal((await visitor.get(later)).headers.location, `/tickets/${ticketId}`);
    } finally {
      await setMode(world(), "open");
    }
  });

  test("admins choose what ticket links do", async () => {
    const { deps } = world();
    const admin = await world().signedIn(await makeAdmin(deps));
    const page = await admin.get("/admin/users");
    assert.match(page.body, /name="ticketLinks" value="open" checked/);
    const saved = await admin.post(
      "/admin/settings",
      { signupEnabled: "true", ticketLinks: "set_password" },
      { csrfFrom: "/admin/users" },
    );
    assert.equal(saved.statusCode, 303);
    assert.match((await admin.get("/admin/users")).body, /value="set_password" checked/);
    const bad = await admin.post(
      "/admin/settings",
      { signupEnabled: "true", ticketLinks: "anything" },
      { csrfFrom: "/admin/users" },
    );
    assert.equal(bad.statusCode, 400);
    await setMode(world(), "open");
  });
});

/** A second ticket of the same mail-only customer (another new mail from them). */
async function mailOnlyTicketOf(world: World, email: string): Promise<number> {
  const result = await receiveEmail(world.deps, firstMail(email, "Another matter"), {
    to: ["support@example.test"],
  });
  assert.equal(result.status, "ticket");
  return result.ticketId ?? 0;
}

/** An attachment on ticket `ticketId`, added by its requester. */
async function attachmentOf(world: World, ticketId: number): Promise<number> {
  const admin = await makeAdmin(world.deps);
  const agent = await world.signedIn(admin);
  const note = await agent.postMultipart(
    `/tickets/${ticketId}/replies`,
    { content: "A file for you." },
    [{ field: "attachments", filename: "other.txt", content: "other", type: "text/plain" }],
    { csrfFrom: `/tickets/${ticketId}` },
  );
  assert.equal(note.statusCode, 303);
  const page = await agent.get(`/tickets/${ticketId}`);
  const id = Number(/\/attachments\/(\d+)/.exec(page.body)?.[1]);
  assert.ok(id > 0);
  return id;
}
