import type { ComponentChildren } from "preact";
import type { Translator } from "../../i18n/i18n.ts";
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

const hidden = (chunks: ComponentChildren) => <span class="visually-hidden">{chunks}</span>;

function OrganisationFields({
  prefix,
  values,
  t,
}: {
  prefix: string;
  values: OrganisationFormValues;
  t: Translator["t"];
}) {
  const id = (name: string) => `${prefix}-${name}`;
  return (
    <>
      <div class="field">
        <label for={id("name")}>{t("organisations.field.name")}</label>
        <input
          id={id("name")}
          name="name"
          required
          maxLength={ORGANISATION_NAME_MAX}
          value={values.name}
        />
      </div>
      <div class="field">
        <label for={id("domains")}>{t("organisations.field.domainsPerLine")}</label>
        <textarea id={id("domains")} name="domains" rows={2}>
          {values.domains}
        </textarea>
        <p class="hint">{t("organisations.field.domainsHint")}</p>
      </div>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("share")}
          name="shareTickets"
          value="true"
          checked={values.shareTickets}
        />
        <label for={id("share")}>{t("organisations.field.shareTickets")}</label>
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
  const { t, rich } = ctx.i18n;
  const action = `/admin/organisations/${organisation.id}`;
  const name = organisation.name;
  return (
    <section class="team" aria-labelledby={`organisation-${organisation.id}`}>
      <h2 id={`organisation-${organisation.id}`}>{name}</h2>
      <p>
        <a href={`/desk?organisation=${organisation.id}`}>{t("organisations.ticketsOnDesk")}</a>
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
          t={t}
        />
        <button type="submit">{rich("organisations.save", { name, hidden })}</button>
      </form>
      <h3>{t("organisations.members")}</h3>
      {organisation.members.length === 0 ? (
        <p class="muted">{t("organisations.noMembers")}</p>
      ) : (
        <ul class="members">
          {organisation.members.map((m) => (
            <li>
              {m.name} <span class="muted">{m.email}</span>
              {m.disabled && <span class="badge">{` ${t("organisations.memberDisabled")}`}</span>}{" "}
              <form method="post" action={`${action}/members/${m.userId}/remove`} class="inline">
                <Csrf token={ctx.csrfToken} />
                <button type="submit" class="link">
                  {rich("organisations.removeMember", {
                    member: m.name,
                    organisation: name,
                    hidden,
                  })}
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <form method="post" action={`${action}/members`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <label for={`member-${organisation.id}`}>{t("organisations.addMember")}</label>{" "}
        <input id={`member-${organisation.id}`} name="email" type="email" required />{" "}
        <button type="submit">{t("organisations.add")}</button>
      </form>
      <form method="post" action={`${action}/delete`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <button type="submit" class="danger">
          {rich("organisations.delete", { name, hidden })}
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
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("organisations.title")}>
      <h1>{t("organisations.title")}</h1>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{problem}</p>
        </div>
      )}
      {organisations.length === 0 && <p class="muted">{t("organisations.none")}</p>}
      {organisations.map((organisation) => (
        <OrganisationSection ctx={ctx} organisation={organisation} />
      ))}
      <section aria-labelledby="new-organisation">
        <h2 id="new-organisation">{t("organisations.new")}</h2>
        <form method="post" action="/admin/organisations">
          <Csrf token={ctx.csrfToken} />
          <OrganisationFields prefix="new" values={newOrganisation ?? EMPTY} t={t} />
          <button type="submit">{t("organisations.create")}</button>
        </form>
      </section>
    </Layout>
  );
}
