#!/bin/sh
# stop-writes: the source cluster becomes read-only (default_transaction_read_only = on through
# ALTER SYSTEM + reload) and open sessions are ended so they reconnect under the new default.
# Rollback: allow-writes.sh.
# usage: stop-writes.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=stop-writes
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

require_source_serving
if [ "$(read_only_setting)" = on ]; then
  say "writes already stopped on port $PG_PORT"
else
  say "stopping writes on port $PG_PORT: default_transaction_read_only = on"
  set_source_read_only on
fi
ended=$(psql_at "$PG_PORT" postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'")
say "ended $ended open client sessions"
# A session that explicitly asks for a read-write transaction could still write; the check
# below proves the default holds for new sessions.
if psql_at "$PG_PORT" postgres 'CREATE TEMP TABLE ssmflow_write_probe (x int)' > /dev/null 2>&1; then
  die "a new session can still write on port $PG_PORT"
fi
say "writes stopped"
