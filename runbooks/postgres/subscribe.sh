#!/bin/sh
# subscribe (online strategy): in every database, a publication FOR ALL TABLES on the old cluster
# and a subscription on the new one (its slot on the old cluster), which copies the tables and
# then streams every change; origin = none keeps changes that came back from the new cluster (after
# a switch-back) from being sent to it again. pg_createsubscriber does not fit here: it turns a physical standby of
# the same major into a subscriber, and our target is a new major. A repeated run keeps what
# exists. Rollback: unsubscribe.sh (drops both sides, slots included).
# usage: subscribe.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=subscribe
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-online.sh"
load_config "$@"
require_role primary
require_source_serving
[ -f "$WORK_DIR/online-target" ] || die "no new cluster on the staging port: run create-target.sh first"
answers_on "$PG_STAGING_PORT" || die "the new cluster does not answer on the staging port $PG_STAGING_PORT"

subscribe_db() {
  db=$1
  n=$(db_suffix "$db")
  if [ "$(psql_at "$PG_PORT" "$db" "SELECT count(*) FROM pg_publication WHERE pubname = '$FORWARD_PUB'")" = 0 ]; then
    psql_at "$PG_PORT" "$db" "CREATE PUBLICATION $FORWARD_PUB FOR ALL TABLES" > /dev/null
  fi
  if [ "$(psql_at "$PG_STAGING_PORT" "$db" "SELECT count(*) FROM pg_subscription WHERE subname = 'ssmflow_upgrade_$n'")" != 0 ]; then
    say "database $db: subscription ssmflow_upgrade_$n exists"
    return 0
  fi
  psql_at "$PG_STAGING_PORT" "$db" "CREATE SUBSCRIPTION ssmflow_upgrade_$n CONNECTION $(sql_literal "$(conninfo "$PG_PORT" "$db")") PUBLICATION $FORWARD_PUB WITH (slot_name = 'ssmflow_upgrade_$n', copy_data = true, origin = none)" > /dev/null ||
    die "CREATE SUBSCRIPTION in $db failed"
  say "database $db: subscription ssmflow_upgrade_$n created (slot on the old cluster)"
}
for_each_db subscribe_db
say "subscribed: the new cluster copies every table and then follows the old one"
