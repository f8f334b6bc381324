import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfig } from "./config.ts";

const CWD = "/srv/tessera";

/** The problems loadConfig reports for `env`; fails the test if it accepts it. */
function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig(env, CWD);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error.problems;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

describe("loadConfig", () => {
  test("an empty environment gives working defaults", () => {
    const config = loadConfig({}, CWD);
    assert.equal(config.port, 3000);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.dataDir, path.join(CWD, "data"));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.databasePoolMax, 10);
    assert.equal(config.publicUrl.href, "http://localhost:3000/");
    assert.equal(config.logLevel, "info");
    assert.equal(config.maxAttachmentBytes, 10 * 1024 * 1024);
    assert.equal(config.sessionIdleMs, 7 * 24 * 3600_000);
    assert.equal(config.sessionMaxMs, 30 * 24 * 3600_000);
    assert.equal(config.trustProxy, false);
    assert.equal(config.secureCookies, false);
  });

  test("blank values count as unset", () => {
    const config = loadConfig({ PORT: "", HOST: " ", DATA_DIR: "", LOG_LEVEL: "" }, CWD);
    assert.equal(config.port, 3000);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.dataDir, path.join(CWD, "data"));
    assert.equal(config.logLevel, "info");
  });

  test("every variable is read and converted", () => {
    const config = loadConfig(
      {
        PORT: "8080",
        HOST: "0.0.0.0",
        DATA_DIR: "var/tessera",
        DATABASE_URL: "postgresql://tessera:secret@db.internal:5432/tessera",
        DATABASE_POOL_MAX: "25",
        PUBLIC_URL: "http://help.example.test:8080/",
        LOG_LEVEL: "WARN",
        MAX_ATTACHMENT_MB: "2",
        SESSION_IDLE_HOURS: "3",
        SESSION_MAX_DAYS: "1",
        TRUST_PROXY: "yes",
      },
      CWD,
    );
    assert.equal(config.port, 8080);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.dataDir, path.join(CWD, "var/tessera"));
    assert.equal(config.databaseUrl, "postgresql://tessera:secret@db.internal:5432/tessera");
    assert.equal(config.databasePoolMax, 25);
    assert.equal(config.publicUrl.href, "http://help.example.test:8080/");
    assert.equal(config.logLevel, "warn");
    assert.equal(config.maxAttachmentBytes, 2 * 1024 * 1024);
    assert.equal(config.sessionIdleMs, 3 * 3600_000);
    assert.equal(config.sessionMaxMs, 24 * 3600_000);
    assert.equal(config.trustProxy, true);
  });

  test("an absolute DATA_DIR is kept as it is", () => {
    assert.equal(loadConfig({ DATA_DIR: "/var/lib/tessera" }, CWD).dataDir, "/var/lib/tessera");
  });

  test("the default PUBLIC_URL follows PORT", () => {
    assert.equal(loadConfig({ PORT: "4100" }, CWD).publicUrl.href, "http://localhost:4100/");
  });

  test("an https PUBLIC_URL turns on secure cookies, an http one does not", () => {
    assert.equal(loadConfig({ PUBLIC_URL: "https://help.example.test" }, CWD).secureCookies, true);
    assert.equal(loadConfig({ PUBLIC_URL: "http://help.example.test" }, CWD).secureCookies, false);
  });

  test("TRUST_PROXY accepts the usual spellings of yes and no", () => {
    for (const yes of ["1", "true", "TRUE", "yes", "on"]) {
      assert.equal(loadConfig({ TRUST_PROXY: yes }, CWD).trustProxy, true, yes);
    }
    for (const no of ["0", "false", "No", "off"]) {
      assert.equal(loadConfig({ TRUST_PROXY: no }, CWD).trustProxy, false, no);
    }
  });

  test("webhook settings: host:port pairs lower-cased, IPv6 in brackets; a bare host is refused", () => {
    const config = loadConfig(
      {
        WEBHOOK_ALLOW_HOSTS: " Hooks.Internal:8443, 10.0.0.7:80,[fd00::7]:80 ",
        WEBHOOK_TIMEOUT_SECONDS: "5",
      },
      CWD,
    );
    assert.deepEqual(config.webhookAllowHosts, [
      "hooks.internal:8443",
      "10.0.0.7:80",
      "[fd00::7]:80",
    ]);
    assert.equal(config.webhookTimeoutMs, 5000);
    assert.equal(loadConfig({}, CWD).webhookSecretGraceMs, 24 * 3600_000);
    const problems = problemsFor({ WEBHOOK_ALLOW_HOSTS: "hooks.internal,fd00::7:80" });
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? "", /WEBHOOK_ALLOW_HOSTS must list host:port pairs/);
  });

  test("the configuration is frozen", () => {
    const config = loadConfig({}, CWD);
    assert.ok(Object.isFrozen(config));
  });

  const badValues: [string, string][] = [
    ["PORT", "abc"],
    ["PORT", "0"],
    ["PORT", "65536"],
    ["PORT", "80.5"],
    ["PORT", "-1"],
    ["PORT", "0x50"],
    ["PORT", "1e3"],
    ["DATABASE_URL", "mysql://root@localhost/tessera"],
    ["DATABASE_URL", "not a url"],
    ["DATABASE_POOL_MAX", "0"],
    ["DATABASE_POOL_MAX", "many"],
    ["PUBLIC_URL", "ftp://help.example.test"],
    ["PUBLIC_URL", "help.example.test"],
    ["LOG_LEVEL", "verbose"],
    ["MAX_ATTACHMENT_MB", "0"],
    ["MAX_ATTACHMENT_MB", "2048"],
    ["SESSION_IDLE_HOURS", "0"],
    ["SESSION_IDLE_HOURS", "1.5"],
    ["SESSION_MAX_DAYS", "366"],
    ["SESSION_MAX_DAYS", "forever"],
    ["TRUST_PROXY", "maybe"],
    ["AUTO_REPLY_LIMIT_PER_HOUR", "0"],
    ["AUTO_REPLY_LIMIT_PER_HOUR", "some"],
    ["INBOUND_SMTP_MAX_CLIENTS", "0"],
  ];
  for (const [name, value] of badValues) {
    test(`${name}=${JSON.stringify(value)} is refused with a problem naming ${name}`, () => {
      const problems = problemsFor({ [name]: value });
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0] ?? "", new RegExp(`^${name} `));
    });
  }

  test("several bad values are all reported at once, one line each", () => {
    const problems = problemsFor({
      PORT: "abc",
      DATABASE_URL: "mysql://localhost/x",
      LOG_LEVEL: "loud",
      TRUST_PROXY: "perhaps",
      SESSION_MAX_DAYS: "0",
    });
    assert.equal(problems.length, 5, problems.join("\n"));
    for (const name of ["PORT", "DATABASE_URL", "LOG_LEVEL", "TRUST_PROXY", "SESSION_MAX_DAYS"]) {
      assert.ok(
        problems.some((p) => p.startsWith(`${name} `)),
        `no problem names ${name}: ${problems.join("; ")}`,
      );
    }
    for (const problem of problems) assert.doesNotMatch(problem, /\n/);
  });

  test("a problem never echoes the password in DATABASE_URL", () => {
    const problems = problemsFor({ DATABASE_URL: "mysql://root:hunter2secret@localhost/x" });
    assert.doesNotMatch(problems.join("\n"), /hunter2secret/);
  });

  test("the ConfigError message lists every problem", () => {
    try {
      loadConfig({ PORT: "abc", LOG_LEVEL: "loud" }, CWD);
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /PORT/);
      assert.match(error.message, /LOG_LEVEL/);
    }
  });
  test("email: off by default, the support address follows PUBLIC_URL", () => {
    const config = loadConfig({ PUBLIC_URL: "https://help.example.com" }, CWD);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.mailFrom, "support@help.example.com");
    assert.equal(config.mailFromName, "Support");
    assert.equal(config.mailMaxTries, 8);
    assert.equal(config.mailSendTimeoutMs, 60_000);
    assert.equal(config.inboundSmtpPort, undefined);
    assert.equal(config.inboundSmtpHost, "127.0.0.1");
    assert.deepEqual(config.inboundSmtpDomains, ["support@help.example.com"]);
    assert.equal(config.inboundMaxBytes, 25 * 1024 * 1024);
    assert.equal(config.inboundTicketsPerHour, 20);
    assert.equal(config.autoReplyLimitPerHour, 3);
    assert.equal(config.inboundSmtpMaxClients, 200);
    const set = loadConfig(
      { AUTO_REPLY_LIMIT_PER_HOUR: "10", INBOUND_SMTP_MAX_CLIENTS: "500" },
      CWD,
    );
    assert.equal(set.autoReplyLimitPerHour, 10);
    assert.equal(set.inboundSmtpMaxClients, 500);
  });

  test("an IPv6 PUBLIC_URL still starts: the default support address falls back to localhost", () => {
    assert.equal(
      loadConfig({ PUBLIC_URL: "http://[::1]:3000" }, CWD).mailFrom,
      "support@localhost",
    );
  });

  test("email settings are read and checked", () => {
    const config = loadConfig(
      {
        SMTP_URL: "smtps://user:pass@mail.example.com:465",
        MAIL_FROM: "Help@Example.com",
        INBOUND_SMTP_PORT: "2525",
        INBOUND_SMTP_DOMAINS: "example.com, help@example.org",
        INBOUND_MAX_MB: "5",
      },
      CWD,
    );
    assert.equal(config.smtpUrl, "smtps://user:pass@mail.example.com:465");
    assert.equal(config.mailFrom, "help@example.com");
    assert.equal(config.inboundSmtpPort, 2525);
    assert.deepEqual(config.inboundSmtpDomains, ["example.com", "help@example.org"]);
    assert.equal(config.inboundMaxBytes, 5 * 1024 * 1024);

    const problems = problemsFor({
      SMTP_URL: "http://user:hunter2secret@mail.example.com",
      MAIL_FROM: "support+tag@example.com",
      INBOUND_SMTP_PORT: "99999",
      INBOUND_SMTP_DOMAINS: "example.com, not a domain",
      MAIL_MAX_TRIES: "0",
    });
    for (const name of [
      "SMTP_URL",
      "MAIL_FROM",
      "INBOUND_SMTP_PORT",
      "INBOUND_SMTP_DOMAINS",
      "MAIL_MAX_TRIES",
    ]) {
      assert.ok(
        problems.some((p) => p.startsWith(`${name} `)),
        `no problem names ${name}`,
      );
    }
    assert.doesNotMatch(problems.join("\n"), /hunter2secret/);
  });
});
