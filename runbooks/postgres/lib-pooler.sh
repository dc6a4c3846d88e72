# Shared by the scripts that run on the cluster's PgBouncer host (Role=pooler); sourced, never run
# on its own. They reach both clusters of an online upgrade over TCP with the password file:
# the old primary at PG_PRIMARY_HOST:PG_PRIMARY_PORT and the new one at PG_PRIMARY_STAGING_PORT.
# Each script sets SSMFLOW_STEP, sources this file and calls `load_pooler_config "$@"`.

# say, die, is_uint and as_pg come from lib.sh; psql_at and answers_on are redefined below for TCP.
. "$(dirname "$0")/lib.sh"

load_pooler_config() {
  ARG_FROM='' ARG_TO='' ARG_TIMEOUT=60 ARG_MAX_LAG=0
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "option $1 needs a value"
    case $1 in
      --from) ARG_FROM=$2 ;;
      --to) ARG_TO=$2 ;;
      --switchover-timeout) ARG_TIMEOUT=$2 ;;
      --max-lag-bytes) ARG_MAX_LAG=$2 ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done
  env_file=${SSMFLOW_PG_ENV:-/etc/ssmflow/postgres.env}
  case $env_file in /*) ;; *) env_file="$PWD/$env_file" ;; esac
  [ -r "$env_file" ] || die "host configuration $env_file is missing or unreadable (set SSMFLOW_PG_ENV or provision it)"
  # shellcheck disable=SC1090
  . "$env_file"
  if [ -n "${SSMFLOW_TEST_FAIL_DIR:-}" ] && [ -e "$SSMFLOW_TEST_FAIL_DIR/fail-$SSMFLOW_STEP" ]; then
    die "injected test failure ($SSMFLOW_TEST_FAIL_DIR/fail-$SSMFLOW_STEP exists)"
  fi
  [ "${PG_ROLE:-}" = pooler ] || die "this step runs on the pooler; this host is the ${PG_ROLE:-primary} (check the step's Role tag)"
  is_uint "${PGBOUNCER_PORT:-}" || die "PGBOUNCER_PORT in $env_file must be a port number"
  is_uint "$ARG_TIMEOUT" || die "--switchover-timeout must be whole seconds"
  is_uint "$ARG_MAX_LAG" || die "--max-lag-bytes must be a number of bytes"
  PG_SUPERUSER=${PG_SUPERUSER:-postgres}
  PSQL=${PG_CLIENT_BIN:+$PG_CLIENT_BIN/}psql
}

# require_online_ports: what the online strategy's pooler steps also need (both clusters, the
# config to re-point, a scratch dir).
require_online_ports() {
  is_uint "${PG_PRIMARY_PORT:-}" || die "PG_PRIMARY_PORT in $env_file must be a port number"
  is_uint "${PG_PRIMARY_STAGING_PORT:-}" || die "PG_PRIMARY_STAGING_PORT in $env_file must be a port number"
  : "${PGBOUNCER_DIR:?PGBOUNCER_DIR is not set in $env_file}"
  PG_PORT=$PG_PRIMARY_PORT
  PG_STAGING_PORT=$PG_PRIMARY_STAGING_PORT
  INI="$PGBOUNCER_DIR/pgbouncer.ini"
  [ -w "$INI" ] || die "$INI is missing or not writable"
  WORK_DIR=${SSMFLOW_PG_WORK_DIR:-$PGBOUNCER_DIR/ssmflow-upgrade}
  mkdir -p "$WORK_DIR"
  if [ "$(id -u)" = 0 ]; then chown "$PG_OS_USER:" "$WORK_DIR"; fi
}

# psql_at PORT DB SQL: one query over TCP to the primary host, unaligned tuples only.
psql_at() {
  as_pg "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$3" \
    "host=${PG_PRIMARY_HOST:-127.0.0.1} port=$1 dbname=$2 user=$PG_SUPERUSER ${PG_PASSFILE:+passfile=$PG_PASSFILE} connect_timeout=5"
}

# psql_script PORT DB < FILE: every statement of FILE in one session (fewer round trips inside the cut-over).
psql_script() {
  as_pg "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -f - \
    "host=${PG_PRIMARY_HOST:-127.0.0.1} port=$1 dbname=$2 user=$PG_SUPERUSER ${PG_PASSFILE:+passfile=$PG_PASSFILE} connect_timeout=5" > /dev/null
}

# copy_sequences FROM_PORT TO_PORT DB: each sequence on TO set to its value on FROM (logical
# replication does not carry sequences).
copy_sequences() {
  psql_at "$1" "$3" "SELECT format('SELECT setval(%L, %s, %L);', quote_ident(schemaname) || '.' || quote_ident(sequencename), coalesce(last_value, start_value), last_value IS NOT NULL) FROM pg_sequences" |
    psql_script "$2" "$3"
}

answers_on() {
  psql_at "$1" postgres 'SELECT 1' > /dev/null 2>&1
}

# admin COMMAND: PgBouncer's admin console.
admin() {
  as_pg "$PSQL" -X -q -At -c "$1" "host=127.0.0.1 port=$PGBOUNCER_PORT dbname=pgbouncer user=$PG_SUPERUSER ${PG_PASSFILE:+passfile=$PG_PASSFILE}"
}

# PgBouncer 1.18 cannot report whether it is paused: a second PAUSE (or a RESUME when not paused)
# is refused with a message saying so, which counts as done.
pause_pooler() {
  out=$(admin 'PAUSE' 2>&1) || printf '%s' "$out" | grep -q 'already suspended/paused' || die "PAUSE on PgBouncer 127.0.0.1:$PGBOUNCER_PORT failed: $out"
}

resume_pooler() {
  out=$(admin 'RESUME' 2>&1) || printf '%s' "$out" | grep -q 'not paused/suspended' || die "RESUME on PgBouncer 127.0.0.1:$PGBOUNCER_PORT failed: $out"
}

# The primary port PgBouncer forwards to (its [databases] entry).
pooler_backend_port() {
  sed -n 's/^\* = host=[^ ]* port=\([0-9]*\).*/\1/p' "$INI"
}

