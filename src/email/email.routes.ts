import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { InboundResultJson } from "./email.schemas.ts";
import { receiveEmailAsAdmin } from "./inbound.service.ts";

/** Mail piped in by an MTA the site already runs (admin token). */
export const emailApi: ApiModule = { schemas: [InboundResultJson], routes: emailRoutes };

async function emailRoutes(app: FastifyInstance, deps: Deps) {
  // A raw RFC 5322 message, up to INBOUND_MAX_MB, read as bytes (it need not be UTF-8).
  app.addContentTypeParser(
    "message/rfc822",
    { parseAs: "buffer", bodyLimit: deps.config.inboundMaxBytes },
    (_req, body, done) => done(null, body),
  );

  app.post(
    "/inbound/email",
    {
      // The body schema documents the raw message; there is nothing in it to validate as JSON.
      validatorCompiler: () => () => true,
      schema: {
        tags: ["email"],
        summary: "Hand in one raw email message (admins)",
        description:
          "Body: the message exactly as received, with `Content-Type: message/rfc822`. It is stored " +
          "raw, then handled like mail to the built-in SMTP listener: a new ticket, a reply threaded " +
          "by reply token or Message-ID, or ignored (loops, bounces, bulk mail). 202 once stored.",
        consumes: ["message/rfc822"],
        body: Type.Unsafe<Buffer>({ type: "string", contentMediaType: "message/rfc822" }),
        response: { 202: Type.Ref("InboundEmailResult"), ...problems(400, 403, 413, 415) },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      if (!Buffer.isBuffer(req.body)) {
        // The API context also parses JSON; a message must come as itself.
        throw Object.assign(new Error("Send the raw message as Content-Type: message/rfc822."), {
          statusCode: 415,
          code: "FST_ERR_CTP_INVALID_MEDIA_TYPE",
        });
      }
      const result = await receiveEmailAsAdmin(deps, actor, req.body);
      return reply.code(202).send({
        id: result.id,
        status: result.status,
        ticketId: result.ticketId ?? null,
        reason: result.reason ?? null,
      });
    },
  );
}
