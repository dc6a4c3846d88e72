#!/bin/sh
# postcheck-online (online strategy, on the pooler): through PgBouncer, the new major answers and
# accepts writes, and PgBouncer forwards to the new cluster. Prints `POSTCHECK {json}`.
# usage: postcheck-online.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=postcheck-online
. "$(dirname "$0")/lib-pooler.sh"
load_pooler_config "$@"
require_online_ports
[ "$(pooler_backend_port)" = "$PG_STAGING_PORT" ] || die "PgBouncer forwards to port $(pooler_backend_port), not the new cluster ($PG_STAGING_PORT)"
through_pooler() {
  as_pg "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$1" "host=127.0.0.1 port=$PGBOUNCER_PORT dbname=postgres user=$PG_SUPERUSER ${PG_PASSFILE:+passfile=$PG_PASSFILE}"
}
num=$(through_pooler 'SHOW server_version_num') || die "nothing answers through PgBouncer on port $PGBOUNCER_PORT"
[ $((num / 10000)) = "$ARG_TO" ] || die "PgBouncer reaches PostgreSQL $((num / 10000)), expected $ARG_TO"
[ "$(through_pooler 'SELECT pg_is_in_recovery()')" = f ] || die "the server behind PgBouncer is in recovery"
through_pooler 'BEGIN; CREATE TEMP TABLE ssmflow_write_probe (x int); ROLLBACK;' > /dev/null || die "the server behind PgBouncer refuses writes"
say "POSTCHECK {\"ok\":true,\"through\":\"pgbouncer:$PGBOUNCER_PORT\",\"version\":\"$(through_pooler 'SHOW server_version')\"}"
