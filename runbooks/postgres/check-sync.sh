#!/bin/sh
# check-sync (online strategy, a waitUntil check): exits 0 once every table of every subscription
# has finished its initial copy (pg_subscription_rel.srsubstate = 'r'); otherwise prints how many
# are still copying and exits 1. Exits 3 (give up) when a subscription's worker is not running.
# usage: check-sync.sh --from 16 --to 17
set -eu
GIVE_UP_EXIT=3
SSMFLOW_STEP=check-sync
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-online.sh"
load_config "$@"
require_role primary

pending=0
total=0
sync_db() {
  db=$1
  n=$(db_suffix "$db")
  [ "$(psql_at "$PG_STAGING_PORT" "$db" "SELECT count(*) FROM pg_subscription WHERE subname = 'ssmflow_upgrade_$n' AND subenabled")" = 1 ] ||
    { printf 'ssmflow check-sync FAILED: subscription ssmflow_upgrade_%s in %s is missing or disabled\n' "$n" "$db" >&2; exit 3; }
  counts=$(psql_at "$PG_STAGING_PORT" "$db" "SELECT count(*) FILTER (WHERE r.srsubstate <> 'r') || ' ' || count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = 'ssmflow_upgrade_$n'")
  pending=$((pending + ${counts%% *}))
  total=$((total + ${counts#* }))
}
for_each_db sync_db
if [ "$pending" -gt 0 ]; then
  say "SYNC $((total - pending))/$total tables copied"
  exit 1
fi
say "SYNC $total/$total tables copied: initial sync done"
