#!/bin/sh
# upgrade-check (link strategy): `pg_upgrade --check --link` against the running source and the
# prepared target. Changes nothing; fails with pg_upgrade's report when the clusters are not
# compatible (extensions, data types, settings, checksums).
# usage: upgrade-check.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=upgrade-check
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary
require_source_serving
[ -f "$WORK_DIR/link-prepared" ] || die "no prepared target at $TGT_DATA: run prepare-target.sh first"
[ -x "$TGT_BIN/pg_upgrade" ] || die "$TGT_BIN/pg_upgrade is missing: install the full PostgreSQL $ARG_TO toolset"

check_dir="$WORK_DIR/pg_upgrade-check"
rm -rf "$check_dir"
pg_mkdir "$check_dir"
say "pg_upgrade --check --link: PostgreSQL $ARG_FROM ($SRC_DATA, running on $PG_PORT) -> $ARG_TO ($TGT_DATA)"
if ! as_pg_in "$check_dir" "$TGT_BIN/pg_upgrade" --check --link \
  -b "$SRC_BIN" -B "$TGT_BIN" -d "$SRC_DATA" -D "$TGT_DATA" \
  -p "$PG_PORT" -P "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -s "$PG_SOCKET_DIR" > "$check_dir/report.txt" 2>&1; then
  cat "$check_dir/report.txt"
  die "pg_upgrade --check found problems (report above; logs under $TGT_DATA/pg_upgrade_output.d)"
fi
cat "$check_dir/report.txt"
# --check leaves its logs in the target; the real run wants a clean one.
rm -rf "$TGT_DATA/pg_upgrade_output.d"
say "pg_upgrade --check passed"
