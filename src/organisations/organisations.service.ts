import { type Actor, findUserByEmail, isAdmin, isStaff } from "../accounts/index.ts";
import type { Executor } from "../db/client.ts";
import { Watched } from "../db/watched.ts";
import type { Deps } from "../deps.ts";
import { Forbidden, Invalid, NotFound, Taken } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import * as repo from "./organisations.repo.ts";
import { DOMAINS_MAX, OrganisationInput } from "./organisations.schemas.ts";

/**
 * Customers' organisations: a name, the mail domains that are theirs, and
 * whether members see each other's tickets (off by default). A customer is in
 * one organisation at most. They join it by proving an address at one of its
 * domains (a confirmed sign-up, a password reset, a ticket link that sets a
 * password: `joinByVerifiedAddress`), or an admin adds them. An address that
 * only sent mail, or that staff typed, proves nothing: it joins no
 * organisation by itself. What membership lets a customer see is decided in
 * tickets/access.ts with `sharesTickets` and `colleaguesQuery`.
 */

export type Organisation = repo.OrganisationRow;
export interface OrganisationMember {
  userId: number;
  name: string;
  email: string;
  disabled: boolean;
}
export type OrganisationDetails = Organisation & {
  domains: string[];
  members: OrganisationMember[];
};

/**
 * Every organisation's id and name, kept in memory on a listening node (the
 * desk's filter reads it on every page). Every change to organisations goes
 * through `organisationNames.change`.
 */
export const organisationNames = new Watched("tessera_organisations", async (db: Executor) =>
  (await repo.listOrganisations(db)).map((o) => ({ id: o.id, name: o.name })),
);

function requireAdminActor(actor: Actor): void {
  if (!isAdmin(actor))
    throw new Forbidden("Only admins manage organisations.", "error.onlyAdmins.organisations");
}

/** Organisations with their domains and members, by name (staff only). */
export async function listOrganisations(deps: Deps, actor: Actor): Promise<OrganisationDetails[]> {
  if (!isStaff(actor)) throw new Forbidden();
  const [rows, domains, members] = await Promise.all([
    repo.listOrganisations(deps.db),
    repo.listDomains(deps.db),
    repo.listMembers(deps.db),
  ]);
  return rows.map((o) => ({
    ...o,
    domains: domains.filter((d) => d.organisationId === o.id).map((d) => d.domain),
    members: members
      .filter((m) => m.organisationId === o.id)
      .map(({ organisationId: _, ...m }) => m),
  }));
}

/** Every organisation's id and name (staff only), for filters: from memory on a server. */
export async function organisationChoices(
  deps: Deps,
  actor: Actor,
): Promise<{ id: number; name: string }[]> {
  if (!isStaff(actor)) throw new Forbidden();
  return organisationNames.get(deps.db, deps.db);
}

// A host name: labels of letters, digits and inner hyphens, a dot between, a
// top-level label that is not all digits (IDNs in their xn-- form).
const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** The domains typed in a form or body: lower case, without "@", each checked, no repeats. */
export function parseDomains(text: string, field = "domains"): string[] {
  const domains = [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((d) => d.trim().toLowerCase().replace(/^@/, "").replace(/\.$/, ""))
        .filter((d) => d !== ""),
    ),
  ];
  const bad = domains.filter((d) => !DOMAIN.test(d));
  if (bad.length > 0) {
    const list = bad.slice(0, 5).join(", ");
    throw Invalid.field(field, `are not mail domains: ${list}`, "error.field.notMailDomains", {
      domains: list,
    });
  }
  if (domains.length > DOMAINS_MAX) {
    throw Invalid.field(field, `must be at most ${DOMAINS_MAX}`, "error.field.atMost", {
      max: DOMAINS_MAX,
    });
  }
  return domains;
}

async function saveDomains(tx: Executor, id: number, domains: string[]): Promise<void> {
  const taken = await repo.domainsTaken(tx, domains, id);
  if (taken.length > 0) {
    const names = taken.map((t) => t.domain).join(", ");
    throw new Taken(
      "domains",
      `${names} already belong${taken.length === 1 ? "s" : ""} to another organisation`,
      "error.field.domainsTaken",
      { domains: names, count: taken.length },
    );
  }
  await repo.setDomains(tx, id, domains);
}

