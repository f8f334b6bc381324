import { LANGUAGE_NAMES, LOCALES } from "../../i18n/i18n.ts";
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

const ROLE_LABELS: Record<Role, string> = {
  customer: "Customer",
  agent: "Agent",
  admin: "Admin",
};

function RoleOptions({ selected }: { selected: string | undefined }) {
  return (
    <>
      {ROLES.map((role) => (
        <option value={role} selected={role === selected}>
          {ROLE_LABELS[role]}
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
  return (
    <tr>
      <th scope="row" class="name">
        {user.name}
        {isSelf && <span class="muted"> (you)</span>}
      </th>
      <td>{user.email}</td>
      <td class="role">
        <form method="post" action={action} class="inline">
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="back" value={back} />
          <label for={`role-${user.id}`} class="visually-hidden">
            {`Role of ${user.name}`}
          </label>
          <select id={`role-${user.id}`} name="role">
            <RoleOptions selected={user.role} />
          </select>{" "}
          <button type="submit">
            Save<span class="visually-hidden">{` role of ${user.name}`}</span>
          </button>
        </form>
      </td>
      <td>{user.disabled ? "Disabled" : "Active"}</td>
      <td class="created">
        <DateCell date={user.createdAt} />
      </td>
      <td class="access">
        <form method="post" action={action} class="inline">
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="back" value={back} />
          <input type="hidden" name="disabled" value={user.disabled ? "false" : "true"} />
          <button type="submit" class={user.disabled ? undefined : "danger"}>
            {user.disabled ? "Enable" : "Disable"}
            <span class="visually-hidden">{` ${user.name}`}</span>
          </button>
        </form>{" "}
        {!user.disabled && (
          <form method="post" action={`${action}/sessions/end`} class="inline">
            <Csrf token={ctx.csrfToken} />
            <input type="hidden" name="back" value={back} />
            <button type="submit">
              Sign out everywhere<span class="visually-hidden">{` ${user.name}`}</span>
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
  return (
    <Layout ctx={ctx} title="Users">
      <section>
        <div class="page-head">
          <h1>Users</h1>
          <a href="/admin/tokens" class="button">
            API tokens
          </a>
          <a href="/admin/users/new" class="button primary">
            Create user
          </a>
        </div>
        {problem && (
          <div class="form-errors" role="alert" tabIndex={-1}>
            <p>{problem}</p>
          </div>
        )}
        <form method="get" action="/admin/users" class="filters" aria-label="Filter users">
          <div class="field">
            <label for="filter-q">Name or email</label>
            <input id="filter-q" type="search" name="q" value={filters.q} maxLength={200} />
          </div>
          <div class="field">
            <label for="filter-role">Role</label>
            <select id="filter-role" name="role">
              <option value="" selected={!filters.role}>
                All roles
              </option>
              <RoleOptions selected={filters.role} />
            </select>
          </div>
          <button type="submit">Filter</button>
        </form>
        {users.length === 0 ? (
          <p>No users match these filters.</p>
        ) : (
          <table class="users">
            <caption class="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Access</th>
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
          <nav aria-label="Pages" class="pager">
            <a href={usersListUrl({ ...filters, afterId: nextAfterId })} rel="next">
              Next page
            </a>
          </nav>
        )}
      </section>
      <section>
        <h2>Sign-up and sign-in</h2>
        <form method="post" action="/admin/settings" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <div class="field checkbox">
            <input
              id="field-signupEnabled"
              type="checkbox"
              name="signupEnabled"
              value="true"
              checked={checked(typed.signupEnabled, signupEnabled)}
            />
            <label for="field-signupEnabled">Customers may sign up</label>
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
            <label for="field-requireStaffTwoFactor">Require two-factor sign-in for staff</label>
            <p class="hint" id="field-requireStaffTwoFactor-hint">
              Agents and admins without it are sent to set it up and can do nothing else until they
              have. Turn it on for your own account first.
            </p>
          </div>
          <fieldset class="options">
            <legend>The link to the ticket in mail to customers</legend>
            <label>
              <input
                type="radio"
                name="ticketLinks"
                value="open"
                checked={(typed.ticketLinks ?? ticketLinks) === "open"}
              />{" "}
              Opens that ticket alone, without a password (for 30 days)
            </label>
            <label>
              <input
                type="radio"
                name="ticketLinks"
                value="set_password"
                checked={(typed.ticketLinks ?? ticketLinks) === "set_password"}
              />{" "}
              Asks customers without a password to choose one first; others sign in
            </label>
          </fieldset>
          <Field form={form} name="defaultLocale" label="Default language">
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
            label="Default time zone"
            hint="An IANA zone such as Europe/Paris, for everyone who has not chosen their own."
          >
            {(props) => (
              <TimeZoneInput
                field={props}
                name="defaultTimeZone"
                value={typed.defaultTimeZone ?? languageDefaults.timeZone}
              />
            )}
          </Field>
          <button type="submit">Save settings</button>
        </form>
        <p>
          <a href="/admin/sso">Single sign-on providers (OpenID Connect)</a>
        </p>
      </section>
    </Layout>
  );
}

type NewUserValues = { email: string; name: string; role: string };

export function NewUserPage({ ctx, form }: { ctx: PageContext; form: FormState<NewUserValues> }) {
  return (
    <Layout ctx={ctx} title="Create user">
      <section class="narrow">
        <h1>Create user</h1>
        <form method="post" action="/admin/users" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <Field form={form} name="role" label="Role">
            {(a) => (
              <select {...a} name="role" required>
                <RoleOptions selected={form.values.role ?? "customer"} />
              </select>
            )}
          </Field>
          <AccountFields form={form} forSomeoneElse />
          <button type="submit" class="primary">
            Create user
          </button>
        </form>
        <p>
          <a href="/admin/users">Back to users</a>
        </p>
      </section>
    </Layout>
  );
}
