#!/bin/sh
# remove-target (rollback of migrate): stops the target-major cluster and deletes its data
# directory. Refuses while the target serves the service port (switch-back.sh first).
# usage: remove-target.sh --from 15 --to 17
set -eu
SSMFLOW_STEP=remove-target
. "$(dirname "$0")/lib.sh"
load_config "$@"

invalidate_target
if [ ! -e "$TGT_DATA" ]; then
  say "no target cluster at $TGT_DATA: nothing to remove"
  exit 0
fi
if [ -f "$TGT_DATA/PG_VERSION" ] && [ "$(cat "$TGT_DATA/PG_VERSION")" != "$ARG_TO" ]; then
  die "$TGT_DATA holds PostgreSQL $(cat "$TGT_DATA/PG_VERSION"), not $ARG_TO: refusing to remove it"
fi
[ "$(running_port "$TGT_BIN" "$TGT_DATA")" != "$PG_PORT" ] ||
  die "the PostgreSQL $ARG_TO cluster serves port $PG_PORT (cutover in effect): run switch-back.sh first"
stop_server "$TGT_BIN" "$TGT_DATA"
rm -rf "$TGT_DATA"
rmdir "$(dirname "$TGT_DATA")" 2> /dev/null || true
rm -rf "$WORK_DIR/dump"
say "removed the PostgreSQL $ARG_TO cluster at $TGT_DATA"
