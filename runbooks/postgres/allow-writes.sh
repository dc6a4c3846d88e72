#!/bin/sh
# allow-writes (rollback of stop-writes): the source cluster serves the service port and accepts
# writes again. Starts the source if it is stopped and the port is free; refuses while the
# target still holds the service port (switch-back.sh first).
# usage: allow-writes.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=allow-writes
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

if ! is_running "$SRC_BIN" "$SRC_DATA"; then
  [ "$(running_port "$TGT_BIN" "$TGT_DATA")" != "$PG_PORT" ] ||
    die "the PostgreSQL $ARG_TO cluster serves port $PG_PORT (cutover in effect): run switch-back.sh first"
  answers_on "$PG_PORT" && die "another server answers on port $PG_PORT"
  start_server "$SRC_BIN" "$SRC_DATA"
fi
require_source_serving
invalidate_target
if [ "$(read_only_setting)" = off ]; then
  say "writes already allowed on port $PG_PORT"
else
  say "allowing writes on port $PG_PORT: default_transaction_read_only reset"
  set_source_read_only off
fi
psql_at "$PG_PORT" postgres 'CREATE TEMP TABLE ssmflow_write_probe (x int)' > /dev/null || die "port $PG_PORT still refuses writes"
say "source PostgreSQL $(psql_at "$PG_PORT" postgres 'SHOW server_version') on port $PG_PORT is writable"
