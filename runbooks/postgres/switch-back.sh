#!/bin/sh
# switch-back (rollback of cutover): the source serves the service port again and accepts
# writes. Stops the target and moves it back to the staging port (it is stale from now on:
# running cutover again needs migrate and verify again).
# usage: switch-back.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=switch-back
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

[ -f "$SRC_DATA/PG_VERSION" ] || die "the PostgreSQL $ARG_FROM data at $SRC_DATA is gone (cleanup ran): restore from the backup instead"
invalidate_target
if [ -f "$TGT_DATA/PG_VERSION" ]; then
  stop_server "$TGT_BIN" "$TGT_DATA"
  write_server_conf "$TGT_DATA" "$PG_STAGING_PORT"
fi
if ! is_running "$SRC_BIN" "$SRC_DATA"; then
  answers_on "$PG_PORT" && die "another server answers on port $PG_PORT"
  start_server "$SRC_BIN" "$SRC_DATA"
fi
require_source_serving
if [ "$(read_only_setting)" != off ]; then
  say "allowing writes on the source again"
  set_source_read_only off
fi
say "switched back: PostgreSQL $(psql_at "$PG_PORT" postgres 'SHOW server_version') serves port $PG_PORT, writable"
