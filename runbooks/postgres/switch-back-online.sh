#!/bin/sh
# switch-back-online (rollback of cutover-online, on the pooler): back to the old cluster with
# every write made on the new one since the cut-over. PAUSE; wait until the old cluster has
# confirmed every change of the new one (reverse replication); set the old cluster's sequences to
# the new one's values; drop the reverse replication and let the new cluster follow the old one
# again (a later cut-over can be retried); point PgBouncer at the old cluster; RESUME.
# Harmless when already on the old cluster.
# usage: switch-back-online.sh --from 16 --to 17 [--switchover-timeout 60]
set -eu
SSMFLOW_STEP=switch-back-online
. "$(dirname "$0")/lib-pooler.sh"
load_pooler_config "$@"
require_online_ports
. "$(dirname "$0")/lib-online.sh"

if [ "$(pooler_backend_port)" = "$PG_PORT" ]; then
  resume_pooler
  say "PgBouncer already forwards to the old cluster on port $PG_PORT"
  exit 0
fi
pause_pooler
deadline=$(($(date +%s) + ARG_TIMEOUT))
if ! wait_lag_zero "$PG_STAGING_PORT" reverse "$deadline"; then
  resume_pooler
  die "the old cluster did not catch up with the new one within ${ARG_TIMEOUT}s: still on the new cluster, writes resumed; retry"
fi
back_sequences() {
  copy_sequences "$PG_STAGING_PORT" "$PG_PORT" "$1"
  drop_reverse_subscription "$1"
  psql_at "$PG_STAGING_PORT" "$1" "DROP PUBLICATION IF EXISTS $REVERSE_PUB" > /dev/null
  # The new cluster follows the old one again, so a later cut-over can be retried.
  psql_at "$PG_STAGING_PORT" "$1" "ALTER SUBSCRIPTION ssmflow_upgrade_$(db_suffix "$1") ENABLE" > /dev/null
}
for_each_db back_sequences
repoint "$PG_PORT"
resume_pooler
say "switched back: clients reach the old cluster (PostgreSQL $ARG_FROM) with every write made on the new one"
