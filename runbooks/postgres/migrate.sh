#!/bin/sh
# migrate: builds the target-major cluster beside the source by dump and restore. initdb with the
# target binaries (same encoding and locale as the source, its pg_hba.conf and pg_ident.conf),
# start it on the staging port, restore roles and tablespaces (pg_dumpall --globals-only), then
# every database (pg_dump -Fc | pg_restore), then ANALYZE. The source is only read.
# Needs stop-writes first. A repeated run after success keeps the finished target; after a
# partial run it rebuilds the target from scratch. Rollback: remove-target.sh.
# usage: migrate.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=migrate
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

require_source_serving
[ "$(read_only_setting)" = on ] || die "writes are not stopped on port $PG_PORT: run stop-writes.sh first"

if [ -f "$WORK_DIR/migrated" ] && [ "$(cat "$TGT_DATA/PG_VERSION" 2> /dev/null)" = "$ARG_TO" ]; then
  if ! is_running "$TGT_BIN" "$TGT_DATA"; then start_server "$TGT_BIN" "$TGT_DATA"; fi
  say "already migrated: PostgreSQL $ARG_TO cluster at $TGT_DATA on port $(running_port "$TGT_BIN" "$TGT_DATA")"
  exit 0
fi

invalidate_target
remove_unfinished_target
if answers_on "$PG_STAGING_PORT"; then die "another server already answers on the staging port $PG_STAGING_PORT"; fi

say "migrate: building PostgreSQL $ARG_TO beside the source"
init_target "$PG_STAGING_PORT"
start_server "$TGT_BIN" "$TGT_DATA"

dump_dir="$WORK_DIR/dump"
rm -rf "$dump_dir"
pg_mkdir "$dump_dir"

say "restoring roles and tablespaces"
as_pg "$PG_DUMPALL" --globals-only -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -f "$dump_dir/globals.sql" || die "pg_dumpall --globals-only failed"
# initdb already created the bootstrap superuser; everything else about it is restored by ALTER ROLE.
grep -v -x -F -e "CREATE ROLE $PG_SUPERUSER;" -e "CREATE ROLE \"$PG_SUPERUSER\";" "$dump_dir/globals.sql" |
  pg_write_file "$dump_dir/globals-target.sql"
as_pg "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -d postgres \
  -f "$dump_dir/globals-target.sql" > /dev/null || die "restoring roles and tablespaces failed"

databases=$(psql_at "$PG_PORT" postgres 'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname')
n=0
# One database name per line; names may hold spaces.
set -f
old_ifs=$IFS
IFS='
'
for db in $databases; do
  IFS=$old_ifs
  n=$((n + 1))
  say "database $db: pg_dump -Fc, pg_restore"
  as_pg "$PG_DUMP" -Fc -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d "$db" -f "$dump_dir/$n.dump" || die "pg_dump of $db failed"
  if [ "$db" = postgres ]; then
    # initdb created it; restore into it rather than recreating the maintenance database.
    as_pg "$PG_RESTORE" --exit-on-error -h "$PG_SOCKET_DIR" -p "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -d postgres "$dump_dir/$n.dump" ||
      die "pg_restore of $db failed"
  else
    as_pg "$PG_RESTORE" --exit-on-error --create -h "$PG_SOCKET_DIR" -p "$PG_STAGING_PORT" -U "$PG_SUPERUSER" -d postgres "$dump_dir/$n.dump" ||
      die "pg_restore of $db failed"
  fi
  psql_at "$PG_STAGING_PORT" "$db" 'ANALYZE' > /dev/null
  rm -f "$dump_dir/$n.dump"
done
IFS=$old_ifs
set +f
rm -rf "$dump_dir"
printf 'PostgreSQL %s -> %s, %s databases\n' "$ARG_FROM" "$ARG_TO" "$n" | pg_write_file "$WORK_DIR/migrated"
say "migrated $n databases to PostgreSQL $(psql_at "$PG_STAGING_PORT" postgres 'SHOW server_version') on staging port $PG_STAGING_PORT"