/** Creates an organisation (admins only); names are unique in any case, and so are domains. */
export async function createOrganisation(
  deps: Deps,
  actor: Actor,
  input: OrganisationInput,
): Promise<Organisation> {
  requireAdminActor(actor);
  const data = parse(OrganisationInput, trimFields(input, ["name"]));
  const domains = parseDomains(data.domains ?? "");
  return organisationNames.change(deps.db, async (tx) => {
    const row = await repo.insertOrganisation(tx, {
      name: data.name,
      shareTickets: data.shareTickets ?? false,
    });
    if (!row)
      throw new Taken("name", "is the name of another organisation", "error.field.orgNameTaken");
    await saveDomains(tx, row.id, domains);
    return row;
  });
}

/** Renames an organisation, replaces its domains and sets its sharing (admins only). */
export async function updateOrganisation(
  deps: Deps,
  actor: Actor,
  id: number,
  input: OrganisationInput,
): Promise<Organisation> {
  requireAdminActor(actor);
  const data = parse(OrganisationInput, trimFields(input, ["name"]));
  const domains = parseDomains(data.domains ?? "");
  return organisationNames.change(deps.db, async (tx) => {
    const other = await repo.findOrganisationByName(tx, data.name);
    if (other && other.id !== id)
      throw new Taken("name", "is the name of another organisation", "error.field.orgNameTaken");
    const row = await repo.updateOrganisation(tx, id, {
      name: data.name,
      shareTickets: data.shareTickets ?? false,
    });
    if (!row) throw new NotFound("organisation", id);
    await saveDomains(tx, id, domains);
    return row;
  });
}

/** Deletes an organisation (admins only): its members stay, in no organisation. */
export async function deleteOrganisation(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdminActor(actor);
  await organisationNames.change(deps.db, async (tx) => {
    if (!(await repo.deleteOrganisation(tx, id))) throw new NotFound("organisation", id);
  });
}

/**
 * Puts a customer, named by address, in an organisation (admins only), moving
 * them from any other: staff vouch for who belongs, whatever the domain.
 */
export async function addMember(
  deps: Deps,
  actor: Actor,
  organisationId: number,
  email: string,
): Promise<void> {
  requireAdminActor(actor);
  if (!(await repo.findOrganisation(deps.db, organisationId))) {
    throw new NotFound("organisation", organisationId);
  }
  const user = email.trim() ? await findUserByEmail(deps, actor, email) : undefined;
  if (user?.role !== "customer") {
    throw Invalid.field(
      "email",
      "must be the address of a customer",
      "error.field.customerAddress",
    );
  }
  await repo.setMembership(deps.db, user.id, organisationId);
}

/** Takes a customer out of an organisation (admins only). */
export async function removeMember(
  deps: Deps,
  actor: Actor,
  organisationId: number,
  userId: number,
): Promise<void> {
  requireAdminActor(actor);
  if (!(await repo.removeMember(deps.db, organisationId, userId))) {
    throw new NotFound("member", userId);
  }
}

/**
 * A customer proved `email` is theirs (they followed a link mailed to it): they
 * join the organisation of its domain, in the caller's transaction, unless
 * they are in one already. Returns the organisation joined, if any.
 */
export async function joinByVerifiedAddress(
  db: Executor,
  user: { id: number; email: string; role: string },
): Promise<number | undefined> {
  if (user.role !== "customer") return undefined;
  const domain = user.email.slice(user.email.lastIndexOf("@") + 1).toLowerCase();
  const organisationId = await repo.findOrganisationOfDomain(db, domain);
  if (organisationId === undefined) return undefined;
  return (await repo.joinIfNone(db, user.id, organisationId)) ? organisationId : undefined;
}

/** Whether `userId` and `otherId` are members of one organisation that shares tickets. */
export async function sharesTickets(
  db: Executor,
  userId: number,
  otherId: number,
): Promise<boolean> {
  return repo.sharesTickets(db, userId, otherId);
}

/** The users whose tickets `userId` sees as colleagues (a subquery for list statements). */
export function colleaguesQuery(db: Executor, userId: number) {
  return repo.colleaguesQuery(db, userId);
}

/** The members of an organisation (a subquery for list statements). */
export function membersQuery(db: Executor, organisationId: number) {
  return repo.membersQuery(db, organisationId);
}
