#!/bin/sh
# verify: compares the source (service port, read-only) with the migrated target (staging port):
# the same databases, and in each the same tables and materialized views with equal row counts
# and checksums, and the same sequence positions. The checksum of a table is the sum of the first
# 64 bits of md5(row::text) over its rows: independent of row order, streamed, no sort.
# Prints one line per relation and a summary `VERIFY {json}`; exits 1 on any difference.
# usage: verify.sh --from 16 --to 17
set -eu
SSMFLOW_STEP=verify
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

require_source_serving
[ -f "$WORK_DIR/migrated" ] || die "no finished migration: run migrate.sh first"
[ "$(running_port "$TGT_BIN" "$TGT_DATA")" = "$PG_STAGING_PORT" ] ||
  die "the PostgreSQL $ARG_TO cluster at $TGT_DATA is not running on the staging port $PG_STAGING_PORT"
rm -f "$WORK_DIR/verified"

US=$(printf '\037')
generate="
SELECT format('SELECT %L, count(*), coalesce(sum((''x'' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0) FROM %I.%I AS t',
              'table ' || n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
UNION ALL
SELECT format('SELECT %L, last_value, is_called FROM %I.%I', 'sequence ' || n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
 ORDER BY 1
\\gexec"

# relations PORT DB: one line per relation: db, relation, rows (or last_value), checksum (or is_called).
relations() {
  printf '%s\n' "$generate" |
    as_pg "$PSQL" -X -q -At -F "$US" -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$1" -U "$PG_SUPERUSER" -d "$2" -f - |
    awk -v db="$2" -v us="$US" '{ print db us $0 }'
}

list_databases='SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname'
source_dbs=$(psql_at "$PG_PORT" postgres "$list_databases")
target_dbs=$(psql_at "$PG_STAGING_PORT" postgres "$list_databases")
[ "$source_dbs" = "$target_dbs" ] || die "databases differ: source [$(echo $source_dbs)], target [$(echo $target_dbs)]"

src_list="$WORK_DIR/verify-source.txt"
tgt_list="$WORK_DIR/verify-target.txt"
: > "$src_list"
: > "$tgt_list"
set -f
old_ifs=$IFS
IFS='
'
for db in $source_dbs; do
  IFS=$old_ifs
  relations "$PG_PORT" "$db" >> "$src_list" || die "reading the source's $db failed"
  relations "$PG_STAGING_PORT" "$db" >> "$tgt_list" || die "reading the target's $db failed"
done
IFS=$old_ifs
set +f

say "verify: PostgreSQL $ARG_FROM (port $PG_PORT) vs $ARG_TO (port $PG_STAGING_PORT)"
summary=$(awk -F "$US" -v from="$ARG_FROM" -v to="$ARG_TO" -v dbs="$(printf '%s\n' "$source_dbs" | wc -l)" '
  function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s); return s }
  function mismatch(key, why) {
    bad++
    if (bad <= 20) list = list (bad > 1 ? "," : "") "{\"database\":\"" esc(db_of[key]) "\",\"relation\":\"" esc(rel_of[key]) "\",\"problem\":\"" why "\",\"source\":\"" esc(src[key]) "\",\"target\":\"" esc(tgt[key]) "\"}"
  }
  FNR == NR { key = $1 FS $2; src[key] = $3 " " $4; db_of[key] = $1; rel_of[key] = $2; order[++n] = key; kind[key] = $2; next }
  { key = $1 FS $2; tgt[key] = $3 " " $4; db_of[key] = $1; rel_of[key] = $2; if (!(key in src)) extra[++m] = key }
  END {
    for (i = 1; i <= n; i++) {
      key = order[i]
      split(src[key], s, " ")
      if (rel_of[key] ~ /^table /) { tables++; rows += s[1]; what = "rows=" s[1] " checksum=" s[2] }
      else { sequences++; what = "last_value=" s[1] " is_called=" s[2] }
      if (!(key in tgt)) { print "MISSING  " db_of[key] " " rel_of[key] " " what; mismatch(key, "missing in target") }
      else if (tgt[key] != src[key]) { print "DIFFERS  " db_of[key] " " rel_of[key] " source " src[key] " target " tgt[key]; mismatch(key, "differs") }
      else print "ok       " db_of[key] " " rel_of[key] " " what
    }
    for (j = 1; j <= m; j++) { key = extra[j]; print "EXTRA    " db_of[key] " " rel_of[key] " only in target"; mismatch(key, "only in target") }
    printf "VERIFY {\"ok\":%s,\"from\":%s,\"to\":%s,\"databases\":%d,\"tables\":%d,\"sequences\":%d,\"rows\":%.0f,\"mismatchCount\":%d,\"mismatches\":[%s]}\n", bad ? "false" : "true", from, to, dbs, tables, sequences, rows, bad, list
  }' "$src_list" "$tgt_list")
printf '%s\n' "$summary"
rm -f "$src_list" "$tgt_list"
case $summary in
  *'VERIFY {"ok":true'*)
    printf 'verified PostgreSQL %s -> %s\n' "$ARG_FROM" "$ARG_TO" | pg_write_file "$WORK_DIR/verified"
    say "verify passed"
    ;;
  *) die "source and target differ (see the lines above)" ;;
esac
