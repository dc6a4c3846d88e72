#!/bin/sh
# start-source (rollback of stop-primary): starts the source primary on the service port again and
# checks it accepts writes. Refuses once the upgraded cluster has been started (the point of no
# return: the source's data files are shared with it).
# usage: start-source.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=start-source
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

[ ! -e "$WORK_DIR/link-started" ] || die "the upgraded PostgreSQL $ARG_TO cluster has been started (point of no return): the $ARG_FROM source can no longer be used"
[ ! -f "$SRC_DATA/global/pg_control.old" ] || die "pg_upgrade --link disabled the source ($SRC_DATA/global/pg_control.old): roll back the pg-upgrade step first (undo-upgrade.sh)"
if ! is_running "$SRC_BIN" "$SRC_DATA"; then
  ! is_running "$TGT_BIN" "$TGT_DATA" || die "the PostgreSQL $ARG_TO cluster runs on $TGT_DATA: refusing to start the source beside it"
  write_server_conf "$SRC_DATA" "$PG_PORT"
  start_server "$SRC_BIN" "$SRC_DATA"
fi
require_source_serving
psql_at "$PG_PORT" postgres 'CREATE TEMP TABLE ssmflow_write_probe (x int)' > /dev/null || die "the source on port $PG_PORT refuses writes"
say "the PostgreSQL $ARG_FROM primary serves port $PG_PORT, writable"
