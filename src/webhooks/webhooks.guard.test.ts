import assert from "node:assert/strict";
import { test } from "node:test";
import { Webhook } from "standardwebhooks";
import { blockedReason, resolveTarget, resolveWithin } from "./webhooks.guard.ts";
import { sign, signatureHeader } from "./webhooks.signing.ts";

test("only global unicast addresses pass, IPv4-mapped IPv6 judged as IPv4", () => {
  const blocked = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "100.64.0.1",
    "169.254.169.254",
    "169.254.1.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1", // NAT64 of 10.0.0.1
  ];
  for (const address of blocked) assert.ok(blockedReason(address), address);
  for (const address of ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700::1111"]) {
    assert.equal(blockedReason(address), undefined, address);
  }
});

test("an allow-listed host:port passes; the same host on another port does not", async () => {
  const noDns = async () => {
    throw new Error("no DNS in this test");
  };
  const allow = ["127.0.0.1:8080", "[::1]:9000"];
  assert.deepEqual(await resolveTarget(new URL("http://127.0.0.1:8080/x"), allow, noDns), {
    address: "127.0.0.1",
    family: 4,
  });
  assert.equal((await resolveTarget(new URL("http://[::1]:9000/"), allow, noDns)).address, "::1");
  await assert.rejects(resolveTarget(new URL("http://127.0.0.1:8081/"), allow, noDns), {
    name: "BlockedAddress",
  });
});

test("every resolved address is checked, not just the first", async () => {
  const dns = async () => [
    { address: "93.184.215.14", family: 4 as const },
    { address: "10.0.0.1", family: 4 as const },
  ];
  await assert.rejects(resolveTarget(new URL("https://mixed.test/"), [], dns), /10\.0\.0\.1/);
});

test("a resolver that never answers gives up after its time", async () => {
  const stalled = resolveWithin(() => new Promise(() => {}), 50);
  await assert.rejects(stalled("slow.test"), /no DNS answer for slow\.test within 0\.05 s/);
});

test("signatures match the Standard Webhooks test vector and the reference library", () => {
  // The test vector of the specification and its reference libraries.
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const body = '{"test": 2432232314}';
  assert.equal(sign(secret, id, 1614265330, body), "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

  const now = Math.floor(Date.now() / 1000);
  const other = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXkhIQ==";
  const headers = {
    "webhook-id": id,
    "webhook-timestamp": String(now),
    "webhook-signature": signatureHeader([secret, other], id, now, body),
  };
  assert.deepEqual(new Webhook(secret).verify(body, headers), { test: 2432232314 });
  assert.deepEqual(new Webhook(other).verify(body, headers), { test: 2432232314 });
  assert.throws(() => new Webhook(other).verify(`${body} `, headers));
});