# repoint PORT: PgBouncer forwards to PORT from now on (config rewritten, RELOAD).
repoint() {
  sed "s/^\(\* = host=[^ ]* port=\)[0-9]*/\1$1/" "$INI" > "$INI.new"
  cat "$INI.new" > "$INI"
  rm -f "$INI.new"
  admin 'RELOAD' > /dev/null || die "RELOAD on PgBouncer failed"
  [ "$(pooler_backend_port)" = "$1" ] || die "PgBouncer's config does not point at port $1 after the rewrite"
}

# lag_bytes PUB_PORT SUB_PORT KIND: the largest distance, over every database, between the
# publisher's current WAL position and what its subscription (slot <kind>_<n>) has confirmed.
lag_bytes() {
  psql_at "$1" postgres "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)), -1)::bigint FROM pg_replication_slots WHERE slot_name LIKE 'ssmflow\\_$3\\_%'"
}

# wait_lag_zero PUB_PORT KIND DEADLINE: waits until every slot of KIND has confirmed the
# publisher's position; fails (returns 1) at DEADLINE (epoch seconds).
wait_lag_zero() {
  # Anything committed before this moment must be confirmed: the insert position, because with
  # synchronous_commit off a commit can return before its WAL is written (past pg_current_wal_lsn).
  target=$(psql_at "$1" postgres 'SELECT pg_current_wal_insert_lsn()')
  while :; do
    behind=$(psql_at "$1" postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'ssmflow\\_$2\\_%' AND (confirmed_flush_lsn IS NULL OR confirmed_flush_lsn < '$target')")
    [ "$behind" = 0 ] && return 0
    [ "$(date +%s)" -lt "$3" ] || return 1
    sleep 0.05
  done
}
