#!/bin/sh
# prepare-target (link strategy): initdb the target major beside the running source, set up like
# it (encoding, locale, data checksums, pg_hba.conf, pg_ident.conf) and configured for the service
# port, which it takes once the source has stopped. The source is only read. Not started.
# A repeated run keeps a prepared target; anything else at TGT_DATA from an unfinished attempt is
# rebuilt. Rollback: remove-target.sh.
# usage: prepare-target.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=prepare-target
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary
require_source_serving

if [ -f "$WORK_DIR/link-prepared" ] && [ "$(cat "$TGT_DATA/PG_VERSION" 2> /dev/null)" = "$ARG_TO" ] && [ ! -e "$WORK_DIR/link-upgraded" ]; then
  say "already prepared: PostgreSQL $ARG_TO cluster at $TGT_DATA"
  exit 0
fi
[ ! -e "$WORK_DIR/link-upgraded" ] || die "pg_upgrade already ran into $TGT_DATA: roll back the upgrade first"
if [ -e "$TGT_DATA" ]; then
  if [ -f "$TGT_DATA/PG_VERSION" ] && [ "$(cat "$TGT_DATA/PG_VERSION")" != "$ARG_TO" ]; then
    die "$TGT_DATA holds PostgreSQL $(cat "$TGT_DATA/PG_VERSION"), not $ARG_TO: refusing to replace it"
  fi
  ! is_running "$TGT_BIN" "$TGT_DATA" || die "a PostgreSQL $ARG_TO server runs on $TGT_DATA: refusing to replace it"
  say "removing the unfinished target of an earlier attempt at $TGT_DATA"
  rm -rf "$TGT_DATA"
fi
init_target "$PG_PORT"
printf 'PostgreSQL %s prepared for pg_upgrade --link from %s\n' "$ARG_TO" "$ARG_FROM" | pg_write_file "$WORK_DIR/link-prepared"
say "prepared PostgreSQL $ARG_TO at $TGT_DATA for pg_upgrade --link"
