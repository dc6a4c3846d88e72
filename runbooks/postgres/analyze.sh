#!/bin/sh
# analyze: after the upgrade, checks and statistics on the new primary. pg_amcheck (B-tree indexes
# and heap of every database; the amcheck extension is created where missing) when the target
# toolset has it, then `vacuumdb --all --analyze-in-stages` so the planner has statistics again
# quickly (minimal first, then full). Prints `ANALYZE {json}`.
# usage: analyze.sh --from 16 --to 17 [--strategy online]
set -eu
SSMFLOW_STEP=analyze
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary
# The online strategy's new cluster serves on the staging port (clients reach it through PgBouncer).
if [ "$ARG_STRATEGY" = online ]; then PG_PORT=$PG_STAGING_PORT; fi

running=$(server_major_on "$PG_PORT") || die "nothing answers on port $PG_PORT"
[ "$running" = "$ARG_TO" ] || die "port $PG_PORT serves PostgreSQL $running, expected $ARG_TO"
amcheck=skipped
if [ -x "$TGT_BIN/pg_amcheck" ]; then
  say "pg_amcheck --all"
  as_pg "$TGT_BIN/pg_amcheck" --all --install-missing -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" ||
    die "pg_amcheck found corruption or could not check (output above)"
  amcheck=passed
else
  say "pg_amcheck is not in $TGT_BIN: skipped"
fi
say "vacuumdb --all --analyze-in-stages"
as_pg "$TGT_BIN/vacuumdb" --all --analyze-in-stages -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" > /dev/null ||
  die "vacuumdb --analyze-in-stages failed"
say "ANALYZE {\"amcheck\":\"$amcheck\",\"analyzed\":true}"
