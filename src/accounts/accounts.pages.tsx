import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { getNotificationPreference } from "../email/outbox.service.ts";
import { isLocale } from "../i18n/i18n.ts";
import { BadGateway, Forbidden, Invalid, NotFound, TooManyRequests } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { localPath } from "../lib/urls.ts";
import {
  clearSessionCookie,
  requireActor,
  secondStepCookie,
  setSessionCookie,
  ssoStateCookie,
} from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { readerOf, setLanguageCookie } from "../platform/i18n.ts";
import { pageContext } from "../platform/views/context.ts";
import { ErrorPage } from "../platform/views/error-page.tsx";
import { emptyForm, type FormState } from "../platform/views/forms.tsx";
import * as accounts from "./accounts.service.ts";
import { type Actor, isStaff } from "./actor.ts";
import { home, tooMany } from "./page-helpers.ts";
import * as recovery from "./recovery.service.ts";
import * as sso from "./sso.service.ts";
import * as twoFactor from "./two-factor.service.ts";
import {
  AccountPage,
  type LanguageValues,
  LoginPage,
  SetupPage,
  SignupPage,
} from "./views/auth.tsx";
import {
  ConfirmSignupPage,
  DeadLinkPage,
  ForgotPasswordPage,
  ResetPasswordPage,
} from "./views/recovery.tsx";
import { SessionsPage } from "./views/sessions.tsx";

// Pages reached by a mailed link: the secret is in the URL, so nothing is cached or referred.
function linkPage(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer");
}

function tokenOf(req: FastifyRequest): string {
  const { token } = req.query as { token?: unknown };
  return typeof token === "string" ? token : "";
}

