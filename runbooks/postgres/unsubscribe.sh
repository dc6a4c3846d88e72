#!/bin/sh
# unsubscribe (rollback of subscribe): drops every subscription, publication and logical
# replication slot of this upgrade, both directions, on both clusters. Harmless when there is
# nothing to drop.
# usage: unsubscribe.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=unsubscribe
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-online.sh"
load_config "$@"
require_role primary
drop_replication
left=$(leftover_slots "$PG_PORT")
[ -z "$left" ] || die "replication slots left on the old cluster: $left"
say "no replication of this upgrade is left"
