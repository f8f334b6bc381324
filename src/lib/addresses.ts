/**
 * Whether `address` is one of our own: MAIL_FROM (and its +tags, the reply
 * addresses), or anything INBOUND_SMTP_DOMAINS takes (a bare domain there
 * covers every address in it). Our own addresses never become a ticket's CC.
 */
export function isOwnAddress(
  config: { readonly mailFrom: string; readonly inboundSmtpDomains: readonly string[] },
  address: string,
): boolean {
  const at = address.lastIndexOf("@");
  if (at < 1) return false;
  const local = address.slice(0, at).toLowerCase();
  const domain = address.slice(at + 1).toLowerCase();
  const base = local.split("+")[0] ?? local;
  return [config.mailFrom, ...config.inboundSmtpDomains].some((entry) =>
    entry.includes("@") ? entry === `${base}@${domain}` : entry === domain,
  );
}