/** Sign-in, sign-up, sign-out, first-run setup and the account page. */
export async function accountsPages(app: FastifyInstance, deps: Deps) {
  /**
   * After a correct password (or a used link): a fresh session (never reusing one sent
   * by the browser: no fixation) and on to `next`, or for an account with two-factor
   * no session yet, only the pending second step in its cookie, and on to the code.
   */
  async function signInAs(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    next: string,
  ): Promise<FastifyReply> {
    if (req.sessionToken) await accounts.endSession(deps, req.sessionToken);
    const step = await twoFactor.startSignIn(deps, actor, {
      ip: req.ip,
      userAgent: req.headers["user-agent"],
    });
    if (step.kind === "second-step") {
      if (req.sessionToken) clearSessionCookie(deps, reply);
      secondStepCookie.set(deps, reply, step.token);
      return reply.redirect(`/login/two-factor?next=${encodeURIComponent(next)}`, 303);
    }
    if (secondStepCookie.read(deps, req)) secondStepCookie.clear(deps, reply);
    setSessionCookie(deps, reply, step.token);
    return reply.redirect(next, 303);
  }

  app.get("/", async (req, reply) => reply.redirect(req.actor ? home(req.actor) : "/login", 303));

  app.get("/login", async (req, reply) => {
    const { next } = req.query as { next?: string };
    if (req.actor) return reply.redirect(localPath(next, home(req.actor)), 303);
    const [needsSetup, providers] = await Promise.all([
      accounts.needsSetup(deps),
      sso.signInChoices(deps),
    ]);
    return reply.render(
      <LoginPage
        ctx={pageContext(req, reply)}
        form={emptyForm({ next: localPath(next, "") })}
        needsSetup={needsSetup}
        providers={providers}
      />,
    );
  });

  /** The sign-in page again, saying why the last attempt did not sign anyone in. */
  async function loginRefused(
    req: FastifyRequest,
    reply: FastifyReply,
    values: { email?: string; next: string },
    refusal: Pick<FormState, "errors" | "message" | "messageKey" | "messageValues">,
    status: number,
  ): Promise<FastifyReply> {
    return reply.render(
      <LoginPage
        ctx={pageContext(req, reply)}
        form={{ values, ...refusal }}
        providers={await sso.signInChoices(deps)}
      />,
      status,
    );
  }

  function providerId(req: FastifyRequest): number {
    const id = parseId((req.params as { id: string }).id);
    if (id === undefined) throw new NotFound("sign-in provider");
    return id;
  }

  // Single sign-on: a link (a form's POST could not be redirected to the provider under the
  // CSP's form-action 'self'), then the provider's redirect back with the code.
  app.get("/login/sso/:id", async (req, reply) => {
    const id = providerId(req);
    const next = localPath((req.query as { next?: unknown }).next, "");
    try {
      const started = await sso.beginSignIn(deps, id, next);
      ssoStateCookie.set(deps, reply, started.cookie);
      return reply.header("cache-control", "no-store").redirect(started.url, 303);
    } catch (error) {
      if (!(error instanceof BadGateway)) throw error;
      return loginRefused(
        req,
        reply,
        { next },
        {
          errors: [],
          message: error.message,
          messageKey: error.messageKey,
          messageValues: error.messageValues,
        },
        error.status,
      );
    }
  });

  app.get("/login/sso/callback", async (req, reply) => {
    linkPage(reply);
    const cookie = ssoStateCookie.read(deps, req);
    if (cookie) ssoStateCookie.clear(deps, reply);
    try {
      const done = await sso.finishSignIn(
        deps,
        new URL(req.url, deps.config.publicUrl),
        cookie,
        req.ip,
      );
      return signInAs(req, reply, done.actor, localPath(done.next, home(done.actor)));
    } catch (error) {
      if (
        !(error instanceof Invalid || error instanceof Forbidden || error instanceof BadGateway)
      ) {
        throw error;
      }
      return loginRefused(
        req,
        reply,
        { next: "" },
        {
          errors: [],
          message: error.message,
          messageKey: error.messageKey,
          messageValues: error.messageValues,
        },
        error.status,
      );
    }
  });

  app.post("/login", async (req, reply) => {
    const { email = "", password = "", next = "" } = formFields(req);
    const values = { email, next: localPath(next, "") };
    try {
      const result = await attempt(() => accounts.signIn(deps, { email, password, ip: req.ip }));
      if (!result.ok) {
        return loginRefused(req, reply, values, result, 401);
      }
      return signInAs(req, reply, result.value, localPath(next, home(result.value)));
    } catch (error) {
      if (!(error instanceof TooManyRequests)) throw error;
      const message = tooMany(req, reply, error, "account.tooManySignIns");
      return loginRefused(req, reply, values, { errors: [], message }, 429);
    }
  });

  app.post("/logout", async (req, reply) => {
    if (req.sessionToken) await accounts.endSession(deps, req.sessionToken);
    clearSessionCookie(deps, reply);
    return reply.redirect("/login?notice=signed-out", 303);
  });

  app.get("/signup", async (req, reply) => {
    if (req.actor) return reply.redirect(home(req.actor), 303);
    const enabled = await accounts.isSignupEnabled(deps);
    return reply.render(
      <SignupPage ctx={pageContext(req, reply)} form={emptyForm()} enabled={enabled} />,
    );
  });

  // "Check your inbox" for every address: a new one gets a confirmation link, one with an
  // account a mail saying so. Nothing is created and nobody is signed in until the link is used.
  app.post("/signup", async (req, reply) => {
    const { email = "", name = "", password = "" } = formFields(req);
    const ctx = () => pageContext(req, reply);
    try {
      const result = await attempt(() =>
        // The page's language: the confirmation mail's, and the new account's.
        recovery.requestSignup(deps, {
          email,
          name,
          password,
          ip: req.ip,
          locale: readerOf(req).locale,
        }),
      );
      if (!result.ok) {
        return reply.render(
          <SignupPage ctx={ctx()} form={refusedForm({ email, name }, result)} enabled />,
          422,
        );
      }
      return reply.render(<SignupPage ctx={ctx()} form={emptyForm()} enabled sent />);
    } catch (error) {
      if (!(error instanceof TooManyRequests)) throw error;
      const message = tooMany(req, reply, error, "account.tooManySignUps");
      return reply.render(
        <SignupPage ctx={ctx()} form={{ values: { email, name }, errors: [], message }} enabled />,
        429,
      );
    }
  });

  app.get("/signup/confirm", async (req, reply) => {
    const token = tokenOf(req);
    linkPage(reply);
    if (!(await recovery.checkSignupLink(deps, token))) {
      return reply.render(<DeadLinkPage ctx={pageContext(req, reply)} kind="signup" />, 404);
    }
    return reply.render(<ConfirmSignupPage ctx={pageContext(req, reply)} token={token} />);
  });

  app.post("/signup/confirm", async (req, reply) => {
    linkPage(reply);
    const result = await recovery.confirmSignup(deps, tokenOf(req));
    if (result.status !== "confirmed") {
      const kind = result.status === "taken" ? "taken" : "signup";
      return reply.render(
        <DeadLinkPage ctx={pageContext(req, reply)} kind={kind} />,
        result.status === "taken" ? 409 : 404,
      );
    }
    return signInAs(req, reply, result.actor, `${home(result.actor)}?notice=welcome`);
  });

  app.get("/password/forgot", async (req, reply) =>
    reply.render(<ForgotPasswordPage ctx={pageContext(req, reply)} form={emptyForm()} />),
  );

  // The same page for every address: whether it has an account shows only in the mail.
  app.post("/password/forgot", async (req, reply) => {
    const { email = "" } = formFields(req);
    const ctx = () => pageContext(req, reply);
    try {
      const result = await attempt(() =>
        recovery.requestPasswordReset(deps, { email, ip: req.ip, locale: readerOf(req).locale }),
      );
      if (!result.ok) {
        return reply.render(
          <ForgotPasswordPage ctx={ctx()} form={refusedForm({ email }, result)} />,
          422,
        );
      }
      return reply.render(<ForgotPasswordPage ctx={ctx()} form={emptyForm()} sent />);
    } catch (error) {
      if (!(error instanceof TooManyRequests)) throw error;
      const message = tooMany(req, reply, error, "account.tooManyResetRequests");
      return reply.render(
        <ForgotPasswordPage ctx={ctx()} form={{ values: { email }, errors: [], message }} />,
        429,
      );
    }
  });

  app.get("/password/reset", async (req, reply) => {
    const token = tokenOf(req);
    linkPage(reply);
    if (!(await recovery.checkResetLink(deps, token))) {
      return reply.render(<DeadLinkPage ctx={pageContext(req, reply)} kind="reset" />, 404);
    }
    return reply.render(
      <ResetPasswordPage ctx={pageContext(req, reply)} form={emptyForm()} token={token} />,
    );
  });

  app.post("/password/reset", async (req, reply) => {
    const token = tokenOf(req);
    const { password = "" } = formFields(req);
    linkPage(reply);
    const result = await attempt(() => recovery.resetPassword(deps, token, { password }));
    if (!result.ok) {
      return reply.render(
        <ResetPasswordPage
          ctx={pageContext(req, reply)}
          form={refusedForm({}, result)}
          token={token}
        />,
        422,
      );
    }
    if (!result.value) {
      return reply.render(<DeadLinkPage ctx={pageContext(req, reply)} kind="reset" />, 404);
    }
    // Every session of the account has ended; this browser gets a new one (after the
    // second step, for an account with two-factor: the mail alone is not enough).
    return signInAs(req, reply, result.value, `${home(result.value)}?notice=password-reset`);
  });

  // First run: reachable only with the token from the log, and only while there are no users.
  app.get("/setup", async (req, reply) => {
    const { token } = req.query as { token?: string };
    if (!token || !(await accounts.checkSetupToken(deps, token))) throw new NotFound("page");
    return reply.render(
      <SetupPage ctx={pageContext(req, reply)} form={emptyForm()} token={token} />,
    );
  });

  app.post("/setup", async (req, reply) => {
    const { token } = req.query as { token?: string };
    const { email = "", name = "", password = "" } = formFields(req);
    const result = await attempt(() =>
      accounts.completeSetup(deps, token, { email, name, password }),
    );
    if (!result.ok) {
      return reply.render(
        <SetupPage
          ctx={pageContext(req, reply)}
          form={refusedForm({ email, name }, result)}
          token={token ?? ""}
        />,
        422,
      );
    }
    return signInAs(req, reply, result.value, "/admin/users?notice=welcome");
  });

  /** The account page; a form shown again keeps what was typed, with its errors. */
  async function renderAccount(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    shown: {
      form?: FormState<Record<string, string>>;
      languageForm?: FormState<LanguageValues>;
      status?: number;
    } = {},
  ) {
    const [emailNotifications, twoFactorStatus, defaults] = await Promise.all([
      isStaff(actor) ? getNotificationPreference(deps, actor) : undefined,
      twoFactor.getStatus(deps, actor),
      accounts.getInstanceLanguageDefaults(deps),
    ]);
    const saved = { locale: actor.locale ?? "", timeZone: actor.timeZone ?? "" };
    return reply.render(
      <AccountPage
        ctx={pageContext(req, reply)}
        form={shown.form ?? emptyForm()}
        languageForm={shown.languageForm ?? emptyForm(saved)}
        instanceTimeZone={defaults.timeZone}
        emailNotifications={emailNotifications}
        twoFactor={twoFactorStatus}
      />,
      shown.status,
    );
  }

  app.get("/account", async (req, reply) => renderAccount(req, reply, requireActor(req)));

  // The account's own language and time zone ("" for either: the instance's).
  app.post("/account/language", async (req, reply) => {
    const actor = requireActor(req);
    const { locale = "", timeZone = "" } = formFields(req);
    const values = { locale: locale.trim(), timeZone: timeZone.trim() };
    const result = await attempt(() => accounts.setLanguageAndZone(deps, actor, values));
    if (!result.ok) {
      return renderAccount(req, reply, actor, {
        languageForm: refusedForm(values, result),
        status: 422,
      });
    }
    return reply.redirect("/account?notice=language-saved", 303);
  });

  // The switcher on every page: saved on the account when signed in, else in a cookie.
  app.post("/language", async (req, reply) => {
    const { locale = "", back } = formFields(req);
    const actor = req.actor;
    if (!isLocale(locale)) {
      // Only a hand-made post gets here (the switcher offers the catalogs): told in the reader's language.
      const ctx = pageContext(req, reply);
      return reply.render(
        <ErrorPage
          ctx={ctx}
          status={400}
          title={ctx.i18n.t("error.title400")}
          message={ctx.i18n.t("language.unknown")}
        />,
        400,
      );
    }
    if (actor) await accounts.setLanguage(deps, actor, locale);
    else setLanguageCookie(deps, reply, locale);
    return reply.redirect(localPath(back, "/"), 303);
  });

  app.get("/account/sessions", async (req, reply) => {
    const actor = requireActor(req);
    const sessions = await accounts.listOwnSessions(deps, actor, req.sessionToken);
    return reply.render(<SessionsPage ctx={pageContext(req, reply)} sessions={sessions} />);
  });

  app.post("/account/sessions/others", async (req, reply) => {
    const actor = requireActor(req);
    // A full session always has its token (bearer tokens do not reach pages).
    if (req.sessionToken) await accounts.endOtherSessions(deps, actor, req.sessionToken);
    return reply.redirect("/account/sessions?notice=signed-out-elsewhere", 303);
  });

  app.post("/account/password", async (req, reply) => {
    const actor = requireActor(req);
    const { currentPassword = "", newPassword = "" } = formFields(req);
    // The browser that changed the password stays signed in, under a new session id.
    const result = await attempt(() =>
      accounts.changePassword(
        deps,
        actor,
        { currentPassword, newPassword },
        { keepSignedIn: true, client: { ip: req.ip, userAgent: req.headers["user-agent"] } },
      ),
    );
    if (!result.ok) {
      return renderAccount(req, reply, actor, {
        form: refusedForm({}, result),
        status: 422,
      });
    }
    if (result.value) setSessionCookie(deps, reply, result.value);
    return reply.redirect("/account?notice=password-changed", 303);
  });
}
