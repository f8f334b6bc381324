import assert from "node:assert/strict";
import { test } from "node:test";
import { desc, eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { issueLink, issueTicketLinks } from "../accounts/links.service.ts";
import {
  organisationDomains,
  organisationMembers,
  outbox,
  rateLimits,
  users,
} from "../db/schema/index.ts";
import { receiveEmail } from "../email/inbound.service.ts";
import { Invalid, Taken } from "../lib/errors.ts";
import { updateInstanceSettings } from "../settings/settings.service.ts";
import { addReply } from "../tickets/tickets.service.ts";
import {
  addMember,
  createOrganisation,
  parseDomains,
  updateOrganisation,
} from "./organisations.service.ts";

let serial = 0;
const unique = () => `${Date.now().toString(36)}${(serial++).toString(36)}`;

async function membership(world: World, userId: number): Promise<number | undefined> {
  const [row] = await world.deps.db
    .select()
    .from(organisationMembers)
    .where(eq(organisationMembers.userId, userId));
  return row?.organisationId;
}

/** An organisation with one fresh domain; returns it and the domain. */
async function makeOrganisation(world: World, shareTickets: boolean) {
  const admin = await makeAdmin(world.deps);
  const domain = `org-${unique()}.example`;
  const organisation = await createOrganisation(world.deps, admin, {
    name: `Org ${unique()}`,
    domains: domain,
    shareTickets,
  });
  return { admin, organisation, domain };
}

describeEachDatabase("organisations", (world) => {
  test("domains are checked, lower-cased and belong to one organisation", async () => {
    const { deps } = world();
    assert.deepEqual(parseDomains("Acme.COM, @acme.co.uk\nacme.com  sub.acme.com."), [
      "acme.com",
      "acme.co.uk",
      "sub.acme.com",
    ]);
    for (const bad of ["acme", "-acme.com", "acme..com", "ac me.com", "a@b.com", "acme.123"]) {
      assert.throws(() => parseDomains(bad), Invalid, bad);
    }
    const { admin, organisation, domain } = await makeOrganisation(world(), false);
    await assert.rejects(
      createOrganisation(deps, admin, { name: `Other ${unique()}`, domains: domain.toUpperCase() }),
      Taken,
    );
    await assert.rejects(
      createOrganisation(deps, admin, { name: organisation.name.toUpperCase() }),
      Taken,
    );
    // Saving its own domains again is fine; the organisation keeps them.
    await updateOrganisation(deps, admin, organisation.id, {
      name: organisation.name,
      domains: `${domain}, second-${domain}`,
      shareTickets: true,
    });
    const agent = await makeAgent(deps);
    await assert.rejects(
      createOrganisation(deps, agent, { name: `Agents' ${unique()}` }),
      /Only admins/,
    );
  });

  test("a verified address joins its domain's organisation; mail and staff-made accounts do not", async () => {
    const { deps } = world();
    await deps.db.delete(rateLimits);
    const { organisation, domain } = await makeOrganisation(world(), true);

    // Verified sign-up: the confirmation link proves the address.
    const visitor = world().browser();
    const email = `signup-${unique()}@${domain}`;
    const sent = await visitor.post(
      "/signup",
      { email, name: "Sam Signup", password: "a long passphrase" },
      { csrfFrom: "/signup" },
    );
    assert.equal(sent.statusCode, 200);
    const [mail] = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.toAddress, email))
      .orderBy(desc(outbox.id))
      .limit(1);
    const confirm = /(\/signup\/confirm\?token=[A-Za-z0-9_-]+)/.exec(mail?.textBody ?? "")?.[1];
    assert.ok(confirm);
    assert.equal((await visitor.post(confirm, {}, { csrfFrom: confirm })).statusCode, 303);
    const [signedUp] = await deps.db.select().from(users).where(eq(users.email, email));
    assert.equal(await membership(world(), signedUp?.id ?? 0), organisation.id);

    // Mail from the domain creates an account, which joins nothing (the sender is unproven).
    const mailOnly = `mail-${unique()}@${domain}`;
    const received = await receiveEmail(
      deps,
      Buffer.from(
        `From: ${mailOnly}\r\nTo: support@example.test\r\nSubject: Hi\r\nMessage-ID: <${unique()}@x.example>\r\n\r\nHello\r\n`,
      ),
      { to: ["support@example.test"] },
    );
    assert.equal(received.status, "ticket");
    const [fromMail] = await deps.db.select().from(users).where(eq(users.email, mailOnly));
    assert.ok(fromMail);
    assert.equal(await membership(world(), fromMail.id), undefined);

    // ... until they set a password from the ticket link in their mail.
    await updateInstanceSettings(deps.db, { ticketLinks: "set_password" });
    try {
      const [token] = await issueTicketLinks(deps.db, [
        { userId: fromMail.id, email: mailOnly, ticketId: received.ticketId ?? 0 },
      ]);
      const link = `/tickets/${received.ticketId}/open?token=${token}`;
      const claimed = await world()
        .browser()
        .post(link, { password: "my own passphrase" }, { csrfFrom: link });
      assert.equal(claimed.statusCode, 303);
      assert.equal(await membership(world(), fromMail.id), organisation.id);
    } finally {
      await updateInstanceSettings(deps.db, { ticketLinks: "open" });
    }

    // A password reset proves the address too.
    const staffMade = await makeCustomer(deps, { email: `staff-made-${unique()}@${domain}` });
    assert.equal(await membership(world(), staffMade.id), undefined, "staff typed it: unproven");
    const reset = await issueLink(deps.db, {
      purpose: "password_reset",
      userId: staffMade.id,
      email: staffMade.email,
    });
    const url = `/password/reset?token=${reset}`;
    const done = await world()
      .browser()
      .post(url, { password: "another passphrase" }, { csrfFrom: url });
    assert.equal(done.statusCode, 303);
    assert.equal(await membership(world(), staffMade.id), organisation.id);

    // Someone an admin put elsewhere is not moved by a later proof.
    const elsewhere = await makeOrganisation(world(), false);
    const moved = await makeCustomer(deps, { email: `moved-${unique()}@${domain}` });
    await addMember(deps, elsewhere.admin, elsewhere.organisation.id, moved.email);
    const again = await issueLink(deps.db, {
      purpose: "password_reset",
      userId: moved.id,
      email: moved.email,
    });
    const againUrl = `/password/reset?token=${again}`;
    await world()
      .browser()
      .post(againUrl, { password: "another passphrase" }, { csrfFrom: againUrl });
    assert.equal(await membership(world(), moved.id), elsewhere.organisation.id);
  });

  test("with sharing on, colleagues see and answer each other's tickets; with it off they do not", async () => {
    const { deps } = world();
    const { admin, organisation } = await makeOrganisation(world(), true);
    const ann = await makeCustomer(deps, { name: "Ann Colleague" });
    const bob = await makeCustomer(deps, { name: "Bob Colleague" });
    const stranger = await makeCustomer(deps);
    for (const who of [ann, bob]) await addMember(deps, admin, organisation.id, who.email);
    const annTicket = await makeTicket(deps, ann, { title: `Ann's printer ${unique()}` });
    const strangerTicket = await makeTicket(deps, stranger, { title: `Stranger ${unique()}` });
    const agent = await makeAgent(deps);
    await addReply(deps, agent, annTicket.id, { content: "SECRET-NOTE", internal: true });

    const bobBrowser = await world().signedIn(bob);
    const list = await bobBrowser.get("/tickets");
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.includes(annTicket.title), "the colleague's ticket is listed");
    assert.ok(!list.body.includes(strangerTicket.title));
    const page = await bobBrowser.get(`/tickets/${annTicket.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Ann Colleague/);
    assert.doesNotMatch(page.body, /SECRET-NOTE|Mark as solved/);
    const replied = await bobBrowser.post(
      `/tickets/${annTicket.id}/replies`,
      { content: "Same here, from Bob." },
      { csrfFrom: `/tickets/${annTicket.id}` },
    );
    assert.equal(replied.statusCode, 303);
    const solve = await bobBrowser.post(
      `/tickets/${annTicket.id}`,
      { status: "solved" },
      { csrfFrom: `/tickets/${annTicket.id}` },
    );
    assert.equal(solve.statusCode, 403, "only the requester (or staff) changes it");
    assert.equal((await bobBrowser.get(`/tickets/${strangerTicket.id}`)).statusCode, 404);
    // The API lists and reads the same.
    const bobApi = await apiAs(world(), bob);
    const listed = await bobApi.get("/tickets");
    assert.ok(listed.body.data.some((t: { id: number }) => t.id === annTicket.id));
    assert.ok(!listed.body.data.some((t: { id: number }) => t.id === strangerTicket.id));
    assert.equal((await bobApi.get(`/tickets/${annTicket.id}/messages`)).status, 200);

    // Sharing off: as strangers again.
    await updateOrganisation(deps, admin, organisation.id, {
      name: organisation.name,
      shareTickets: false,
    });
    assert.ok(!(await bobBrowser.get("/tickets")).body.includes(annTicket.title));
    assert.equal((await bobBrowser.get(`/tickets/${annTicket.id}`)).statusCode, 404);
    const refused = await bobBrowser.post(
      `/tickets/${annTicket.id}/replies`,
      { content: "Again." },
      { csrfFrom: "/tickets" },
    );
    assert.equal(refused.statusCode, 404);
    assert.equal((await bobApi.get(`/tickets/${annTicket.id}`)).status, 404);
  });

  test("agents see the requester's organisation and filter the desk and the API by it", async () => {
    const { deps } = world();
    const { admin, organisation } = await makeOrganisation(world(), false);
    const member = await makeCustomer(deps);
    await addMember(deps, admin, organisation.id, member.email);
    const theirs = await makeTicket(deps, member, { title: `Member's ${unique()}` });
    const others = await makeTicket(deps, await makeCustomer(deps), { title: `Not ${unique()}` });
    const agent = await makeAgent(deps);
    const desk = await world().signedIn(agent);

    const page = await desk.get(`/tickets/${theirs.id}`);
    assert.ok(page.body.includes(`href="/desk?organisation=${organisation.id}"`));
    assert.ok(page.body.includes(organisation.name), "the name");
    const customerView = await (await world().signedIn(member)).get(`/tickets/${theirs.id}`);
    assert.ok(!customerView.body.includes(`/desk?organisation=`), "not for customers");

    const filtered = await desk.get(`/desk?queue=open&organisation=${organisation.id}`);
    assert.equal(filtered.statusCode, 200, filtered.body.slice(0, 300));
    assert.ok(filtered.body.includes(theirs.title), "the member's ticket");
    assert.ok(!filtered.body.includes(others.title), "no other ticket");
    assert.match(filtered.body, /<select name="organisation"/);
    assert.equal((await desk.get("/desk?organisation=abc")).statusCode, 400);

    const api = await apiAs(world(), agent);
    const listed = await api.get(`/tickets?organisationId=${organisation.id}&limit=100`);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.data.map((t: { id: number }) => t.id),
      [theirs.id],
    );
    assert.equal((await api.get("/tickets?organisationId=x")).status, 400);
    const orgs = await api.get("/organisations");
    const mine = orgs.body.data.find((o: { id: number }) => o.id === organisation.id);
    assert.deepEqual(mine.memberIds, [member.id]);
    assert.equal(mine.shareTickets, false);
    // A customer's organisationId filter widens nothing.
    const customerApi = await apiAs(world(), member);
    const own = await customerApi.get(`/tickets?organisationId=${organisation.id}`);
    assert.deepEqual(
      own.body.data.map((t: { id: number }) => t.id),
      [theirs.id],
    );
    assert.equal((await customerApi.get("/organisations")).status, 403);
  });

  test("admins manage organisations, domains and members on their page", async () => {
    const { deps } = world();
    const admin = await world().signedIn(await makeAdmin(deps));
    const name = `Page Org ${unique()}`;
    const domain = `page-${unique()}.example`;
    const created = await admin.post(
      "/admin/organisations",
      { name, domains: `${domain}\nnot a domain`, shareTickets: "true" },
      { csrfFrom: "/admin/organisations" },
    );
    assert.equal(created.statusCode, 422);
    assert.match(created.body, /Domains are not mail domains: not, a, domain/);
    const ok = await admin.post(
      "/admin/organisations",
      { name, domains: domain, shareTickets: "true" },
      { csrfFrom: "/admin/organisations" },
    );
    assert.equal(ok.statusCode, 303);
    const page = await admin.get("/admin/organisations");
    assert.ok(page.body.includes(name) && page.body.includes(domain));
    const id = Number(new RegExp(`id="organisation-(\\d+)">${name}<`).exec(page.body)?.[1]);
    assert.ok(id > 0);
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const notCustomer = await admin.post(
      `/admin/organisations/${id}/members`,
      { email: agent.email },
      { csrfFrom: "/admin/organisations" },
    );
    assert.equal(notCustomer.statusCode, 422);
    const added = await admin.post(
      `/admin/organisations/${id}/members`,
      { email: customer.email },
      { csrfFrom: "/admin/organisations" },
    );
    assert.equal(added.statusCode, 303);
    assert.equal(await membership(world(), customer.id), id);
    const removed = await admin.post(
      `/admin/organisations/${id}/members/${customer.id}/remove`,
      {},
      { csrfFrom: "/admin/organisations" },
    );
    assert.equal(removed.statusCode, 303);
    assert.equal(await membership(world(), customer.id), undefined);
    const deleted = await admin.post(
      `/admin/organisations/${id}/delete`,
      {},
      { csrfFrom: "/admin/organisations" },
    );
    assert.equal(deleted.statusCode, 303);
    const left = await deps.db
      .select()
      .from(organisationDomains)
      .where(eq(organisationDomains.domain, domain));
    assert.deepEqual(left, [], "its domains go with it");
  });
});
