#!/usr/bin/env bash
# Installs Debian's Dovecot IMAP server (dovecot-imapd) when it is missing: the
# mailbox tests and the IMAP benchmark start throwaway instances of it
# (test/helpers/dovecot.ts). Idempotent, and instant when it is installed.
# Under CI (CI=true) a failed install fails; elsewhere it warns, and the
# Dovecot tests are skipped with a note saying why.
set -uo pipefail
if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
  exit 0
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
echo "Installing dovecot-imapd for the mailbox tests..."
if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends dovecot-imapd; then
  exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "Could not install dovecot-imapd: the mailbox tests need it." >&2
  exit 1
fi
echo "Warning: could not install dovecot-imapd (try: sudo apt-get install dovecot-imapd); the mailbox tests will be skipped." >&2
exit 0
