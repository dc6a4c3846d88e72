#!/bin/sh
# precheck: nothing changes. Versions of the running source and of the installed target binaries,
# client tools, free disk for the target copy and the dumps, connectivity, the backup bucket.
# usage: precheck.sh --from 16 --to 17 [--strategy dump|link] [--bucket NAME]
set -eu
SSMFLOW_STEP=precheck
. "$(dirname "$0")/lib.sh"
load_config "$@"

say "precheck: PostgreSQL $ARG_FROM -> $ARG_TO by $ARG_STRATEGY on $INSTANCE"
require_role primary
require_source_serving
running=$(server_major_on "$PG_PORT") || die "cannot connect to PostgreSQL on port $PG_PORT as $PG_SUPERUSER"
[ "$running" = "$ARG_FROM" ] || die "the server on port $PG_PORT runs PostgreSQL $running, expected $ARG_FROM (already upgraded?)"
say "source: $(psql_at "$PG_PORT" postgres 'SHOW server_version') serving port $PG_PORT from $SRC_DATA"
[ "$(psql_at "$PG_PORT" postgres 'SELECT pg_is_in_recovery()')" = f ] ||
  die "the server on port $PG_PORT is a standby: upgrade the primary; standbys are rebuilt from the upgraded primary"
prepared=$(psql_at "$PG_PORT" postgres 'SELECT count(*) FROM pg_prepared_xacts')
[ "$prepared" = 0 ] || die "$prepared prepared transactions are open: commit or roll them back first"

for tool in postgres initdb pg_ctl; do
  [ -x "$TGT_BIN/$tool" ] || die "$TGT_BIN/$tool is missing: install the PostgreSQL $ARG_TO server binaries"
done
target_version=$("$TGT_BIN/postgres" --version | sed 's/.* //')
[ "${target_version%%.*}" = "$ARG_TO" ] || die "$TGT_BIN/postgres is version $target_version, not $ARG_TO"
say "target binaries: PostgreSQL $target_version in $TGT_BIN"
if [ "$ARG_STRATEGY" = link ]; then
  for tool in pg_upgrade vacuumdb; do
    [ -x "$TGT_BIN/$tool" ] || die "$TGT_BIN/$tool is missing: the link strategy needs the full PostgreSQL $ARG_TO toolset"
  done
  [ "$(stat -c %d "$PG_DATA_ROOT")" = "$(stat -c %d "$SRC_DATA")" ] || die "$SRC_DATA and $PG_DATA_ROOT are on different file systems: pg_upgrade --link needs one (use strategy dump)"
fi

dump_version=$("$PG_DUMP" --version | sed 's/^pg_dump (PostgreSQL) //; s/ .*//')
dump_major=${dump_version%%.*}
[ "$dump_major" -ge "$ARG_FROM" ] || die "$PG_DUMP is version $dump_version, older than the source: install postgresql-client $ARG_TO"
if [ "$dump_major" -lt "$ARG_TO" ]; then
  say "warning: $PG_DUMP is version $dump_version; PostgreSQL recommends the target's ($ARG_TO) pg_dump; the restore is still checked row by row by verify"
fi
say "client tools: $PG_DUMP ($dump_version)"

if [ -e "$TGT_DATA" ]; then
  say "note: $TGT_DATA exists (an earlier attempt); migrate rebuilds it unless it finished"
fi
if answers_on "$PG_STAGING_PORT" && [ "$(running_port "$TGT_BIN" "$TGT_DATA")" != "$PG_STAGING_PORT" ]; then
  die "another server already answers on the staging port $PG_STAGING_PORT"
fi

# Dump: the target copy and the dumps each need about the size of the databases; ask for 2.5x.
# Link: the data files are shared; the catalog, WAL and the standby's rebuild need far less.
used=$(psql_at "$PG_PORT" postgres 'SELECT sum(pg_database_size(oid)) FROM pg_database')
free_kb=$(df -Pk "$PG_DATA_ROOT" | awk 'NR == 2 { print $4 }')
if [ "$ARG_STRATEGY" = link ]; then need_kb=$((used / 1024 / 10 + 262144)); else need_kb=$((used / 1024 * 5 / 2 + 65536)); fi
say "disk: databases $((used / 1048576)) MiB, free $((free_kb / 1024)) MiB in $PG_DATA_ROOT, need $((need_kb / 1024)) MiB"
[ "$free_kb" -ge "$need_kb" ] || die "not enough free disk in $PG_DATA_ROOT: $((free_kb / 1024)) MiB free, $((need_kb / 1024)) MiB needed"

if [ -n "$ARG_BUCKET" ]; then
  s3_bucket_reachable "$ARG_BUCKET" || die "backup bucket s3://$ARG_BUCKET is not reachable (S3_UPLOAD=${S3_UPLOAD:-aws})"
  say "backup bucket: s3://$ARG_BUCKET reachable"
fi
say "precheck passed"
