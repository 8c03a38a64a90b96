#!/usr/bin/env bash
# One writer and two read replicas on this machine: Rendezvous as the single writer, two
# unmodified OpenLDAP slapd consumers following it by RFC 4533 syncrepl (refreshAndPersist).
# It publishes a conference on the writer, shows it on both replicas, changes it, deletes
# it, and prints every server's contextCSN at each step: the replicas are in step when
# theirs equals the writer's. docs/replication.md explains the configuration.
#
#   examples/replicas/run.sh            run the demonstration, then stop everything
#   examples/replicas/run.sh --stay     leave the three servers running until Ctrl-C
#
# Needs: the project built (npm run build), Debian's slapd and ldap-utils (the slapd binary
# only; no system slapd is started or touched). Everything lives in a temporary directory
# that is removed on exit. Ports: WRITER_PORT (default 3389), REPLICA_PORTS (default
# "3390 3391"), all on 127.0.0.1.
set -euo pipefail

STAY=no
[[ "${1:-}" == --stay ]] && STAY=yes

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RENDEZVOUS="$REPO/bin/rendezvous"
SLAPD=${SLAPD:-/usr/sbin/slapd}
SCHEMA_DIR=${SLAPD_SCHEMA_DIR:-/etc/ldap/schema}
MODULE_DIR=${SLAPD_MODULE_DIR:-/usr/lib/ldap}
WRITER_PORT=${WRITER_PORT:-3389}
read -r -a REPLICA_PORTS <<<"${REPLICA_PORTS:-3390 3391}"
SUFFIX=o=Intranet
WRITER=ldap://127.0.0.1:$WRITER_PORT

[[ -x "$SLAPD" ]] || { echo "slapd not found at $SLAPD (Debian: apt-get install slapd ldap-utils)" >&2; exit 1; }
[[ -d "$REPO/dist" ]] || { echo "build the project first: npm run build" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rendezvous-replicas.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until something answers on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 100); do
    if ldapsearch -x -H "ldap://127.0.0.1:$1" -b '' -s base -LLL 1.1 >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "nothing answers on port $1; the servers' logs (removed on exit):" >&2
  for log in "$WORK"/*.log "$WORK"/*/slapd.log; do [[ -f "$log" ]] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  exit 1
}

# The writer: Rendezvous, with the account the replicas bind as and one for publishing.
export RENDEZVOUS_PASSWORD=replicator-secret
"$RENDEZVOUS" account add replicator --admin --db "$WORK/writer.db" >/dev/null   # no size limit on its refresh
RENDEZVOUS_PASSWORD=alice-secret "$RENDEZVOUS" account add alice --db "$WORK/writer.db" >/dev/null
"$RENDEZVOUS" serve --host 127.0.0.1 --port "$WRITER_PORT" --db "$WORK/writer.db" --workers 1 --madcap-port off --http off 2>"$WORK/writer.log" &
PIDS+=($!)
wait_port "$WRITER_PORT"
echo "writer    $WRITER (Rendezvous)"

# The replicas: stock slapd, back-mdb, our schema, a syncrepl consumer of the whole tree.
# moduleload dds without "overlay dds" and exattrs=entryTtl,entryExpireTimestamp: the
# provider expires entries and the replica sees deletes (slapo-dds(5), REPLICATION).
for port in "${REPLICA_PORTS[@]}"; do
  dir="$WORK/replica-$port"
  mkdir -p "$dir/db"
  cat >"$dir/slapd.conf" <<EOF
include $SCHEMA_DIR/core.schema
include $SCHEMA_DIR/cosine.schema
include $SCHEMA_DIR/inetorgperson.schema
include $REPO/schema/rendezvous.schema
modulepath $MODULE_DIR
moduleload back_mdb
moduleload dds
pidfile $dir/slapd.pid

database mdb
suffix "$SUFFIX"
rootdn "cn=admin,$SUFFIX"
rootpw "replica-admin"
directory "$dir/db"
maxsize 1073741824
index entryUUID,entryCSN eq
index objectClass eq
index uid,cn eq,sub
syncrepl rid=001 provider=$WRITER type=refreshAndPersist searchbase="$SUFFIX"
  retry="1 +" bindmethod=simple binddn="cn=replicator,ou=accounts,$SUFFIX"
  credentials=replicator-secret exattrs=entryTtl,entryExpireTimestamp
