#!/bin/sh
# pg-upgrade (link strategy): `pg_upgrade --link` from the stopped source into the prepared target.
# Data files are hard-linked, not copied, so the time depends on the number of objects, not bytes.
# pg_upgrade renames the source's global/pg_control to pg_control.old when it links, so the source
# cannot be started by accident; until the target is started, undo-upgrade.sh gives it back.
# A repeated run after success does nothing; after an interrupted run it restores the source and
# the prepared target, then runs pg_upgrade again.
# usage: pg-upgrade.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=pg-upgrade
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

if [ -f "$WORK_DIR/link-upgraded" ]; then
  say "already upgraded: $(cat "$WORK_DIR/link-upgraded")"
  exit 0
fi
[ -f "$WORK_DIR/link-prepared" ] || die "no prepared target at $TGT_DATA: run prepare-target.sh first"
! is_running "$SRC_BIN" "$SRC_DATA" || die "the PostgreSQL $ARG_FROM source still runs: stop it first (stop-primary.sh)"
! is_running "$TGT_BIN" "$TGT_DATA" || die "the PostgreSQL $ARG_TO target runs: refusing to upgrade into it"
if [ -f "$SRC_DATA/global/pg_control.old" ] || [ -d "$TGT_DATA/pg_upgrade_output.d" ]; then
  # An interrupted pg_upgrade: its target is not trustworthy. Give the source back its control
  # file and build the target again (the source must run for that, briefly, on the staging port).
  say "an earlier pg_upgrade did not finish: restoring the source and preparing the target again"
  if [ -f "$SRC_DATA/global/pg_control.old" ]; then mv "$SRC_DATA/global/pg_control.old" "$SRC_DATA/global/pg_control"; fi
  rm -rf "$TGT_DATA"
  write_server_conf "$SRC_DATA" "$PG_PORT"
  start_server "$SRC_BIN" "$SRC_DATA"
  init_target "$PG_PORT"
  stop_server "$SRC_BIN" "$SRC_DATA"
fi

run_dir="$WORK_DIR/pg_upgrade"
rm -rf "$run_dir"
pg_mkdir "$run_dir"
say "pg_upgrade --link: PostgreSQL $ARG_FROM ($SRC_DATA) -> $ARG_TO ($TGT_DATA)"
started=$(date +%s)
if ! as_pg_in "$run_dir" "$TGT_BIN/pg_upgrade" --link \
  -b "$SRC_BIN" -B "$TGT_BIN" -d "$SRC_DATA" -D "$TGT_DATA" \
  -p "$PG_STAGING_PORT" -P "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -s "$PG_SOCKET_DIR" > "$run_dir/report.txt" 2>&1; then
  tail -n 20 "$run_dir/report.txt"
  die "pg_upgrade failed (report above; logs under $TGT_DATA/pg_upgrade_output.d); roll back to restore the source"
fi
tail -n 8 "$run_dir/report.txt"
printf 'pg_upgrade --link PostgreSQL %s -> %s in %ss\n' "$ARG_FROM" "$ARG_TO" "$(($(date +%s) - started))" | pg_write_file "$WORK_DIR/link-upgraded"
say "$(cat "$WORK_DIR/link-upgraded")"
