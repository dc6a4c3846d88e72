#!/bin/sh
# check-lag (online strategy, a waitUntil check): how far the new cluster is behind the old one,
# the largest pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) over the subscriptions'
# slots. Exits 0 at or below --max-lag-bytes, 1 above (prints `LAG <bytes> bytes`). Logical
# replication does not carry DDL: when a table's columns on the old cluster no longer match the
# new one, it exits 3 (give up) naming the table.
# usage: check-lag.sh --from 16 --to 17 --max-lag-bytes 1048576
set -eu
GIVE_UP_EXIT=3
SSMFLOW_STEP=check-lag
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-online.sh"
max_lag=''
args=''
while [ $# -gt 0 ]; do
  case $1 in
    --max-lag-bytes) max_lag=${2:-}; shift 2 ;;
    *) args="$args $1"; shift ;;
  esac
done
# shellcheck disable=SC2086
load_config $args
require_role primary
is_uint "$max_lag" || die "--max-lag-bytes must be a number of bytes"

columns="SELECT coalesce(string_agg(col, E'\\n' ORDER BY col), '') FROM (
  SELECT format('%s.%s %s %s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)) AS col
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
     AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%') AS cols"
ddl_db() {
  db=$1
  old=$(psql_at "$PG_PORT" "$db" "$columns")
  new=$(psql_at "$PG_STAGING_PORT" "$db" "$columns")
  if [ "$old" != "$new" ]; then
    diffs=$(printf '%s\n' "$old" > "$WORK_DIR/columns-old" && printf '%s\n' "$new" > "$WORK_DIR/columns-new" && diff "$WORK_DIR/columns-old" "$WORK_DIR/columns-new" | grep '^[<>]' | head -n 3 | tr '\n' ';')
    printf 'ssmflow check-lag FAILED: DDL ran on the old cluster during replication (database %s: %s). Logical replication does not copy DDL: roll back, or run the same DDL on the new cluster (port %s) and retry\n' "$db" "$diffs" "$PG_STAGING_PORT" >&2
    exit 3
  fi
}
new_dbs=$(databases_on "$PG_STAGING_PORT")
missing=$(databases_on "$PG_PORT" | while IFS= read -r db; do printf '%s\n' "$new_dbs" | grep -qxF "$db" || printf '%s ' "$db"; done)
if [ -n "$missing" ]; then
  printf 'ssmflow check-lag FAILED: database(s) %swere created on the old cluster after the new one was built; logical replication does not copy them: roll back and start again\n' "$missing" >&2
  exit 3
fi
for_each_db ddl_db

lag=$(psql_at "$PG_PORT" postgres "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)), -1)::bigint FROM pg_replication_slots WHERE slot_name LIKE 'ssmflow\\_upgrade\\_%'")
[ "$lag" != -1 ] || { printf 'ssmflow check-lag FAILED: no replication slot of this upgrade on the old cluster (subscribe first)\n' >&2; exit 3; }
say "LAG $lag bytes (threshold $max_lag)"
[ "$lag" -le "$max_lag" ]
