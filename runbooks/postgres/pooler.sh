#!/bin/sh
# pooler: the cut-over tool on the cluster's PgBouncer (Role=pooler). `pause` waits for running
# transactions to end and holds every new query (clients wait; none fails); `resume` lets them go.
# Both are idempotent.
# usage: pooler.sh pause|resume
set -eu
SSMFLOW_STEP=pooler-${1:-}
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
die() {
  printf 'ssmflow %s FAILED: %s\n' "$SSMFLOW_STEP" "$*" >&2
  exit 1
}
env_file=${SSMFLOW_PG_ENV:-/etc/ssmflow/postgres.env}
case $env_file in /*) ;; *) env_file="$PWD/$env_file" ;; esac
[ -r "$env_file" ] || die "host configuration $env_file is missing or unreadable"
# shellcheck disable=SC1090
. "$env_file"
if [ -n "${SSMFLOW_TEST_FAIL_DIR:-}" ] && [ -e "$SSMFLOW_TEST_FAIL_DIR/fail-$SSMFLOW_STEP" ]; then
  die "injected test failure ($SSMFLOW_TEST_FAIL_DIR/fail-$SSMFLOW_STEP exists)"
fi
[ "${PG_ROLE:-}" = pooler ] || die "this step runs on the pooler; this host is the ${PG_ROLE:-primary} (check the step's Role tag)"
: "${PGBOUNCER_PORT:?PGBOUNCER_PORT is not set in $env_file}"
PSQL=${PG_CLIENT_BIN:+$PG_CLIENT_BIN/}psql

admin() {
  cmd="$PSQL -X -q -At -c '$1' 'host=127.0.0.1 port=$PGBOUNCER_PORT dbname=pgbouncer user=${PG_SUPERUSER:-postgres} ${PG_PASSFILE:+passfile=$PG_PASSFILE}'"
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u "$PG_OS_USER" -- sh -c "$cmd"); else sh -c "$cmd"; fi
}

# PgBouncer 1.18 cannot report whether it is paused: a second PAUSE (or a RESUME when not
# paused) is refused with a message saying so, which counts as done.
case ${1:-} in
  pause)
    if out=$(admin 'PAUSE' 2>&1); then
      echo "PgBouncer on port $PGBOUNCER_PORT paused: new queries wait until resume"
    elif printf '%s' "$out" | grep -q 'already suspended/paused'; then
      echo "PgBouncer on port $PGBOUNCER_PORT is already paused"
    else
      die "PAUSE on PgBouncer 127.0.0.1:$PGBOUNCER_PORT failed: $out"
    fi
    ;;
  resume)
    if out=$(admin 'RESUME' 2>&1); then
      echo "PgBouncer on port $PGBOUNCER_PORT resumed"
    elif printf '%s' "$out" | grep -q 'not paused/suspended'; then
      echo "PgBouncer on port $PGBOUNCER_PORT is not paused"
    else
      die "RESUME on PgBouncer 127.0.0.1:$PGBOUNCER_PORT failed: $out"
    fi
    ;;
  *) die "usage: pooler.sh pause|resume" ;;
esac
