import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Where a webhook may go (server-side request forgery). Only global unicast
 * addresses pass: loopback, private (RFC 1918, ULA fc00::/7), link-local
 * (169.254/16 with the cloud metadata address, fe80::/10), CGNAT 100.64/10,
 * unspecified, multicast, broadcast, documentation, benchmarking and the
 * IPv6 ranges that embed an IPv4 address (NAT64, 6to4, Teredo) are refused;
 * an IPv4-mapped IPv6 address is judged as the IPv4 address it maps. The
 * ranges come from ipaddr.js, whose `range()` names every special-purpose
 * block of the IANA registries.
 *
 * A URL whose `host:port` is in WEBHOOK_ALLOW_HOSTS passes whatever it
 * resolves to: an admin's explicit choice (an internal service, a receiver on
 * loopback). Only the URL's own host counts, never an address a name resolves
 * to, so another name cannot be pointed at an allowed address.
 */

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Every address a host name resolves to (the system resolver, as connections use). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Refused: the URL's host is (or resolves to) an address webhooks may not reach. */
export class BlockedAddress extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlockedAddress";
  }
}

const RANGE_NAMES: Record<string, string> = {
  loopback: "a loopback address",
  private: "a private address",
  uniqueLocal: "a private (unique local) address",
  linkLocal: "a link-local address",
  carrierGradeNat: "a shared (CGNAT) address",
  unspecified: "an unspecified address",
  multicast: "a multicast address",
  broadcast: "a broadcast address",
};

/** Why `address` may not be reached, or undefined when it is a global unicast address. */
export function blockedReason(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return "not an IP address";
  // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) becomes the IPv4 address.
  const range = ipaddr.process(address).range();
  if (range === "unicast") return undefined;
  return RANGE_NAMES[range] ?? `a special-purpose address (${range})`;
}

/** The URL's host without IPv6 brackets, lower-cased. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `resolve(hostname)`, or an error once `timeoutMs` has passed (a stalled resolver must not hold a worker). */
export function resolveWithin(resolve: Resolver, timeoutMs: number): Resolver {
  return (hostname) =>
    new Promise((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no DNS answer for ${hostname} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      resolve(hostname).then(
        (addresses) => {
          clearTimeout(timer);
          done(addresses);
        },
        (error: unknown) => {
          clearTimeout(timer);
          fail(error);
        },
      );
    });
}

/**
 * Resolves the URL's host once and checks every address it resolves to; the
 * first is the one to connect to (pinned by the sender, so a second lookup
 * cannot point the connection elsewhere). Throws BlockedAddress.
 */
export async function resolveTarget(
  url: URL,
  allowHosts: readonly string[],
  resolve: Resolver,
): Promise<ResolvedAddress> {
  const host = hostOf(url);
  const port = portOf(url);
  const named = allowHosts.includes(hostPort(host, port));
  const family = isIP(host);
  const addresses: ResolvedAddress[] =
    family === 4 || family === 6 ? [{ address: host, family }] : await resolve(host);
  const [first] = addresses;
  if (!first) throw new BlockedAddress(`${host} resolves to no address`);
  if (!named) {
    for (const { address } of addresses) {
      const reason = blockedReason(address);
      if (reason) {
        throw new BlockedAddress(
          address === host
            ? `${host} is ${reason}; allow ${hostPort(host, port)} in WEBHOOK_ALLOW_HOSTS to send there`
            : `${host} resolves to ${address}, ${reason}; allow ${hostPort(host, port)} in WEBHOOK_ALLOW_HOSTS to send there`,
        );
      }
    }
  }
  return first;
}
