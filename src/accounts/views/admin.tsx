import type { ComponentChildren } from "preact";
import { LANGUAGE_NAMES, LOCALES, type MessageKey, type Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  emptyForm,
  Field,
  FormErrors,
  type FormState,
  TimeZoneInput,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import type { TicketLinkMode } from "../../settings/settings.service.ts";
import type { User } from "../accounts.service.ts";
import { ROLES, type Role } from "../actor.ts";
import { AccountFields } from "./account-fields.tsx";

/** The instance settings form's fields as posted (checkboxes absent when off). */
export type SettingsValues = {
  signupEnabled: string;
  requireStaffTwoFactor: string;
  ticketLinks: string;
  defaultLocale: string;
  defaultTimeZone: string;
};

/** The list's filters as they appear in its URL. */
export interface UserListFilters {
  role: Role | undefined;
  q: string;
  afterId: number | undefined;
}

/** The users list URL for `filters` (page start unless `afterId`), with an optional notice key. */
export function usersListUrl(filters: Partial<UserListFilters>, notice?: string): string {
  const params = new URLSearchParams();
  if (filters.role) params.set("role", filters.role);
  if (filters.q) params.set("q", filters.q);
  if (filters.afterId !== undefined) params.set("after", String(filters.afterId));
  if (notice) params.set("notice", notice);
  const query = params.toString();
  return query ? `/admin/users?${query}` : "/admin/users";
}

/** Each role's name in the catalogs. */
const ROLE_KEYS: Record<Role, MessageKey> = {
  customer: "users.role.customer",
  agent: "users.role.agent",
  admin: "users.role.admin",
};

/**
 * The `<hidden>` tag of a message: words for screen readers only (the rest of
 * a button's name, which sighted readers see from its row).
 */
export const hidden = (chunks: ComponentChildren) => <span class="visually-hidden">{chunks}</span>;

function RoleOptions({ selected, t }: { selected: string | undefined; t: Translator["t"] }) {
  return (
    <>
      {ROLES.map((role) => (
        <option value={role} selected={role === selected}>
          {t(ROLE_KEYS[role])}
        </option>
      ))}
    </>
  );
}

function DateCell({ date }: { date: Date }) {
  const iso = date.toISOString();
  return <time dateTime={iso}>{iso.slice(0, 10)}</time>;
}

/** One user's row: details plus the forms to change the role and to disable or enable. */
function UserRow({
  ctx,
  user,
  back,
}: {
  ctx: PageContext;
  user: User;
  /** The list's query string, so a change returns to the same page of the same filter. */
  back: string;
}) {
  const action = `/admin/users/${user.id}`;
  const isSelf = ctx.actor?.id === user.id;
  const { t, rich } = ctx.i18n;
  return (
    <tr>
      <th scope="row" class="name">
        {user.name}
        {isSelf && <span class="muted">{` ${t("users.you")}`}</span>}
      </th>
      <td>{user.email}</td>
      <td class="role">
        <form method="post" action={action} class="inline">
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="back" value={back} />
          <label for={`role-${user.id}`} class="visually-hidden">
            {t("users.roleOf", { name: user.name })}
          </label>
          <select id={`role-${user.id}`} name="role">
            <RoleOptions selected={user.role} t={t} />
          </select>{" "}
          <button type="submit">{rich("users.saveRole", { name: user.name, hidden })}</button>
        </form>
      </td>
      <td>{user.disabled ? t("users.disabled") : t("users.active")}</td>
      <td class="created">
        <DateCell date={user.createdAt} />
      </td>
      <td class="access">
        <form method="post" action={action} class="inline">
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="back" value={back} />
          <input type="hidden" name="disabled" value={user.disabled ? "false" : "true"} />
          <button type="submit" class={user.disabled ? undefined : "danger"}>
            {rich(user.disabled ? "users.enable" : "users.disable", { name: user.name, hidden })}
          </button>
        </form>{" "}
        {!user.disabled && (
          <form method="post" action={`${action}/sessions/end`} class="inline">
            <Csrf token={ctx.csrfToken} />
            <input type="hidden" name="back" value={back} />
            <button type="submit">
              {rich("users.signOutEverywhere", { name: user.name, hidden })}
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}

export function UsersPage({
  ctx,
  users,
  filters,
  nextAfterId,
  signupEnabled,
  requireStaffTwoFactor,
  ticketLinks,
  languageDefaults,
  problem,
  settingsForm,
}: {
  ctx: PageContext;
  users: User[];
  filters: UserListFilters;
  nextAfterId: number | undefined;
  signupEnabled: boolean;
  /** Staff must sign in with two-factor (and are sent to set it up). */
  requireStaffTwoFactor: boolean;
  ticketLinks: TicketLinkMode;
  /** The instance's default language and time zone (for readers with none of their own). */
  languageDefaults: { locale: string; timeZone: string };
  /** Why the last change was refused (e.g. it would remove the last admin). */
  problem?: string | undefined;
  /** A refused settings form: what was typed, and the fields at fault. */
  settingsForm?: FormState<SettingsValues> | undefined;
}) {
  const back = usersListUrl(filters).split("?")[1] ?? "";
  const form = settingsForm ?? emptyForm<SettingsValues>();
  const typed = form.values;
  const checked = (value: string | undefined, stored: boolean) =>
    value === undefined ? stored : value === "true" || value === "on";
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("users.title")}>
      <section>
        <div class="page-head">
          <h1>{t("users.title")}</h1>
          <a href="/admin/tokens" class="button">
            {t("users.apiTokens")}
          </a>
          <a href="/admin/users/new" class="button primary">
            {t("users.create")}
          </a>
        </div>
        {problem && (
          <div class="form-errors" role="alert" tabIndex={-1}>
            <p>{problem}</p>
          </div>
        )}
        <form
          method="get"
          action="/admin/users"
          class="filters"
          aria-label={t("users.filterLabel")}
        >
          <div class="field">
            <label for="filter-q">{t("users.nameOrEmail")}</label>
            <input id="filter-q" type="search" name="q" value={filters.q} maxLength={200} />
          </div>
          <div class="field">
            <label for="filter-role">{t("users.role")}</label>
            <select id="filter-role" name="role">
              <option value="" selected={!filters.role}>
                {t("users.allRoles")}
              </option>
              <RoleOptions selected={filters.role} t={t} />
            </select>
          </div>
          <button type="submit">{t("users.filter")}</button>
        </form>
        {users.length === 0 ? (
          <p>{t("users.noMatch")}</p>
        ) : (
          <table class="users">
            <caption class="visually-hidden">{t("users.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("field.name")}</th>
                <th scope="col">{t("field.email")}</th>
                <th scope="col">{t("users.role")}</th>
                <th scope="col">{t("users.status")}</th>
                <th scope="col">{t("users.created")}</th>
                <th scope="col">{t("users.access")}</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <UserRow ctx={ctx} user={user} back={back} />
              ))}
            </tbody>
          </table>
        )}
        {nextAfterId !== undefined && (
          <nav aria-label={t("pager.label")} class="pager">
            <a href={usersListUrl({ ...filters, afterId: nextAfterId })} rel="next">
              {t("pager.next")}
            </a>
          </nav>
        )}
      </section>
      <section>
        <h2>{t("users.settingsHeading")}</h2>
        <form method="post" action="/admin/settings" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <div class="field checkbox">
            <input
              id="field-signupEnabled"
              type="checkbox"
              name="signupEnabled"
              value="true"
              checked={checked(typed.signupEnabled, signupEnabled)}
            />
            <label for="field-signupEnabled">{t("users.signupEnabled")}</label>
          </div>
          <div class="field checkbox">
            <input
              id="field-requireStaffTwoFactor"
              type="checkbox"
              name="requireStaffTwoFactor"
              value="true"
              checked={checked(typed.requireStaffTwoFactor, requireStaffTwoFactor)}
              aria-describedby="field-requireStaffTwoFactor-hint"
            />
            <label for="field-requireStaffTwoFactor">{t("users.requireTwoFactor")}</label>
            <p class="hint" id="field-requireStaffTwoFactor-hint">
              {t("users.requireTwoFactorHint")}
            </p>
          </div>
          <fieldset class="options">
            <legend>{t("users.ticketLinks")}</legend>
            <label>
              <input
                type="radio"
                name="ticketLinks"
                value="open"
                checked={(typed.ticketLinks ?? ticketLinks) === "open"}
              />{" "}
              {t("users.ticketLinksOpen")}
            </label>
            <label>
              <input
                type="radio"
                name="ticketLinks"
                value="set_password"
                checked={(typed.ticketLinks ?? ticketLinks) === "set_password"}
              />{" "}
              {t("users.ticketLinksSetPassword")}
            </label>
          </fieldset>
          <Field form={form} name="defaultLocale" label={t("users.defaultLocale")}>
            {(props) => (
              <select {...props} name="defaultLocale">
                {LOCALES.map((l) => (
                  <option
                    value={l}
                    lang={l}
                    selected={l === (typed.defaultLocale ?? languageDefaults.locale)}
                  >
                    {LANGUAGE_NAMES[l]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            form={form}
            name="defaultTimeZone"
            label={t("users.defaultTimeZone")}
            hint={t("users.defaultTimeZoneHint")}
          >
            {(props) => (
              <TimeZoneInput
                field={props}
                name="defaultTimeZone"
                value={typed.defaultTimeZone ?? languageDefaults.timeZone}
              />
            )}
          </Field>
          <button type="submit">{t("users.saveSettings")}</button>
        </form>
        <p>
          <a href="/admin/sso">{t("users.ssoLink")}</a>
        </p>
      </section>
    </Layout>
  );
}

type NewUserValues = { email: string; name: string; role: string };

export function NewUserPage({ ctx, form }: { ctx: PageContext; form: FormState<NewUserValues> }) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("users.create")}>
      <section class="narrow">
        <h1>{t("users.create")}</h1>
        <form method="post" action="/admin/users" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="role" label={t("users.role")}>
            {(a) => (
              <select {...a} name="role" required>
                <RoleOptions selected={form.values.role ?? "customer"} t={t} />
              </select>
            )}
          </Field>
          <AccountFields form={form} forSomeoneElse t={t} />
          <button type="submit" class="primary">
            {t("users.create")}
          </button>
        </form>
        <p>
          <a href="/admin/users">{t("users.backToUsers")}</a>
        </p>
      </section>
    </Layout>
  );
}
