#!/bin/sh
# cutover-online (online strategy, on the pooler): moves the clients to the new cluster within a
# switchover timeout. PAUSE at PgBouncer; wait until the new cluster has confirmed every change of
# the old one; stop the forward subscription; set every sequence on the new cluster to the old
# one's value; start reverse replication (new -> old, copy_data = false) so a rollback later loses
# nothing; point PgBouncer at the new cluster; RESUME. If the timeout passes before the RESUME on
# the new side, everything is put back (forward subscription on, reverse one dropped, PgBouncer on
# the old cluster) and writes resume on the old side unchanged; the step fails saying so.
# Rollback: switch-back-online.sh.
# usage: cutover-online.sh --from 16 --to 17 --switchover-timeout 60
set -eu
SSMFLOW_STEP=cutover-online
. "$(dirname "$0")/lib-pooler.sh"
load_pooler_config "$@"
require_online_ports
. "$(dirname "$0")/lib-online.sh"

if [ "$(pooler_backend_port)" = "$PG_STAGING_PORT" ]; then
  say "already cut over: PgBouncer forwards to the new cluster on port $PG_STAGING_PORT"
  resume_pooler
  exit 0
fi
[ "$(pooler_backend_port)" = "$PG_PORT" ] || die "PgBouncer forwards to port $(pooler_backend_port), neither the old ($PG_PORT) nor the new ($PG_STAGING_PORT) cluster"
[ "$(psql_at "$PG_STAGING_PORT" postgres 'SHOW server_version_num' | cut -c1-2)" = "$ARG_TO" ] || die "the new cluster on port $PG_STAGING_PORT does not run PostgreSQL $ARG_TO"

phase=start
started=$(date +%s%N)
deadline=$(($(date +%s) + ARG_TIMEOUT))
undo() {
  # Put everything back as it was before the pause; the old side resumes unchanged.
  finished=undone
  say "switchover timeout (${ARG_TIMEOUT}s) passed during '$phase': putting everything back"
  for_each_db undo_db
  if [ "$(pooler_backend_port)" != "$PG_PORT" ]; then repoint "$PG_PORT"; fi
  resume_pooler
  die "switchover timed out after ${ARG_TIMEOUT}s during '$phase': nothing changed, writes resumed on the old cluster (PostgreSQL $ARG_FROM); retry when the lag is low, or raise switchoverTimeout"
}
undo_db() {
  drop_reverse_subscription "$1"
  n=$(db_suffix "$1")
  psql_at "$PG_STAGING_PORT" "$1" "DROP PUBLICATION IF EXISTS $REVERSE_PUB" > /dev/null
  psql_at "$PG_STAGING_PORT" "$1" "ALTER SUBSCRIPTION ssmflow_upgrade_$n ENABLE" > /dev/null
}
in_time() {
  [ "$(date +%s)" -lt "$deadline" ] || undo
}
# Any unexpected failure between PAUSE and RESUME puts everything back too: clients must never be
# left paused or half moved.
finished=''
on_exit() {
  status=$?
  if [ -z "$finished" ] && [ "$phase" != start ]; then
    trap - EXIT
    say "cut-over failed during '$phase' (exit $status): putting everything back"
    for_each_db undo_db || true
    if [ "$(pooler_backend_port)" != "$PG_PORT" ]; then repoint "$PG_PORT" || true; fi
    resume_pooler || true
    exit 1
  fi
}
trap on_exit EXIT

phase=pause
pause_pooler
in_time
phase='wait for lag 0'
wait_lag_zero "$PG_PORT" upgrade "$deadline" || undo
in_time

phase='stop forward replication'
stop_forward() {
  n=$(db_suffix "$1")
  psql_at "$PG_STAGING_PORT" "$1" "ALTER SUBSCRIPTION ssmflow_upgrade_$n DISABLE" > /dev/null
}
for_each_db stop_forward
in_time

phase='sync sequences'
sync_sequences() {
  # Logical replication does not carry sequences: the new side starts where the old one is.
  copy_sequences "$PG_PORT" "$PG_STAGING_PORT" "$1"
}
for_each_db sync_sequences
in_time

phase='start reverse replication'
start_reverse() {
  n=$(db_suffix "$1")
  if [ "$(psql_at "$PG_STAGING_PORT" "$1" "SELECT count(*) FROM pg_publication WHERE pubname = '$REVERSE_PUB'")" = 0 ]; then
    psql_at "$PG_STAGING_PORT" "$1" "CREATE PUBLICATION $REVERSE_PUB FOR ALL TABLES" > /dev/null
  fi
  if [ "$(psql_at "$PG_PORT" "$1" "SELECT count(*) FROM pg_subscription WHERE subname = 'ssmflow_reverse_$n'")" = 0 ]; then
    psql_at "$PG_PORT" "$1" "CREATE SUBSCRIPTION ssmflow_reverse_$n CONNECTION $(sql_literal "$(conninfo "$PG_STAGING_PORT" "$1")") PUBLICATION $REVERSE_PUB WITH (slot_name = 'ssmflow_reverse_$n', copy_data = false, origin = none)" > /dev/null
  fi
}
for_each_db start_reverse
in_time

phase='point PgBouncer at the new cluster'
repoint "$PG_STAGING_PORT"
phase=resume
[ "$(date +%s)" -lt "$deadline" ] || undo
resume_pooler
finished=yes
pause_ms=$((($(date +%s%N) - started) / 1000000))
say "CUTOVER {\"ok\":true,\"pauseMs\":$pause_ms,\"timeoutSeconds\":$ARG_TIMEOUT}"
say "clients now reach PostgreSQL $ARG_TO through PgBouncer; changes flow back to the old cluster until cleanup"
