#!/bin/sh
# remove-target (rollback of migrate and prepare-target): stops the target-major cluster and deletes its data
# directory. Should the target still hold the service port (a cutover that succeeded here while
# failing on another instance), the source is started on it again first.
# usage: remove-target.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=remove-target
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

invalidate_target
[ ! -e "$WORK_DIR/link-started" ] || die "the upgraded PostgreSQL $ARG_TO cluster has been started (point of no return): refusing to remove it"
if [ -f "$SRC_DATA/global/pg_control.old" ]; then
  # pg_upgrade --link ran but the target never started: the source's files are still its own.
  mv "$SRC_DATA/global/pg_control.old" "$SRC_DATA/global/pg_control"
  say "restored $SRC_DATA/global/pg_control (left disabled by pg_upgrade --link)"
fi
rm -f "$WORK_DIR/link-prepared" "$WORK_DIR/link-upgraded" "$WORK_DIR/online-target"
if [ ! -e "$TGT_DATA" ]; then
  say "no target cluster at $TGT_DATA: nothing to remove"
  exit 0
fi
if [ -f "$TGT_DATA/PG_VERSION" ] && [ "$(cat "$TGT_DATA/PG_VERSION")" != "$ARG_TO" ]; then
  die "$TGT_DATA holds PostgreSQL $(cat "$TGT_DATA/PG_VERSION"), not $ARG_TO: refusing to remove it"
fi
if [ "$(running_port "$TGT_BIN" "$TGT_DATA")" = "$PG_PORT" ]; then
  # Cutover went through here although the step failed as a whole (on another instance), so
  # its rollback never ran on this one: put the source back on the service port first.
  [ -f "$SRC_DATA/PG_VERSION" ] || die "the PostgreSQL $ARG_TO cluster serves port $PG_PORT and the $ARG_FROM data is gone: refusing to remove it"
  say "the PostgreSQL $ARG_TO cluster serves port $PG_PORT: switching the port back to the source first"
  stop_server "$TGT_BIN" "$TGT_DATA"
  start_server "$SRC_BIN" "$SRC_DATA"
fi
stop_server "$TGT_BIN" "$TGT_DATA"
rm -rf "$TGT_DATA"
rmdir "$(dirname "$TGT_DATA")" 2> /dev/null || true
rm -rf "$WORK_DIR/dump"
say "removed the PostgreSQL $ARG_TO cluster at $TGT_DATA"
