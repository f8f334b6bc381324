import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import type { MessageKey, Translator } from "../i18n/i18n.ts";
import { Conflict, type FieldError, Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { readerOf } from "../platform/i18n.ts";
import { pageContext } from "../platform/views/context.ts";
import {
  emptyForm,
  errorText,
  type FormState,
  fieldErrorText,
  formMessageText,
} from "../platform/views/forms.tsx";
import type { UpdateUserInput } from "./accounts.schemas.ts";
import * as accounts from "./accounts.service.ts";
import { type Actor, ROLES, type Role } from "./actor.ts";
import * as twoFactor from "./two-factor.service.ts";
import {
  NewUserPage,
  type SettingsValues,
  type UserListFilters,
  UsersPage,
  usersListUrl,
} from "./views/admin.tsx";

/** Users shown on one page of the list. */
const PAGE_SIZE = 50;

function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** The list's filters from a query; unknown roles mean "all", a malformed `after` is refused. */
function parseFilters(query: Record<string, unknown>): UserListFilters {
  const { role, q, after } = query;
  let afterId: number | undefined;
  if (typeof after === "string" && after !== "") {
    afterId = parseId(after);
    if (afterId === undefined) {
      throw Invalid.field("after", "is not a page of this list", "admin.notAPage");
    }
  }
  return {
    role: isRole(role) ? role : undefined,
    q: typeof q === "string" ? q.trim().slice(0, 200) : "",
    afterId,
  };
}

function parseUserId(raw: string): number {
  const id = parseId(raw);
  if (id === undefined) throw new NotFound("user");
  return id;
}

function parseDisabled(raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw Invalid.field("disabled", "must be one of: true, false", "error.field.oneOf", {
    choices: "true, false",
  });
}

/** The names of a user's fields on the list, the `{label}` of a refused change's sentence. */
const USER_FIELD_KEYS: Record<string, MessageKey> = {
  role: "users.role",
  disabled: "users.status",
};

/** A refused change to a user, each problem as a sentence in the reader's language. */
function changeNotSaved(errors: FieldError[], t: Translator["t"]): string {
  const detail = errors
    .map((e) => {
      const key = USER_FIELD_KEYS[e.field];
      return `${fieldErrorText(e, key ? t(key) : e.field, t)}.`;
    })
    .join(" ");
  return t("users.changeNotSaved", { detail });
}

/** User management and instance settings, for admins only. */
export async function adminPages(app: FastifyInstance, deps: Deps) {
  async function renderList(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    filters: UserListFilters,
    refused?: { status: number; message?: string; settingsForm?: FormState<SettingsValues> },
  ) {
    const [
      { users, nextAfterId },
      signupEnabled,
      requireStaffTwoFactor,
      ticketLinks,
      languageDefaults,
    ] = await Promise.all([
      accounts.listUsers(deps, actor, {
        ...filters,
        q: filters.q || undefined,
        limit: PAGE_SIZE,
      }),
      accounts.isSignupEnabled(deps),
      twoFactor.isRequiredForStaff(deps),
      accounts.getTicketLinkMode(deps),
      accounts.getInstanceLanguageDefaults(deps),
    ]);
    return reply.render(
      <UsersPage
        ctx={pageContext(req, reply)}
        users={users}
        filters={filters}
        nextAfterId={nextAfterId}
        signupEnabled={signupEnabled}
        requireStaffTwoFactor={requireStaffTwoFactor}
        ticketLinks={ticketLinks}
        languageDefaults={languageDefaults}
        problem={refused?.message}
        settingsForm={refused?.settingsForm}
      />,
      refused?.status,
    );
  }

  app.get("/admin/users", async (req, reply) => {
    const actor = requireAdmin(req);
    return renderList(req, reply, actor, parseFilters(req.query as Record<string, unknown>));
  });

  app.get("/admin/users/new", async (req, reply) => {
    requireAdmin(req);
    return reply.render(
      <NewUserPage ctx={pageContext(req, reply)} form={emptyForm({ role: "customer" })} />,
    );
  });

  app.post("/admin/users", async (req, reply) => {
    const actor = requireAdmin(req);
    const { email = "", name = "", role = "", password = "" } = formFields(req);
    const result = await attempt(() =>
      // The role is checked against the list of roles by the service.
      accounts.createUser(deps, actor, { email, name, role: role as Role, password }),
    );
    if (!result.ok) {
      return reply.render(
        <NewUserPage
          ctx={pageContext(req, reply)}
          form={refusedForm({ email, name, role }, result)}
        />,
        422,
      );
    }
    return reply.redirect("/admin/users?notice=user-created", 303);
  });

  app.post("/admin/users/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = parseUserId((req.params as { id: string }).id);
    const { role, disabled, back = "" } = formFields(req);
    // Only the known filters are taken from `back`, so the redirect stays on this list.
    const filters = parseFilters(Object.fromEntries(new URLSearchParams(back)));
    let updated: accounts.User;
    try {
      const result = await attempt(async () => {
        const change: UpdateUserInput = {};
        // The role is checked against the list of roles by the service.
        if (role) change.role = role as Role;
        const disable = parseDisabled(disabled);
        if (disable !== undefined) change.disabled = disable;
        return accounts.updateUser(deps, actor, id, change);
      });
      if (!result.ok) {
        return renderList(req, reply, actor, filters, {
          status: 422,
          message:
            result.message === undefined
              ? changeNotSaved(result.errors, readerOf(req).t)
              : formMessageText(refusedForm({}, result), readerOf(req).t),
        });
      }
      updated = result.value;
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      return renderList(req, reply, actor, filters, {
        status: 409,
        message: errorText(error, readerOf(req).t),
      });
    }
    // An admin who demoted or disabled themselves cannot see this list any more.
    if (updated.id === actor.id && (updated.disabled || updated.role !== "admin")) {
      return reply.redirect("/", 303);
    }
    return reply.redirect(usersListUrl(filters, "user-updated"), 303);
  });

  // Ends every session of a user: they must sign in again on every device.
  app.post("/admin/users/:id/sessions/end", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = parseUserId((req.params as { id: string }).id);
    const { back = "" } = formFields(req);
    const filters = parseFilters(Object.fromEntries(new URLSearchParams(back)));
    await accounts.endUserSessions(deps, actor, id);
    // An admin who ended their own sessions is signed out here too.
    if (id === actor.id) return reply.redirect("/login?notice=signed-out", 303);
    return reply.redirect(usersListUrl(filters, "sessions-ended"), 303);
  });

  app.post("/admin/settings", async (req, reply) => {
    const actor = requireAdmin(req);
    const { signupEnabled, requireStaffTwoFactor, ticketLinks, defaultLocale, defaultTimeZone } =
      formFields(req);
    const checked = (value: string | undefined) => value === "true" || value === "on";
    // The language defaults are checked first, so a refused zone changes none of the settings.
    if (defaultLocale !== undefined || defaultTimeZone !== undefined) {
      const set = await attempt(() =>
        accounts.setInstanceLanguageDefaults(deps, actor, {
          locale: defaultLocale?.trim() ?? "",
          timeZone: defaultTimeZone?.trim() ?? "",
        }),
      );
      if (!set.ok) {
        // Shown at the fields, with what was typed kept (the other settings too: none was saved).
        const values: Partial<SettingsValues> = {
          signupEnabled: signupEnabled ?? "",
          requireStaffTwoFactor: requireStaffTwoFactor ?? "",
        };
        if (ticketLinks !== undefined) values.ticketLinks = ticketLinks;
        if (defaultLocale !== undefined) values.defaultLocale = defaultLocale;
        if (defaultTimeZone !== undefined) values.defaultTimeZone = defaultTimeZone;
        return renderList(req, reply, actor, parseFilters({}), {
          status: 422,
          settingsForm: refusedForm(values, set),
        });
      }
    }
    await accounts.setSignupEnabled(deps, actor, checked(signupEnabled));
    if (ticketLinks !== undefined) await accounts.setTicketLinkMode(deps, actor, ticketLinks);
    try {
      await twoFactor.setRequiredForStaff(deps, actor, checked(requireStaffTwoFactor));
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      return renderList(req, reply, actor, parseFilters({}), {
        status: 409,
        message: errorText(error, readerOf(req).t),
      });
    }
    return reply.redirect("/admin/users?notice=settings-saved", 303);
  });
}
