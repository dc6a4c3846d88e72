#!/bin/sh
# stop-primary (link strategy): a checkpoint, then a fast shutdown of the source primary (its
# standbys lose their upstream; the pooler must be paused first). Data untouched.
# Rollback: start-source.sh.
# usage: stop-primary.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=stop-primary
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

if ! is_running "$SRC_BIN" "$SRC_DATA"; then
  say "the PostgreSQL $ARG_FROM primary at $SRC_DATA is already stopped"
  exit 0
fi
require_source_serving
# A checkpoint first makes the shutdown checkpoint short.
psql_at "$PG_PORT" postgres 'CHECKPOINT' > /dev/null
stop_server "$SRC_BIN" "$SRC_DATA"
say "stopped the PostgreSQL $ARG_FROM primary"
