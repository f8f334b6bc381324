import assert from "node:assert/strict";
import { test } from "node:test";
import { inArray } from "drizzle-orm";
import nodemailer from "nodemailer";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { inboundEmails } from "../db/schema/index.ts";
import { startInboundListener } from "./inbound.listener.ts";

const ENV = { MAIL_FROM: "support@example.test", INBOUND_SMTP_DOMAINS: "support@example.test" };

describeEachDatabase(
  "inbound SMTP under parallel deliveries",
  (world) => {
    test("50 parallel SMTP clients are all accepted with the default INBOUND_SMTP_MAX_CLIENTS", async () => {
      const { deps } = world();
      assert.ok(deps.config.inboundSmtpMaxClients >= 100, "the default serves at least 100");
      const listener = await startInboundListener(deps, { port: 0, host: "127.0.0.1" });
      try {
        // One transport (so one TCP connection) per client, all at once.
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, async (_, i) => {
            const client = nodemailer.createTransport({
              host: "127.0.0.1",
              port: listener.port,
              secure: false,
              ignoreTLS: true,
            });
            try {
              return await client.sendMail({
                from: `sender${i}@client.example.org`,
                to: "support@example.test",
                subject: `Parallel ${i}`,
                text: `Delivery number ${i}.`,
              });
            } finally {
              client.close();
            }
          }),
        );
        const refused = results.flatMap((r) =>
          r.status === "rejected" ? [String((r.reason as Error).message)] : [],
        );
        assert.deepEqual(refused, [], "no delivery was refused");
        for (const r of results) {
          if (r.status === "fulfilled") assert.match(String(r.value.response), /^250 /);
        }
        const stored = await deps.db
          .select({ status: inboundEmails.status })
          .from(inboundEmails)
          .where(
            inArray(
              inboundEmails.fromAddress,
              Array.from({ length: 50 }, (_, i) => `sender${i}@client.example.org`),
            ),
          );
        assert.equal(stored.length, 50);
        assert.ok(stored.every((s) => s.status === "ticket"));
      } finally {
        await listener.close();
      }
    });
  },
  { env: ENV },
);

describeEachDatabase(
  "inbound SMTP client limit",
  (world) => {
    test("beyond INBOUND_SMTP_MAX_CLIENTS a client is told 421 and may retry later", async () => {
      const { deps } = world();
      assert.equal(deps.config.inboundSmtpMaxClients, 2);
      const listener = await startInboundListener(deps, { port: 0, host: "127.0.0.1" });
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, async (_, i) => {
            const client = nodemailer.createTransport({
              host: "127.0.0.1",
              port: listener.port,
              secure: false,
              ignoreTLS: true,
            });
            try {
              return await client.sendMail({
                from: `limited${i}@client.example.org`,
                to: "support@example.test",
                subject: `Limited ${i}`,
                text: "Hello.",
              });
            } finally {
              client.close();
            }
          }),
        );
        const refused = results.filter(
          (r) => r.status === "rejected" && /421/.test(String((r.reason as Error).message)),
        );
        assert.ok(refused.length > 0, "some clients over the limit were refused with 421");
      } finally {
        await listener.close();
      }
    });
  },
  { env: { ...ENV, INBOUND_SMTP_MAX_CLIENTS: "2" } },
);
