#!/bin/sh
# cleanup: after a successful upgrade, deletes the old major's data directory and the upgrade's
# scratch files. The S3 backup is kept. Irreversible, so it refuses unless the target serves the
# service port and the source is stopped.
# usage: cleanup.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=cleanup
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

[ "$(running_port "$TGT_BIN" "$TGT_DATA")" = "$PG_PORT" ] ||
  die "the PostgreSQL $ARG_TO cluster does not serve port $PG_PORT: refusing to delete the $ARG_FROM data"
! is_running "$SRC_BIN" "$SRC_DATA" || die "the PostgreSQL $ARG_FROM source is still running: refusing to delete its data"
if [ -e "$SRC_DATA" ]; then
  if [ -f "$SRC_DATA/PG_VERSION" ] && [ "$(cat "$SRC_DATA/PG_VERSION")" != "$ARG_FROM" ]; then
    die "$SRC_DATA holds PostgreSQL $(cat "$SRC_DATA/PG_VERSION"), not $ARG_FROM: refusing to delete it"
  fi
  rm -rf "$SRC_DATA"
  rmdir "$(dirname "$SRC_DATA")" 2> /dev/null || true
  say "deleted the PostgreSQL $ARG_FROM data directory $SRC_DATA"
else
  say "the PostgreSQL $ARG_FROM data directory $SRC_DATA is already gone"
fi
rm -rf "$WORK_DIR/dump" "$WORK_DIR/backup" "$WORK_DIR/migrated" "$WORK_DIR/verified" "$WORK_DIR/initdb.log" \
  "$WORK_DIR/link-prepared" "$WORK_DIR/link-upgraded" "$WORK_DIR/link-started" "$WORK_DIR/pg_upgrade" "$WORK_DIR/pg_upgrade-check"
if [ -f "$WORK_DIR/last-backup" ]; then
  say "backup kept: $(cat "$WORK_DIR/last-backup")"
fi
say "cleanup done: PostgreSQL $ARG_TO serves port $PG_PORT"
