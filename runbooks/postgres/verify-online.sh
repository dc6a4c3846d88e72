#!/bin/sh
# verify-online (online strategy, on the pooler): compares the old and the new cluster at one
# moment without holding writes for the comparison itself. PAUSE at PgBouncer, wait until the new
# cluster has confirmed everything the old one wrote, open a REPEATABLE READ snapshot on both
# (identical now), RESUME; then, inside those snapshots while writes go on, every table's row
# count and checksum (sum of the first 64 bits of md5(row::text)). Prints one line per
# difference and `VERIFY {json}` with the pause it took; exits 1 on any difference.
# usage: verify-online.sh --from 16 --to 17 [--switchover-timeout 60]
set -eu
SSMFLOW_STEP=verify-online
. "$(dirname "$0")/lib-pooler.sh"
load_pooler_config "$@"
require_online_ports
. "$(dirname "$0")/lib-online.sh"

dir="$WORK_DIR/verify"
rm -rf "$dir"
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then chown "$PG_OS_USER:" "$dir"; fi
paused=''
cleanup() {
  touch "$dir/go"
  if [ -n "$paused" ]; then resume_pooler; fi
}
trap cleanup EXIT

checksums="SELECT format('SELECT %L, count(*), coalesce(sum((''x'' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0) FROM %I.%I AS t', n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"

# session SIDE PORT DB N: one psql holding a snapshot until $dir/go exists, then the checksums.
session() {
  cat > "$dir/$1-$4.sql" << SQL
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 1;
\\! touch $dir/$1-$4.ready
\\! while [ ! -e $dir/go ]; do sleep 0.02; done
$checksums
\\gexec
COMMIT;
SQL
  as_pg "$PSQL" -X -q -At -F ' ' -v ON_ERROR_STOP=1 -f "$dir/$1-$4.sql" \
    "host=${PG_PRIMARY_HOST:-127.0.0.1} port=$2 dbname=$3 user=$PG_SUPERUSER ${PG_PASSFILE:+passfile=$PG_PASSFILE}" > "$dir/$1-$4.out" 2> "$dir/$1-$4.err" &
}

started=$(date +%s%N)
pause_pooler
paused=yes
deadline=$(($(date +%s) + ARG_TIMEOUT))
wait_lag_zero "$PG_PORT" upgrade "$deadline" || die "the new cluster did not catch up within ${ARG_TIMEOUT}s with writes paused; writes resume, nothing compared"
count=0
open_db() {
  count=$((count + 1))
  session old "$PG_PORT" "$1" "$count"
  session new "$PG_STAGING_PORT" "$1" "$count"
}
for_each_db open_db
expected=$((count * 2))
tries=0
until [ "$(find "$dir" -name '*.ready' | wc -l)" -ge "$expected" ]; do
  tries=$((tries + 1))
  [ $tries -lt 1500 ] || die "the verification snapshots did not open"
  sleep 0.02
done
resume_pooler
paused=''
pause_ms=$((($(date +%s%N) - started) / 1000000))
touch "$dir/go"
wait
differences=0
tables=0
i=1
while [ $i -le $count ]; do
  [ ! -s "$dir/old-$i.err" ] && [ ! -s "$dir/new-$i.err" ] || die "reading the checksums failed: $(cat "$dir/old-$i.err" "$dir/new-$i.err" | head -n 3)"
  tables=$((tables + $(wc -l < "$dir/old-$i.out")))
  if ! cmp -s "$dir/old-$i.out" "$dir/new-$i.out"; then
    diff "$dir/old-$i.out" "$dir/new-$i.out" | grep '^[<>]' | head -n 10 | sed 's/^/differs: /'
    differences=$((differences + 1))
  fi
  i=$((i + 1))
done
ok=true
[ "$differences" = 0 ] || ok=false
say "VERIFY {\"ok\":$ok,\"databases\":$count,\"tables\":$tables,\"differingDatabases\":$differences,\"pauseMs\":$pause_ms}"
[ "$ok" = true ] || die "the old and the new cluster differ (lines above): do not cut over"
