#!/usr/bin/env bash
# What the tests need from Debian, installed when it can be: the wire tests talk to the
# server with real peers (OpenLDAP's client tools and server, python3-ldap3, python-ldap)
# and make TLS certificates and probe the cipher suites with openssl; the MADCAP multicast
# test makes a network namespace with unshare and ip; the web page's tests drive Debian's
# Chromium (headless, through playwright-core, which downloads no browser) and read the
# calendar feeds with python3-icalendar. Run by `npm test`
# (pretest) and by .ci/run.
#
# Every package present: silent, exit 0. Some missing, as root: `apt-get update` once and
# `apt-get install` them without questions, keeping the slapd package from starting a
# system slapd (the tests run their own). Otherwise: one line on stderr naming the missing
# packages and the command that installs them, exit 1, before any test runs.
#
# Environment:
#   RENDEZVOUS_TEST_DEPS=check   only check, never install (what a user other than root gets)
#   RENDEZVOUS_TEST_DEPS=install install also when not root (apt-get has the rights some other way)
#   SLAPD, SLAPTEST              where slapd and slaptest are (as in test/helpers/slapd.ts)
#   SASL_PATH                    where libsasl2 looks for its plugins (as libsasl2 itself)
#   POLICY_RC_D                  the invoke-rc.d policy file (default /usr/sbin/policy-rc.d)
#   IP                           where iproute2's ip is (as in test/mcast/multicast.test.ts)
#   CHROMIUM                     the Chromium binary (default /usr/bin/chromium)
set -uo pipefail

# The interpreter the Python tests run (test/helpers/python.ts): Debian's, with its modules.
PYTHON=/usr/bin/python3
SLAPD=${SLAPD:-/usr/sbin/slapd}
SLAPTEST=${SLAPTEST:-/usr/sbin/slaptest}
POLICY_RC_D=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
IP=${IP:-/usr/sbin/ip}
# The browser the web page's tests drive (as in test/http/browser.ts).
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# Prints the Debian packages whose part the tests use is missing, one per line.
missing_packages() {
  local tool
  for tool in ldapsearch ldapadd ldapmodify ldapdelete ldapmodrdn ldapcompare ldapexop ldapwhoami; do
    if ! command -v "$tool" >/dev/null 2>&1; then echo ldap-utils; break; fi
  done
  # libldap picks SASL mechanisms through these plugins (ldapsearch without -x).
  local dirs dir found=no
  if [ -n "${SASL_PATH:-}" ]; then IFS=: read -ra dirs <<<"$SASL_PATH"; else dirs=(/usr/lib/*/sasl2); fi
  for dir in "${dirs[@]}"; do
    if compgen -G "$dir/libdigestmd5.so*" >/dev/null; then found=yes; break; fi
  done
  [ "$found" = yes ] || echo libsasl2-modules
  if [ ! -x "$SLAPD" ] || [ ! -x "$SLAPTEST" ]; then echo slapd; fi
  "$PYTHON" -c 'import ldap3' >/dev/null 2>&1 || echo python3-ldap3
  "$PYTHON" -c 'import ldap' >/dev/null 2>&1 || echo python3-ldap
  command -v openssl >/dev/null 2>&1 || echo openssl
  # The MADCAP multicast test makes a network namespace (unshare, of the essential
  # util-linux) and routes multicast over its loopback with ip.
  [ -x "$IP" ] || echo iproute2
  [ -x "$CHROMIUM" ] || echo chromium
  "$PYTHON" -c 'import icalendar, dateutil' >/dev/null 2>&1 || echo python3-icalendar
}

mapfile -t need < <(missing_packages)
[ "${#need[@]}" -eq 0 ] && exit 0

# One line, then stop: nothing runs half set up.
refuse() {
  echo "test-deps: the tests need these Debian packages: ${need[*]} ($1); install them with: sudo apt-get install --no-install-recommends ${need[*]} (or run: sudo $0)" >&2
  exit 1
}

case "${RENDEZVOUS_TEST_DEPS:-}" in
  check) refuse 'missing' ;;
  install) ;;
  *) [ "$EUID" -eq 0 ] || refuse 'missing; not root, so not installed' ;;
esac
command -v apt-get >/dev/null 2>&1 || refuse 'missing; no apt-get here'

echo "test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# slapd's maintainer script starts a system slapd (port 389, answering for a generated
# "nodomain" directory) through invoke-rc.d; a policy that refuses keeps it stopped. Left
# alone when the machine has a policy of its own (containers usually refuse already).
own_policy=no
if [[ " ${need[*]} " == *' slapd '* ]] && [ ! -e "$POLICY_RC_D" ]; then
  printf '#!/bin/sh\n# test-deps: no services started while the test packages install\nexit 101\n' >"$POLICY_RC_D" &&
    chmod 755 "$POLICY_RC_D" && own_policy=yes
fi
status=0
apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 || status=$?
if [ "$own_policy" = yes ]; then
  rm -f "$POLICY_RC_D"
  # Nor at the next boot.
  update-rc.d slapd disable >/dev/null 2>&1 || true
fi
[ "$status" -eq 0 ] || refuse "apt-get failed with exit $status"

mapfile -t need < <(missing_packages)
[ "${#need[@]}" -eq 0 ] || refuse 'still missing after apt-get install'
exit 0
