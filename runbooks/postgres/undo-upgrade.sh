#!/bin/sh
# undo-upgrade (rollback of pg-upgrade): before the upgraded cluster has ever started, the source's
# data files are still its own: put back global/pg_control and delete the target (its hard links
# go, the source's files stay). Refused after the point of no return.
# usage: undo-upgrade.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=undo-upgrade
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

[ ! -e "$WORK_DIR/link-started" ] || die "the upgraded PostgreSQL $ARG_TO cluster has been started (point of no return): the upgrade cannot be undone"
! is_running "$TGT_BIN" "$TGT_DATA" || die "the PostgreSQL $ARG_TO cluster runs on $TGT_DATA: refusing to undo the upgrade"
if [ -f "$SRC_DATA/global/pg_control.old" ]; then
  mv "$SRC_DATA/global/pg_control.old" "$SRC_DATA/global/pg_control"
  say "restored $SRC_DATA/global/pg_control"
fi
if [ -e "$TGT_DATA" ]; then
  rm -rf "$TGT_DATA"
  rmdir "$(dirname "$TGT_DATA")" 2> /dev/null || true
  say "removed the upgraded PostgreSQL $ARG_TO cluster at $TGT_DATA"
fi
rm -f "$WORK_DIR/link-upgraded" "$WORK_DIR/link-prepared"
say "the PostgreSQL $ARG_FROM source at $SRC_DATA is usable again (start-source.sh starts it)"
