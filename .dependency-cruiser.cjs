/**
 * The seams of STYLE.md, checked on every CI run. A rule that never fires proves
 * nothing: `npm run depcruise` prints how many modules it read; keep TypeScript
 * on 5.9 (TypeScript 7 has no compiler API and this tool would read nothing).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "http-not-to-db",
      comment:
        "Routes and pages are HTTP only: they call services, never the database or a repository.",
      severity: "error",
      from: { path: "\\.(routes|pages)\\.tsx?$" },
      to: { path: ["^src/db/", "\\.repo\\.ts$"] },
    },
    {
      name: "views-not-to-db",
      comment: "Views render what they are given (they may import types from a service).",
      severity: "error",
      from: { path: "/views/" },
      to: {
        path: ["^src/db/", "\\.repo\\.ts$", "\\.service\\.ts$"],
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "domain-without-fastify",
      comment:
        "Services and repositories know nothing of HTTP, so mail, the CLI and jobs can call them.",
      severity: "error",
      from: { path: "\\.(service|repo)\\.ts$" },
      to: { path: "node_modules/(fastify|@fastify)/" },
    },
    {
      name: "repo-is-private-to-its-feature",
      comment: "A feature uses another only through its service or index.ts, never its repository.",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/[^/]+/.+\\.repo\\.ts$", pathNot: "^src/$1/" },
    },
    {
      name: "tickets-know-no-reactions",
      comment:
        "Tickets record events; features react to them (DESIGN.md section 8). tickets/ imports only " +
        "the base (lib, db, platform, events, i18n) and the features it is built on (accounts, tokens, " +
        "idempotency, settings, teams, organisations, tags, fields), never one that reacts to it: subscribe in src/reactions.ts instead.",
      severity: "error",
      from: { path: "^src/tickets/" },
      to: {
        path: "^src/",
        pathNot: [
          "^src/(tickets|lib|db|platform|events|i18n|accounts|tokens|idempotency|settings|teams|organisations|tags|fields)/",
          "^src/(deps|config)\\.ts$",
        ],
      },
    },
    {
      name: "events-know-no-feature",
      comment:
        "The event types and the bus are the base every reaction imports: they import no reaction.",
      severity: "error",
      from: { path: "^src/events/" },
      to: {
        path: "^src/",
        pathNot: [
          "^src/(events|db|lib)/",
          "^src/tickets/lifecycle\\.ts$",
          "^src/accounts/actor\\.ts$",
        ],
      },
    },
    {
      name: "lib-knows-no-feature",
      comment: "lib/ holds helpers with no feature knowledge.",
      severity: "error",
      from: { path: "^src/lib/" },
      to: { path: "^src/(?!lib/)" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.test\\.tsx?$" },
  },
};
