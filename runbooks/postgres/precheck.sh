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
case $ARG_STRATEGY in
  link) need_kb=$((used / 1024 / 10 + 262144)) ;;
  online) need_kb=$((used / 1024 * 6 / 5 + 262144)) ;; # a second copy, plus WAL kept for the slots
  *) need_kb=$((used / 1024 * 5 / 2 + 65536)) ;;
esac
say "disk: databases $((used / 1048576)) MiB, free $((free_kb / 1024)) MiB in $PG_DATA_ROOT, need $((need_kb / 1024)) MiB"
[ "$free_kb" -ge "$need_kb" ] || die "not enough free disk in $PG_DATA_ROOT: $((free_kb / 1024)) MiB free, $((need_kb / 1024)) MiB needed"

if [ "$ARG_STRATEGY" = online ]; then
  . "$(dirname "$0")/lib-online.sh"
  # Guardrails of logical replication: each names the object and the fix, before anything changes.
  wal_level=$(psql_at "$PG_PORT" postgres 'SHOW wal_level')
  [ "$wal_level" = logical ] ||
    die "wal_level is '$wal_level' on the old cluster: logical replication needs wal_level = logical (ALTER SYSTEM SET wal_level = logical, then a restart in a maintenance window), or use strategy link"
  dbs=$(databases_on "$PG_PORT" | wc -l)
  # One slot and one WAL sender per database, plus up to max_sync_workers_per_subscription while tables copy.
  sync_workers=$(psql_at "$PG_PORT" postgres 'SHOW max_sync_workers_per_subscription')
  need=$((dbs + sync_workers))
  free_slots=$(psql_at "$PG_PORT" postgres 'SELECT current_setting($$max_replication_slots$$)::int - count(*) FROM pg_replication_slots')
  [ "$free_slots" -ge "$need" ] ||
    die "only $free_slots replication slots are free on the old cluster; $need are needed ($dbs databases + $sync_workers table copies): raise max_replication_slots (now $(psql_at "$PG_PORT" postgres 'SHOW max_replication_slots'); a restart) or drop unused slots (in use: $(psql_at "$PG_PORT" postgres "SELECT string_agg(slot_name, ', ') FROM pg_replication_slots"))"
  free_senders=$(psql_at "$PG_PORT" postgres 'SELECT current_setting($$max_wal_senders$$)::int - count(*) FROM pg_stat_replication')
  [ "$free_senders" -ge "$need" ] ||
    die "only $free_senders WAL senders are free on the old cluster (max_wal_senders $(psql_at "$PG_PORT" postgres 'SHOW max_wal_senders')); $need are needed: raise max_wal_senders (restart)"
  guard_db() {
    db=$1
    no_key=$(psql_at "$PG_PORT" "$db" "SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY 1)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
       AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))")
    [ -z "$no_key" ] ||
      die "database $db: table(s) $no_key have no primary key and no REPLICA IDENTITY, so their UPDATEs and DELETEs cannot be replicated: add a primary key, or ALTER TABLE … REPLICA IDENTITY FULL (or USING INDEX), or use strategy link"
    large=$(psql_at "$PG_PORT" "$db" 'SELECT count(*) FROM pg_largeobject_metadata')
    [ "$large" = 0 ] ||
      die "database $db holds $large large object(s) (pg_largeobject), which logical replication does not copy: move them into bytea columns, or use strategy link"
  }
  for_each_db guard_db
  say "logical replication: wal_level logical, $free_slots slots and $free_senders WAL senders free ($need needed), every table keyed, no large objects"
fi

if [ -n "$ARG_BUCKET" ]; then
  s3_bucket_reachable "$ARG_BUCKET" || die "backup bucket s3://$ARG_BUCKET is not reachable (S3_UPLOAD=${S3_UPLOAD:-aws})"
  say "backup bucket: s3://$ARG_BUCKET reachable"
fi
say "precheck passed"
