import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { ORGANISATION_NAME_MAX } from "../organisations.schemas.ts";
import type { OrganisationDetails } from "../organisations.service.ts";

/** An organisation's form values, as typed (kept when a save is refused). */
export interface OrganisationFormValues {
  name: string;
  /** Domains, one per line (or separated by commas or spaces). */
  domains: string;
  shareTickets: boolean;
}

function OrganisationFields({
  prefix,
  values,
}: {
  prefix: string;
  values: OrganisationFormValues;
}) {
  const id = (name: string) => `${prefix}-${name}`;
  return (
    <>
      <div class="field">
        <label for={id("name")}>Name</label>
        <input
          id={id("name")}
          name="name"
          required
          maxLength={ORGANISATION_NAME_MAX}
          value={values.name}
        />
      </div>
      <div class="field">
        <label for={id("domains")}>Mail domains, one per line</label>
        <textarea id={id("domains")} name="domains" rows={2}>
          {values.domains}
        </textarea>
        <p class="hint">
          A customer who confirms an address at one of these (signing up, resetting a password, or
          setting one from a ticket link) joins this organisation. Mail alone proves nothing: add
          those customers below.
        </p>
      </div>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("share")}
          name="shareTickets"
          value="true"
          checked={values.shareTickets}
        />
        <label for={id("share")}>
          Members see and answer each other's tickets (never internal notes)
        </label>
      </div>
    </>
  );
}

function OrganisationSection({
  ctx,
  organisation,
}: {
  ctx: PageContext;
  organisation: OrganisationDetails;
}) {
  const action = `/admin/organisations/${organisation.id}`;
  const name = organisation.name;
  return (
    <section class="team" aria-labelledby={`organisation-${organisation.id}`}>
      <h2 id={`organisation-${organisation.id}`}>{name}</h2>
      <p>
        <a href={`/desk?organisation=${organisation.id}`}>Its tickets on the desk</a>
      </p>
      <form method="post" action={action}>
        <Csrf token={ctx.csrfToken} />
        <OrganisationFields
          prefix={`organisation-${organisation.id}`}
          values={{
            name,
            domains: organisation.domains.join("\n"),
            shareTickets: organisation.shareTickets,
          }}
        />
        <button type="submit">
          Save<span class="visually-hidden">{` organisation ${name}`}</span>
        </button>
      </form>
      <h3>Members</h3>
      {organisation.members.length === 0 ? (
        <p class="muted">Nobody yet.</p>
      ) : (
        <ul class="members">
          {organisation.members.map((m) => (
            <li>
              {m.name} <span class="muted">{m.email}</span>
              {m.disabled && <span class="badge"> disabled</span>}{" "}
              <form method="post" action={`${action}/members/${m.userId}/remove`} class="inline">
                <Csrf token={ctx.csrfToken} />
                <button type="submit" class="link">
                  Remove<span class="visually-hidden">{` ${m.name} from ${name}`}</span>
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <form method="post" action={`${action}/members`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <label for={`member-${organisation.id}`}>Add a customer by address</label>{" "}
        <input id={`member-${organisation.id}`} name="email" type="email" required />{" "}
        <button type="submit">Add</button>
      </form>
      <form method="post" action={`${action}/delete`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <button type="submit" class="danger">
          Delete organisation<span class="visually-hidden">{` ${name}`}</span>
        </button>
      </form>
    </section>
  );
}

const EMPTY: OrganisationFormValues = { name: "", domains: "", shareTickets: false };

export function OrganisationsPage({
  ctx,
  organisations,
  problem,
  newOrganisation,
}: {
  ctx: PageContext;
  organisations: OrganisationDetails[];
  /** Why the last change was refused. */
  problem?: string | undefined;
  /** The new-organisation form as typed, when creating it was refused. */
  newOrganisation?: OrganisationFormValues | undefined;
}) {
  return (
    <Layout ctx={ctx} title="Organisations">
      <h1>Organisations</h1>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{problem}</p>
        </div>
      )}
      {organisations.length === 0 && <p class="muted">No organisations yet.</p>}
      {organisations.map((organisation) => (
        <OrganisationSection ctx={ctx} organisation={organisation} />
      ))}
      <section aria-labelledby="new-organisation">
        <h2 id="new-organisation">New organisation</h2>
        <form method="post" action="/admin/organisations">
          <Csrf token={ctx.csrfToken} />
          <OrganisationFields prefix="new" values={newOrganisation ?? EMPTY} />
          <button type="submit">Create organisation</button>
        </form>
      </section>
    </Layout>
  );
}
