# Shared by the online strategy's scripts (logical replication from the old primary to a new
# cluster of the target major); sourced after lib.sh. Names are fixed so every step, retry and
# rollback finds what an earlier one made:
#   publication ssmflow_upgrade (old, FOR ALL TABLES) -> subscription ssmflow_upgrade_<n> (new),
#   slot ssmflow_upgrade_<n> on the old cluster; at cut-over the reverse: publication
#   ssmflow_reverse (new) -> subscription ssmflow_reverse_<n> (old), slot on the new cluster.
# <n> is the database's oid on the old cluster, so names stay valid for any database name.

FORWARD_PUB=ssmflow_upgrade
REVERSE_PUB=ssmflow_reverse

# One database name per line: every database that accepts connections on PORT.
databases_on() {
  psql_at "$1" postgres 'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname'
}

# db_suffix DB: the old cluster's oid of DB (stable across the upgrade's steps).
db_suffix() {
  psql_at "$PG_PORT" postgres "SELECT oid FROM pg_database WHERE datname = '$(printf '%s' "$1" | sed "s/'/''/g")'"
}

# conninfo PORT DB: how one cluster reaches the other (TCP, password file).
conninfo() {
  printf "host=127.0.0.1 port=%s dbname=%s user=%s%s" "$1" "$2" "$PG_SUPERUSER" "${PG_PASSFILE:+ passfile=$PG_PASSFILE}"
}

# for_each_db FUNCTION: calls FUNCTION DB for every database of the old cluster (names may hold spaces).
for_each_db() {
  fn=$1
  dbs=$(databases_on "$PG_PORT")
  set -f
  saved_ifs=$IFS
  IFS='
'
  for db in $dbs; do
    IFS=$saved_ifs
    "$fn" "$db"
  done
  IFS=$saved_ifs
  set +f
}

sql_literal() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

# drop_replication: every subscription, publication and logical slot this upgrade made, both
# directions, both clusters; each step is skipped when there is nothing to drop.
# drop_reverse_subscription DB: the old cluster stops following the new one (its slot on the new
# cluster is dropped separately, so this works whether or not the new cluster answers).
drop_reverse_subscription() {
  n=$(db_suffix "$1")
  if [ "$(psql_at "$PG_PORT" "$1" "SELECT count(*) FROM pg_subscription WHERE subname = 'ssmflow_reverse_$n'")" != 0 ]; then
    psql_at "$PG_PORT" "$1" "ALTER SUBSCRIPTION ssmflow_reverse_$n DISABLE" > /dev/null
    psql_at "$PG_PORT" "$1" "ALTER SUBSCRIPTION ssmflow_reverse_$n SET (slot_name = NONE)" > /dev/null
    psql_at "$PG_PORT" "$1" "DROP SUBSCRIPTION ssmflow_reverse_$n" > /dev/null
    say "dropped subscription ssmflow_reverse_$n on the old cluster ($1)"
  fi
}

drop_replication_for_db() {
  db=$1
  n=$(db_suffix "$db")
  if answers_on "$PG_STAGING_PORT"; then
    for sub in "ssmflow_upgrade_$n"; do
      if [ "$(psql_at "$PG_STAGING_PORT" "$db" "SELECT count(*) FROM pg_subscription WHERE subname = '$sub'")" != 0 ]; then
        psql_at "$PG_STAGING_PORT" "$db" "ALTER SUBSCRIPTION $sub DISABLE" > /dev/null
        psql_at "$PG_STAGING_PORT" "$db" "ALTER SUBSCRIPTION $sub SET (slot_name = NONE)" > /dev/null
        psql_at "$PG_STAGING_PORT" "$db" "DROP SUBSCRIPTION $sub" > /dev/null
        say "dropped subscription $sub on the new cluster ($db)"
      fi
    done
    psql_at "$PG_STAGING_PORT" "$db" "DROP PUBLICATION IF EXISTS $REVERSE_PUB" > /dev/null
  fi
  drop_reverse_subscription "$db"
  psql_at "$PG_PORT" "$db" "DROP PUBLICATION IF EXISTS $FORWARD_PUB" > /dev/null
}

drop_slots_on() {
  port=$1
  slots=$(psql_at "$port" postgres "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'logical' AND slot_name LIKE 'ssmflow\\_%'")
  for slot in $slots; do
    # A slot still in use belongs to a walsender that has not noticed its subscription is gone.
    psql_at "$port" postgres "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '$slot' AND active_pid IS NOT NULL" > /dev/null
    tries=0
    until [ "$(psql_at "$port" postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot' AND active")" = 0 ]; do
      tries=$((tries + 1))
      [ $tries -lt 100 ] || die "replication slot $slot on port $port stays active"
      sleep 0.1
    done
    psql_at "$port" postgres "SELECT pg_drop_replication_slot('$slot')" > /dev/null
    say "dropped replication slot $slot on port $port"
  done
}

drop_replication() {
  for_each_db drop_replication_for_db
  drop_slots_on "$PG_PORT"
  if answers_on "$PG_STAGING_PORT"; then drop_slots_on "$PG_STAGING_PORT"; fi
}

# Logical slots of this upgrade left on PORT (a forgotten slot keeps WAL until the disk fills).
leftover_slots() {
  psql_at "$1" postgres "SELECT string_agg(slot_name, ', ') FROM pg_replication_slots WHERE slot_type = 'logical' AND slot_name LIKE 'ssmflow\\_%'"
}
