// The rule modules mutation testing covers (issue 21), each with the test files
// that guard it: a mutant must make one of these fail.
export const MODULES = {
  validate: { mutate: ["src/lib/validate.ts"], tests: ["src/lib/validate.test.ts"] },
  access: { mutate: ["src/tickets/access.ts"], tests: ["src/tickets/access.test.ts"] },
  lifecycle: { mutate: ["src/tickets/lifecycle.ts"], tests: ["src/tickets/lifecycle.test.ts"] },
  lock: { mutate: ["src/db/lock.ts"], tests: ["src/db/lock.test.ts"] },
};
