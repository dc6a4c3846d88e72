#!/bin/sh
# cutover: the verified target takes over the service port. Stops the (read-only) source and
# keeps its data, moves the target from the staging port to the service port and starts it.
# If the target does not come up there, the source is started again before failing.
# Needs a passed verify. Rollback: switch-back.sh.
# usage: cutover.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=cutover
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

if [ "$(running_port "$TGT_BIN" "$TGT_DATA")" = "$PG_PORT" ] && ! is_running "$SRC_BIN" "$SRC_DATA"; then
  say "already cut over: PostgreSQL $(psql_at "$PG_PORT" postgres 'SHOW server_version') serves port $PG_PORT"
  exit 0
fi
[ -f "$WORK_DIR/verified" ] || die "the target has not passed verify since it was built: run verify.sh first"
require_source_serving
[ "$(read_only_setting)" = on ] || die "the source accepts writes again: the target is stale, run stop-writes, migrate and verify again"

say "cutover: stopping the PostgreSQL $ARG_FROM source (its data stays at $SRC_DATA)"
stop_server "$SRC_BIN" "$SRC_DATA"
stop_server "$TGT_BIN" "$TGT_DATA"
write_server_conf "$TGT_DATA" "$PG_PORT"
say "moving PostgreSQL $ARG_TO from port $PG_STAGING_PORT to the service port $PG_PORT"
if ! as_pg "$TGT_BIN/pg_ctl" start -D "$TGT_DATA" -w -t 120 -s -l "$TGT_DATA/ssmflow-server.log" ||
  [ "$(server_major_on "$PG_PORT")" != "$ARG_TO" ]; then
  say "the target did not come up on port $PG_PORT: putting the source back"
  stop_server "$TGT_BIN" "$TGT_DATA"
  write_server_conf "$TGT_DATA" "$PG_STAGING_PORT"
  start_server "$SRC_BIN" "$SRC_DATA"
  die "PostgreSQL $ARG_TO did not start on port $PG_PORT; the source serves again (read-only): $(tail -n 5 "$TGT_DATA/ssmflow-server.log" 2> /dev/null)"
fi
say "cut over: PostgreSQL $(psql_at "$PG_PORT" postgres 'SHOW server_version') serves port $PG_PORT"
