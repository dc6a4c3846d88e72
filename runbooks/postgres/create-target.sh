#!/bin/sh
# create-target (online strategy): the new cluster beside the old one, on the staging port: initdb
# of the target major like the source (encoding, locale, data checksums, pg_hba), started, then
# roles and tablespaces (pg_dumpall --globals-only) and every database's schema (pg_dump
# --schema-only), both with the source's own tools, so the subscription has tables to fill.
# No data is copied here. A repeated run keeps a finished target; an unfinished one is rebuilt.
# Rollback: remove-target.sh.
# usage: create-target.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=create-target
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-online.sh"
load_config "$@"
require_role primary
require_source_serving

if [ -f "$WORK_DIR/online-target" ] && [ "$(cat "$TGT_DATA/PG_VERSION" 2> /dev/null)" = "$ARG_TO" ]; then
  if ! is_running "$TGT_BIN" "$TGT_DATA"; then start_server "$TGT_BIN" "$TGT_DATA"; fi
  say "already built: PostgreSQL $ARG_TO at $TGT_DATA on port $PG_STAGING_PORT"
  exit 0
fi
remove_unfinished_target
if answers_on "$PG_STAGING_PORT"; then die "another server already answers on the staging port $PG_STAGING_PORT"; fi

init_target "$PG_STAGING_PORT"
start_server "$TGT_BIN" "$TGT_DATA"
[ "$(psql_at "$PG_STAGING_PORT" postgres 'SHOW wal_level')" = logical ] ||
  die "the new cluster runs with wal_level=$(psql_at "$PG_STAGING_PORT" postgres 'SHOW wal_level'): set wal_level = logical in PG_TARGET_CONF (reverse replication at cut-over needs it)"

schema_dir="$WORK_DIR/schema"
rm -rf "$schema_dir"
pg_mkdir "$schema_dir"
as_pg "$SRC_BIN/pg_dumpall" --globals-only -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -f "$schema_dir/globals.sql" || die "pg_dumpall --globals-only failed"
grep -v -x -F -e "CREATE ROLE $PG_SUPERUSER;" -e "CREATE ROLE \"$PG_SUPERUSER\";" "$schema_dir/globals.sql" | pg_write_file "$schema_dir/globals-target.sql"
as_pg "$TGT_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -d postgres -f "$schema_dir/globals-target.sql" > /dev/null ||
  die "restoring roles and tablespaces failed"

copy_schema() {
  db=$1
  n=$(db_suffix "$db")
  say "database $db: schema with the source's pg_dump --schema-only"
  if [ "$db" = postgres ]; then
    as_pg "$SRC_BIN/pg_dump" --schema-only -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d "$db" -f "$schema_dir/$n.sql" || die "pg_dump --schema-only of $db failed"
    as_pg "$TGT_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -d postgres -f "$schema_dir/$n.sql" > /dev/null || die "restoring the schema of $db failed"
  else
    as_pg "$SRC_BIN/pg_dump" --schema-only --create -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d "$db" -f "$schema_dir/$n.sql" || die "pg_dump --schema-only of $db failed"
    as_pg "$TGT_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -d postgres -f "$schema_dir/$n.sql" > /dev/null || die "restoring the schema of $db failed"
  fi
}
for_each_db copy_schema
printf 'PostgreSQL %s schema copied from %s\n' "$ARG_TO" "$ARG_FROM" | pg_write_file "$WORK_DIR/online-target"
say "built PostgreSQL $(psql_at "$PG_STAGING_PORT" postgres 'SHOW server_version') on port $PG_STAGING_PORT with the source's roles and schema"
