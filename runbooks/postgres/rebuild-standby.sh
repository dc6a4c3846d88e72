#!/bin/sh
# rebuild-standby: makes this standby (Role=standby) a streaming replica of the upgraded primary.
# A physical standby cannot follow a primary of another major, so it is rebuilt: stop the old
# standby, pg_basebackup -R from the new primary through this standby's replication slot (created
# on the new primary), start it on this host's port, wait until it streams, then delete the old
# standby's data. Runs while clients write to the new primary. A repeated run on a standby already
# streaming from the upgraded primary does nothing.
# usage: rebuild-standby.sh --from 16 --to 17 [--strategy online]
set -eu
SSMFLOW_STEP=rebuild-standby
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role standby
: "${PG_REPLICATION_SLOT:?PG_REPLICATION_SLOT is not set in $env_file}"
# The online strategy's new primary runs beside the old one, on the primary host's staging port.
if [ "$ARG_STRATEGY" = online ]; then
  : "${PG_PRIMARY_NEW_PORT:?PG_PRIMARY_NEW_PORT (the new primary's port in an online upgrade) is not set in $env_file}"
  PG_PRIMARY_PORT=$PG_PRIMARY_NEW_PORT
fi
[ -x "$TGT_BIN/pg_basebackup" ] || die "$TGT_BIN/pg_basebackup is missing: install the full PostgreSQL $ARG_TO toolset"

primary_num=$(psql_primary postgres 'SHOW server_version_num') || die "cannot reach the primary at ${PG_PRIMARY_HOST:-127.0.0.1}:$PG_PRIMARY_PORT"
[ $((primary_num / 10000)) = "$ARG_TO" ] || die "the primary runs PostgreSQL $((primary_num / 10000)), not $ARG_TO: upgrade it first"
[ "$(psql_primary postgres 'SELECT pg_is_in_recovery()')" = f ] || die "${PG_PRIMARY_HOST:-127.0.0.1}:$PG_PRIMARY_PORT is not a primary"

streaming() {
  [ "$(psql_at "$PG_PORT" postgres 'SELECT status FROM pg_stat_wal_receiver' 2> /dev/null)" = streaming ]
}
if is_running "$TGT_BIN" "$TGT_DATA" && [ -f "$TGT_DATA/standby.signal" ] && streaming; then
  say "already a PostgreSQL $ARG_TO standby streaming from the primary"
  exit 0
fi

stop_server "$SRC_BIN" "$SRC_DATA"
stop_server "$TGT_BIN" "$TGT_DATA"
rm -rf "$TGT_DATA"
# A slot left by an interrupted attempt would make -C fail; an active one belongs to someone else.
psql_primary postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$PG_REPLICATION_SLOT' AND NOT active" > /dev/null
pg_mkdir "$(dirname "$TGT_DATA")"
say "pg_basebackup from the PostgreSQL $ARG_TO primary into $TGT_DATA (slot $PG_REPLICATION_SLOT)"
started=$(date +%s)
as_pg "$TGT_BIN/pg_basebackup" -D "$TGT_DATA" -R -C -S "$PG_REPLICATION_SLOT" -X stream -c fast \
  -d "host=${PG_PRIMARY_HOST:-127.0.0.1} port=$PG_PRIMARY_PORT user=$PG_SUPERUSER ${PG_PASSFILE:+passfile=$PG_PASSFILE} application_name=$INSTANCE" ||
  die "pg_basebackup from the primary failed"
# The copy carries the primary's port and socket settings.
write_server_conf "$TGT_DATA" "$PG_PORT"
start_server "$TGT_BIN" "$TGT_DATA"
tries=0
until streaming; do
  tries=$((tries + 1))
  [ $tries -lt 600 ] || die "the rebuilt standby does not stream after 60 s"
  sleep 0.1
done
say "standby streaming from the PostgreSQL $ARG_TO primary (copied in $(($(date +%s) - started))s)"
if [ -e "$SRC_DATA" ]; then
  rm -rf "$SRC_DATA"
  rmdir "$(dirname "$SRC_DATA")" 2> /dev/null || true
  say "deleted the old standby's PostgreSQL $ARG_FROM data at $SRC_DATA"
fi
