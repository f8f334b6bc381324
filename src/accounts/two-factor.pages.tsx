import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { Conflict, TooManyRequests, Unauthorized } from "../lib/errors.ts";
import { localPath } from "../lib/urls.ts";
import { requireActor, secondStepCookie, setSessionCookie } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm, type FormState } from "../platform/views/forms.tsx";
import * as accounts from "./accounts.service.ts";
import type { Actor } from "./actor.ts";
import { home, tooMany } from "./page-helpers.ts";
import * as twoFactor from "./two-factor.service.ts";
import { type ProofForm, SecondStepPage, TwoFactorPage } from "./views/two-factor.tsx";

/** Secrets and recovery codes are on these pages: never cached, never referred. */
function secretPage(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer");
}

/** The account being enrolled: a full session's, or an enrolment-only session's. */
function enrollee(req: FastifyRequest): { actor: Actor; enrolling: boolean } {
  if (req.actor) return { actor: req.actor, enrolling: false };
  if (req.enrollingActor) return { actor: req.enrollingActor, enrolling: true };
  throw new Unauthorized();
}

/** The second step of sign-in, and the two-factor page of the account. */
export async function twoFactorPages(app: FastifyInstance, deps: Deps) {
  app.get("/login/two-factor", async (req, reply) => {
    if (req.actor) return reply.redirect(home(req.actor), 303);
    const { next } = req.query as { next?: string };
    secretPage(reply);
    if (!(await twoFactor.checkSecondStep(deps, secondStepCookie.read(deps, req)))) {
      secondStepCookie.clear(deps, reply);
      return reply.redirect("/login?notice=sign-in-expired", 303);
    }
    return reply.render(
      <SecondStepPage
        ctx={pageContext(req, reply)}
        form={emptyForm({ next: localPath(next, "") })}
      />,
    );
  });

  app.post("/login/two-factor", async (req, reply) => {
    const { code = "", next = "" } = formFields(req);
    const values = { next: localPath(next, "") };
    secretPage(reply);
    try {
      const result = await attempt(() =>
        twoFactor.completeSignIn(
          deps,
          secondStepCookie.read(deps, req),
          { code },
          { ip: req.ip, userAgent: req.headers["user-agent"] },
        ),
      );
      if (!result.ok) {
        return reply.render(
          <SecondStepPage ctx={pageContext(req, reply)} form={refusedForm(values, result)} />,
          401,
        );
      }
      secondStepCookie.clear(deps, reply);
      if (!result.value) return reply.redirect("/login?notice=sign-in-expired", 303);
      // Never keep a session the browser came with (no fixation).
      if (req.sessionToken) await accounts.endSession(deps, req.sessionToken);
      setSessionCookie(deps, reply, result.value.token);
      if (result.value.method === "recovery_code") {
        return reply.redirect("/account/two-factor?notice=recovery-code-used", 303);
      }
      return reply.redirect(localPath(next, home(result.value.actor)), 303);
    } catch (error) {
      if (!(error instanceof TooManyRequests)) throw error;
      return reply.render(
        <SecondStepPage
          ctx={pageContext(req, reply)}
          form={{
            values,
            errors: [],
            message: tooMany(req, reply, error, "twoFactor.tooManyCodes"),
          }}
        />,
        429,
      );
    }
  });

  /** The two-factor page as it stands for `actor`, with a form's state and any new codes. */
  async function renderPage(
    req: FastifyRequest,
    reply: FastifyReply,
    who: { actor: Actor; enrolling: boolean },
    form: FormState<Record<string, string>> = emptyForm(),
    extra: { codes?: string[]; status?: number; refused?: ProofForm } = {},
  ) {
    secretPage(reply);
    const status = await twoFactor.getStatus(deps, who.actor);
    const enrolment = status.enabled ? undefined : await twoFactor.beginEnrolment(deps, who.actor);
    return reply.render(
      <TwoFactorPage
        ctx={pageContext(req, reply)}
        status={status}
        enrolment={enrolment}
        form={form}
        codes={extra.codes}
        enrolling={who.enrolling}
        refused={extra.refused}
      />,
      extra.status,
    );
  }

  app.get("/account/two-factor", async (req, reply) => renderPage(req, reply, enrollee(req)));

  // Confirms enrolment with a first code; the recovery codes are shown in this answer only.
  app.post("/account/two-factor", async (req, reply) => {
    const who = enrollee(req);
    const { code = "" } = formFields(req);
    try {
      const result = await attempt(() =>
        twoFactor.confirmEnrolment(deps, who.actor, { code, ip: req.ip }),
      );
      if (!result.ok) {
        const form = refusedForm({}, result);
        return renderPage(req, reply, who, form, { status: 422 });
      }
      // An enrolment-only session is a full one from now on.
      req.actor = who.actor;
      return renderPage(req, reply, { actor: who.actor, enrolling: false }, emptyForm(), {
        codes: result.value,
      });
    } catch (error) {
      if (error instanceof Conflict) return reply.redirect("/account/two-factor", 303);
      if (!(error instanceof TooManyRequests)) throw error;
      const form = {
        values: {},
        errors: [],
        message: tooMany(req, reply, error, "twoFactor.tooManyCodes"),
      };
      return renderPage(req, reply, who, form, { status: 429 });
    }
  });

  /** Runs a change that needs a current code or the password, answering the page with its outcome. */
  async function withProof<T>(
    req: FastifyRequest,
    reply: FastifyReply,
    refused: ProofForm,
    change: (actor: Actor, proof: string) => Promise<T>,
    done: (value: T) => Promise<FastifyReply> | FastifyReply,
  ) {
    const actor = requireActor(req);
    const { proof = "" } = formFields(req);
    const who = { actor, enrolling: false };
    try {
      const result = await attempt(() => change(actor, proof));
      if (!result.ok) {
        const form = refusedForm({}, result);
        return renderPage(req, reply, who, form, { status: 422, refused });
      }
      return done(result.value);
    } catch (error) {
      if (error instanceof TooManyRequests) {
        const form = {
          values: {},
          errors: [],
          message: tooMany(req, reply, error, "twoFactor.tooManyCodes"),
        };
        return renderPage(req, reply, who, form, { status: 429, refused });
      }
      if (error instanceof Conflict && error.code === "two_factor_required") {
        const form = {
          values: {},
          errors: [],
          message: error.message,
          messageKey: error.messageKey,
          messageValues: error.messageValues,
        };
        return renderPage(req, reply, who, form, { status: 409, refused });
      }
      throw error;
    }
  }

  app.post("/account/two-factor/recovery-codes", async (req, reply) =>
    withProof(
      req,
      reply,
      "recovery-codes",
      (actor, proof) => twoFactor.regenerateRecoveryCodes(deps, actor, { proof, ip: req.ip }),
      (codes) => renderPage(req, reply, enrollee(req), emptyForm(), { codes }),
    ),
  );

  app.post("/account/two-factor/disable", async (req, reply) =>
    withProof(
      req,
      reply,
      "disable",
      (actor, proof) => twoFactor.disableTwoFactor(deps, actor, { proof, ip: req.ip }),
      () => reply.redirect("/account?notice=two-factor-off", 303),
    ),
  );
}
