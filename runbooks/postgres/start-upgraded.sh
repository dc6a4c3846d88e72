#!/bin/sh
# start-upgraded (link strategy): THE POINT OF NO RETURN. Starts the upgraded cluster on the
# service port; from then on the source's shared data files belong to it and the source can no
# longer be used. A marker written before the start makes every rollback script refuse.
# usage: start-upgraded.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=start-upgraded
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

[ -f "$WORK_DIR/link-upgraded" ] || die "pg_upgrade has not completed into $TGT_DATA: run pg-upgrade.sh first"
! is_running "$SRC_BIN" "$SRC_DATA" || die "the PostgreSQL $ARG_FROM source runs: refusing to start the upgraded cluster beside it"
printf 'started %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" | pg_write_file "$WORK_DIR/link-started"
if ! is_running "$TGT_BIN" "$TGT_DATA"; then
  write_server_conf "$TGT_DATA" "$PG_PORT"
  start_server "$TGT_BIN" "$TGT_DATA"
fi
running=$(server_major_on "$PG_PORT") || die "nothing answers on port $PG_PORT after the start"
[ "$running" = "$ARG_TO" ] || die "port $PG_PORT serves PostgreSQL $running, expected $ARG_TO"
psql_at "$PG_PORT" postgres 'CREATE TEMP TABLE ssmflow_write_probe (x int)' > /dev/null || die "the upgraded cluster on port $PG_PORT refuses writes"
say "PostgreSQL $(psql_at "$PG_PORT" postgres 'SHOW server_version') serves port $PG_PORT, writable"
