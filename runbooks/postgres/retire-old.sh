#!/bin/sh
# retire-old (online strategy): stops the old cluster and deletes its data directory, once no
# replication of this upgrade is left and no client session is connected to it. Irreversible.
# usage: retire-old.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=retire-old
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-online.sh"
load_config "$@"
require_role primary
[ -f "$WORK_DIR/replication-cleaned" ] || die "the replication of this upgrade has not been cleaned up (cleanup-replication.sh): the old cluster may still be the one clients use; refusing to retire it"
if is_running "$SRC_BIN" "$SRC_DATA"; then
  [ -z "$(leftover_slots "$PG_PORT")" ] || die "the old cluster still has replication slots of this upgrade: run cleanup-replication.sh first"
  sessions=$(psql_at "$PG_PORT" postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
  [ "$sessions" = 0 ] || die "$sessions client sessions are still connected to the old cluster on port $PG_PORT: move them first"
  stop_server "$SRC_BIN" "$SRC_DATA"
fi
if [ -e "$SRC_DATA" ]; then
  rm -rf "$SRC_DATA"
  rmdir "$(dirname "$SRC_DATA")" 2> /dev/null || true
  say "deleted the PostgreSQL $ARG_FROM data directory $SRC_DATA"
else
  say "the PostgreSQL $ARG_FROM data directory $SRC_DATA is already gone"
fi
rm -rf "$WORK_DIR/schema" "$WORK_DIR/online-target" "$WORK_DIR/columns-old" "$WORK_DIR/columns-new"
say "retired the old cluster; PostgreSQL $ARG_TO serves on port $PG_STAGING_PORT behind PgBouncer"