updateref $WRITER
EOF
  "$SLAPD" -d none -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" 2>"$dir/slapd.log" &
  PIDS+=($!)
  wait_port "$port"
  echo "replica   ldap://127.0.0.1:$port (slapd syncrepl consumer)"
done

csn() { ldapsearch -x -H "$1" -b "$SUFFIX" -s base -LLL contextCSN 2>/dev/null | sed -n 's/^contextCSN: //p'; }
show_csns() {
  printf '  %-28s %s\n' "$WRITER" "$(csn "$WRITER")"
  for port in "${REPLICA_PORTS[@]}"; do printf '  %-28s %s\n' "ldap://127.0.0.1:$port" "$(csn "ldap://127.0.0.1:$port")"; done
}
# Waits (at most 10 s) until every replica has the writer's contextCSN.
in_step() {
  local want
  want=$(csn "$WRITER")
  for _ in $(seq 100); do
    local all=yes
    for port in "${REPLICA_PORTS[@]}"; do [[ "$(csn "ldap://127.0.0.1:$port")" == "$want" ]] || all=no; done
    if [[ $all == yes ]]; then return 0; fi
    sleep 0.1
  done
  echo "the replicas are not in step after 10 s:" >&2
  show_csns >&2
  exit 1
}
# Prints what each server holds of a conference.
show() {
  for url in "$WRITER" "${REPLICA_PORTS[@]/#/ldap://127.0.0.1:}"; do
    printf '  %-28s %s\n' "$url" "$(ldapsearch -x -H "$url" -b "ou=dynamic,$SUFFIX" -LLL "(uid=$1)" uid generalDescription 2>/dev/null | sed -n 's/^\(uid\|generalDescription\): //p' | paste -sd' ' - | sed 's/^$/(none)/')"
  done
}

BIND=(--url "$WRITER" --bind-dn "cn=alice,ou=accounts,$SUFFIX" --quiet)
in_step
echo
echo "== in step from the start (contextCSN of each):"
show_csns

echo
echo "== publish weekly-sync on the writer; read it from every server:"
RENDEZVOUS_PASSWORD=alice-secret "$RENDEZVOUS" publish "${BIND[@]}" --name weekly-sync --description 'Weekly sync' \
  --start now --duration 1h --address 239.1.2.3 --scope site --media audio:5004:0 >/dev/null
in_step
show weekly-sync

echo
echo "== change its description on the writer:"
ldapmodify -x -H "$WRITER" -D "cn=alice,ou=accounts,$SUFFIX" -w alice-secret >/dev/null <<EOF
dn: uid=weekly-sync,ou=dynamic,$SUFFIX
changetype: modify
replace: conferenceBlob
conferenceBlob:: $(ldapsearch -x -H "$WRITER" -b "uid=weekly-sync,ou=dynamic,$SUFFIX" -s base -LLL -o ldif-wrap=no conferenceBlob | sed -n 's/^conferenceBlob:: //p' | base64 -d | sed 's/^i=Weekly sync\r$/i=Weekly sync (moved to Tuesday)\r/' | base64 -w0)
EOF
in_step
show weekly-sync

echo
echo "== a replica takes no writes, not even from its own rootdn: it refers the client to the writer"
ldapadd -x -H "ldap://127.0.0.1:${REPLICA_PORTS[0]}" -D "cn=admin,$SUFFIX" -w replica-admin 2>&1 <<EOF | grep -v '^adding\|^$' | sed 's/^/  /' || true
dn: uid=elsewhere,ou=dynamic,$SUFFIX
objectClass: rtConference
EOF

echo
echo "== delete it on the writer:"
RENDEZVOUS_PASSWORD=alice-secret "$RENDEZVOUS" delete weekly-sync "${BIND[@]}" >/dev/null
in_step
show weekly-sync
echo
show_csns

if [[ $STAY == yes ]]; then
  echo
  echo "running; Ctrl-C stops all three (logs in $WORK)"
  wait
fi
