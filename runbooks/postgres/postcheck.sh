#!/bin/sh
# postcheck: nothing changes. The service port answers with the target major, is a writable
# primary, every database accepts connections, and the source is stopped.
# Prints `POSTCHECK {json}`.
# usage: postcheck.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=postcheck
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

running=$(server_major_on "$PG_PORT") || die "nothing answers on port $PG_PORT"
[ "$running" = "$ARG_TO" ] || die "port $PG_PORT serves PostgreSQL $running, expected $ARG_TO"
[ "$(psql_at "$PG_PORT" postgres 'SELECT pg_is_in_recovery()')" = f ] || die "the server on port $PG_PORT is in recovery"
psql_at "$PG_PORT" postgres 'CREATE TEMP TABLE ssmflow_write_probe (x int)' > /dev/null || die "the server on port $PG_PORT refuses writes"
! is_running "$SRC_BIN" "$SRC_DATA" || die "the PostgreSQL $ARG_FROM source is still running"
count=0
databases=$(psql_at "$PG_PORT" postgres 'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname')
set -f
old_ifs=$IFS
IFS='
'
for db in $databases; do
  IFS=$old_ifs
  psql_at "$PG_PORT" "$db" 'SELECT 1' > /dev/null || die "database $db does not accept connections"
  count=$((count + 1))
done
IFS=$old_ifs
set +f
version=$(psql_at "$PG_PORT" postgres 'SHOW server_version')
say "POSTCHECK {\"ok\":true,\"port\":$PG_PORT,\"version\":\"$version\",\"databases\":$count}"
