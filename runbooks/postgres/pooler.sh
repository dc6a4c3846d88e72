#!/bin/sh
# pooler: the cut-over tool on the cluster's PgBouncer (Role=pooler). `pause` waits for running
# transactions to end and holds every new query (clients wait; none fails); `resume` lets them go.
# Both are idempotent.
# usage: pooler.sh pause|resume
set -eu
SSMFLOW_STEP=pooler-${1:-}
action=${1:-}
[ $# -gt 0 ] && shift
. "$(dirname "$0")/lib-pooler.sh"
load_pooler_config "$@"
case $action in
  pause)
    pause_pooler
    say "PgBouncer on port $PGBOUNCER_PORT paused: new queries wait until resume"
    ;;
  resume)
    resume_pooler
    say "PgBouncer on port $PGBOUNCER_PORT resumed"
    ;;
  *) die "usage: pooler.sh pause|resume" ;;
esac
