#!/bin/sh
# cleanup-replication (online strategy): after the cut-over, drops the subscriptions,
# publications and logical replication slots of both directions on both clusters, then checks
# that none is left: a forgotten slot keeps WAL until the disk fills. From here on the old
# cluster no longer receives the new one's writes, so the run can no longer go back to it.
# Prints `SLOTS {json}`.
# usage: cleanup-replication.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=cleanup-replication
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-online.sh"
load_config "$@"
require_role primary
answers_on "$PG_STAGING_PORT" || die "the new cluster does not answer on port $PG_STAGING_PORT: refusing to drop the replication that keeps the old one current"
if [ ! -f "$WORK_DIR/replication-cleaned" ]; then
  # Only after a cut-over: the old cluster then follows the new one (reverse subscriptions).
  cut_over_db() {
    n=$(db_suffix "$1")
    [ "$(psql_at "$PG_PORT" "$1" "SELECT count(*) FROM pg_subscription WHERE subname = 'ssmflow_reverse_$n'")" = 1 ] ||
      die "database $1 has no reverse replication: the cut-over has not happened, so the old cluster still serves; refusing to drop the replication"
  }
  for_each_db cut_over_db
fi
drop_replication
old_left=$(leftover_slots "$PG_PORT")
new_left=$(leftover_slots "$PG_STAGING_PORT")
[ -z "$old_left$new_left" ] || die "replication slots left: old cluster [$old_left], new cluster [$new_left]"
printf 'replication of the upgrade dropped on both clusters\n' | pg_write_file "$WORK_DIR/replication-cleaned"
say "SLOTS {\"old\":[],\"new\":[]}"
