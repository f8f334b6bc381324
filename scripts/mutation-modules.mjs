// The rule modules mutation testing covers (issue 21), each with the test files
// that guard it: a mutant must make one of these fail.
export const MODULES = {
  validate: { mutate: ["src/lib/validate.ts"], tests: ["src/lib/validate.test.ts"] },
  access: { mutate: ["src/tickets/access.ts"], tests: ["src/tickets/access.test.ts"] },
  lifecycle: { mutate: ["src/tickets/lifecycle.ts"], tests: ["src/tickets/lifecycle.test.ts"] },
  lock: { mutate: ["src/db/lock.ts"], tests: ["src/db/lock.test.ts"] },
  idempotency: {
    mutate: ["src/idempotency/idempotency.service.ts", "src/idempotency/idempotency.repo.ts"],
    tests: ["src/idempotency/idempotency.test.ts", "src/tickets/tickets.routes.test.ts"],
  },
  // The claim and its lease (lines of claimDue, markSent and release); the PostgreSQL
  // tests run only when TEST_DATABASE_URL is set: run this one with it.
  outbox: {
    mutate: ["src/email/outbox.repo.ts:18-60"],
    tests: ["src/email/outbox.test.ts", "src/email/worker.postgres.test.ts"],
  },
  // The thread headers: Thread-Index's FILETIME arithmetic (threadIndex) and the rule
  // choosing In-Reply-To, References and Thread-Topic (buildThreadHeaders).
  threading: {
    mutate: ["src/email/threading.ts:45-111"],
    tests: ["src/email/threading.test.ts"],
  },
};
