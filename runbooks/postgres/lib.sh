# Shared by every postgres-major-upgrade step script; sourced, never run on its own.
# Each script sets SSMFLOW_STEP, sources this file and calls `load_config "$@"`.
#
# Arguments understood by load_config:
#   --from N  --to N          source and target major versions (always required)
#   --cluster NAME            cluster name (backup key)
#   --bucket NAME  --prefix P S3 bucket and key prefix for the backup
#   --strategy dump|link|online  how the runbook upgrades (precheck checks what the strategy needs)
# Host configuration comes from the env file ${SSMFLOW_PG_ENV:-/etc/ssmflow/postgres.env};
# README.md in this folder lists its entries.

# SSM runs commands with the agent's PATH; runuser and useradd live in sbin.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export PATH

say() { printf '%s\n' "$*"; }

die() {
  printf 'ssmflow %s FAILED: %s\n' "$SSMFLOW_STEP" "$*" >&2
  exit 1
}

is_uint() {
  case ${1:-} in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac
}

load_config() {
  ARG_FROM='' ARG_TO='' ARG_CLUSTER='' ARG_BUCKET='' ARG_PREFIX='' ARG_STRATEGY=dump
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "option $1 needs a value"
    case $1 in
      --from) ARG_FROM=$2 ;;
      --to) ARG_TO=$2 ;;
      --cluster) ARG_CLUSTER=$2 ;;
      --bucket) ARG_BUCKET=$2 ;;
      --prefix) ARG_PREFIX=$2 ;;
      --strategy) ARG_STRATEGY=$2 ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done

  env_file=${SSMFLOW_PG_ENV:-/etc/ssmflow/postgres.env}
  case $env_file in /*) ;; *) env_file="$PWD/$env_file" ;; esac
  [ -r "$env_file" ] || die "host configuration $env_file is missing or unreadable (set SSMFLOW_PG_ENV or provision it)"
  # shellcheck disable=SC1090
  . "$env_file"

  # Test-only failure switch: a file fail-<step> in SSMFLOW_TEST_FAIL_DIR makes this step fail
  # before it does anything. Production env files do not set SSMFLOW_TEST_FAIL_DIR.
  if [ -n "${SSMFLOW_TEST_FAIL_DIR:-}" ] && [ -e "$SSMFLOW_TEST_FAIL_DIR/fail-$SSMFLOW_STEP" ]; then
    # A waitUntil check sets GIVE_UP_EXIT: its failure must stop the wait, not look like "not yet".
    printf 'ssmflow %s FAILED: injected test failure (%s exists)\n' "$SSMFLOW_STEP" "$SSMFLOW_TEST_FAIL_DIR/fail-$SSMFLOW_STEP" >&2
    exit "${GIVE_UP_EXIT:-1}"
  fi

  : "${PG_OS_USER:?PG_OS_USER is not set in $env_file}"
  : "${PG_DATA_ROOT:?PG_DATA_ROOT is not set in $env_file}"
  : "${PG_SOCKET_DIR:?PG_SOCKET_DIR is not set in $env_file}"
  is_uint "${PG_PORT:-}" || die "PG_PORT in $env_file must be a port number"
  is_uint "${PG_STAGING_PORT:-}" || die "PG_STAGING_PORT in $env_file must be a port number"
  [ "$PG_PORT" != "$PG_STAGING_PORT" ] || die "PG_PORT and PG_STAGING_PORT must differ"
  PG_SUPERUSER=${PG_SUPERUSER:-postgres}
  PG_LISTEN_ADDRESSES=${PG_LISTEN_ADDRESSES:-localhost}
  WORK_DIR=${SSMFLOW_PG_WORK_DIR:-$PG_DATA_ROOT/ssmflow-upgrade}
  INSTANCE=${AWS_SSM_INSTANCE_ID:-$(hostname)}

  case $ARG_STRATEGY in dump | link | online) ;; *) die "--strategy must be dump, link or online (got '$ARG_STRATEGY')" ;; esac
  is_uint "$ARG_FROM" || die "--from must be a major version number (got '$ARG_FROM')"
  is_uint "$ARG_TO" || die "--to must be a major version number (got '$ARG_TO')"
  [ "$ARG_TO" -gt "$ARG_FROM" ] || die "--to ($ARG_TO) must be a newer major than --from ($ARG_FROM)"
  SRC_BIN=$(bin_dir "$ARG_FROM")
  TGT_BIN=$(bin_dir "$ARG_TO")
  SRC_DATA=$(data_dir "$ARG_FROM")
  TGT_DATA=$(data_dir "$ARG_TO")
  pick_client_tools
  if [ "$(id -u)" = 0 ]; then
    command -v runuser > /dev/null || die "runuser (util-linux) is required to run PostgreSQL as $PG_OS_USER"
    id -u "$PG_OS_USER" > /dev/null 2>&1 || die "OS user $PG_OS_USER does not exist"
  elif [ "$(id -un)" != "$PG_OS_USER" ]; then
    die "run as root or as $PG_OS_USER (running as $(id -un))"
  fi
}

# PG_BIN_<major> from the env file: the bin dir of that major's toolset.
bin_dir() {
  eval "dir=\${PG_BIN_$1:-}"
  [ -n "$dir" ] || die "PostgreSQL $1 is not installed on this host: PG_BIN_$1 (its bin dir) is not set in $env_file"
  printf '%s\n' "$dir"
}

# PG_DATA_<major> from the env file, else <PG_DATA_ROOT>/<major>/main.
data_dir() {
  eval "dir=\${PG_DATA_$1:-}"
  printf '%s\n' "${dir:-$PG_DATA_ROOT/$1/main}"
}

# Client tools: the target major's own when its bin dir ships them (pg_dump must be at least as new
# as the server it dumps and should be the newest), else PG_CLIENT_BIN, else PATH.
pick_client_tools() {
  client_dir=''
  if [ -x "$TGT_BIN/pg_dump" ] && [ -x "$TGT_BIN/psql" ]; then
    client_dir=$TGT_BIN
  elif [ -n "${PG_CLIENT_BIN:-}" ]; then
    client_dir=$PG_CLIENT_BIN
  else
    psql_path=$(command -v psql 2> /dev/null) || die "psql not found: install postgresql-client or set PG_CLIENT_BIN"
    client_dir=$(dirname "$psql_path")
  fi
  PSQL=$client_dir/psql
  PG_DUMP=$client_dir/pg_dump
  PG_DUMPALL=$client_dir/pg_dumpall
  PG_RESTORE=$client_dir/pg_restore
  for tool in "$PSQL" "$PG_DUMP" "$PG_DUMPALL" "$PG_RESTORE"; do
    [ -x "$tool" ] || die "$tool is missing: install postgresql-client or set PG_CLIENT_BIN"
  done
}

# Runs a command as the cluster's OS user, from / (the caller's directory may be private to root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

# as_pg_in DIR CMD...: as as_pg, from DIR (pg_upgrade writes its logs where it runs).
as_pg_in() {
  dir=$1
  shift
  if [ "$(id -u)" = 0 ]; then
    (cd "$dir" && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

# This host's part of the cluster (PG_ROLE in the env file: primary, standby or pooler).
require_role() {
  [ "${PG_ROLE:-primary}" = "$1" ] || die "this step runs on the $1; $INSTANCE is the ${PG_ROLE:-primary} (check the step's Role tag)"
}

# psql_primary DB SQL: one query to the cluster's primary over TCP (standbys reach it this way).
psql_primary() {
  : "${PG_PRIMARY_PORT:?PG_PRIMARY_PORT is not set in $env_file}"
  as_pg "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$2" \
    "host=${PG_PRIMARY_HOST:-127.0.0.1} port=$PG_PRIMARY_PORT user=$PG_SUPERUSER dbname=$1 ${PG_PASSFILE:+passfile=$PG_PASSFILE} connect_timeout=5"
}

# init_target PORT: initdb the target major at TGT_DATA like the running source (encoding, locale,
# data checksums, pg_hba.conf, pg_ident.conf), listening on PORT once started. pg_upgrade needs the
# checksum setting to match; PostgreSQL 18's initdb turns checksums on unless told otherwise.
init_target() {
  settings=$(psql_at "$PG_PORT" postgres "SELECT pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype FROM pg_database WHERE datname = 'template1'")
  encoding=${settings%%|*}
  rest=${settings#*|}
  collate=${rest%%|*}
  ctype=${rest#*|}
  if [ "$ARG_FROM" -ge 15 ]; then
    provider=$(psql_at "$PG_PORT" postgres "SELECT datlocprovider FROM pg_database WHERE datname = 'template1'")
    [ "$provider" = c ] || die "the source's default collation provider is '$provider'; only libc is handled"
  fi
  checksums=$(psql_at "$PG_PORT" postgres 'SHOW data_checksums')
  if [ "$checksums" = on ]; then
    checksum_flag=--data-checksums
  elif [ "$ARG_TO" -ge 18 ]; then
    checksum_flag=--no-data-checksums
  else
    checksum_flag=''
  fi
  hba_file=$(psql_at "$PG_PORT" postgres 'SHOW hba_file')
  ident_file=$(psql_at "$PG_PORT" postgres 'SHOW ident_file')

  say "initdb PostgreSQL $ARG_TO at $TGT_DATA (encoding $encoding, collate $collate, ctype $ctype, data checksums $checksums)"
  pg_mkdir "$(dirname "$TGT_DATA")"
  pg_mkdir "$WORK_DIR"
  # shellcheck disable=SC2086
  as_pg "$TGT_BIN/initdb" -D "$TGT_DATA" -U "$PG_SUPERUSER" -E "$encoding" --lc-collate="$collate" --lc-ctype="$ctype" \
    --auth-local=peer --auth-host=scram-sha-256 $checksum_flag > "$WORK_DIR/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$WORK_DIR/initdb.log")"
  pg_write_file "$TGT_DATA/pg_hba.conf" < "$hba_file"
  pg_write_file "$TGT_DATA/pg_ident.conf" < "$ident_file"
  write_server_conf "$TGT_DATA" "$1"
  if [ -n "${PG_TARGET_CONF:-}" ]; then
    say "adding settings for PostgreSQL $ARG_TO from $PG_TARGET_CONF"
    printf "\ninclude '%s'\n" "$PG_TARGET_CONF" >> "$TGT_DATA/postgresql.conf"
  fi
}

# An earlier attempt's unfinished target goes (stopped first); a directory of another major stays.
remove_unfinished_target() {
  [ -e "$TGT_DATA" ] || return 0
  if [ -f "$TGT_DATA/PG_VERSION" ] && [ "$(cat "$TGT_DATA/PG_VERSION")" != "$ARG_TO" ]; then
    die "$TGT_DATA holds PostgreSQL $(cat "$TGT_DATA/PG_VERSION"), not $ARG_TO: refusing to replace it"
  fi
  say "removing the unfinished target of an earlier attempt at $TGT_DATA"
  stop_server "$TGT_BIN" "$TGT_DATA"
  rm -rf "$TGT_DATA"
}

# Creates a directory owned by the cluster's OS user.
pg_mkdir() {
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then chown "$PG_OS_USER:" "$1"; fi
  chmod 700 "$1"
}

# Writes stdin to a file owned by the cluster's OS user.
pg_write_file() {
  cat > "$1"
  if [ "$(id -u)" = 0 ]; then chown "$PG_OS_USER:" "$1"; fi
  chmod 600 "$1"
}

# psql_at PORT DB SQL: one query, unaligned tuples only, stops on the first error.
psql_at() {
  as_pg "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$1" -U "$PG_SUPERUSER" -d "$2" -c "$3"
}

# Succeeds when a server answers on PORT.
answers_on() {
  as_pg "$PSQL" -X -q -At -h "$PG_SOCKET_DIR" -p "$1" -U "$PG_SUPERUSER" -d postgres -c 'SELECT 1' > /dev/null 2>&1
}

server_major_on() {
  num=$(psql_at "$1" postgres 'SHOW server_version_num') || return 1
  printf '%s\n' $((num / 10000))
}

# is_running BIN DATADIR: a postmaster runs on that data directory.
is_running() {
  [ -f "$2/PG_VERSION" ] || return 1
  as_pg "$1/pg_ctl" status -D "$2" > /dev/null 2>&1
}

# The port the postmaster of DATADIR listens on (4th line of postmaster.pid), empty when stopped.
running_port() {
  if is_running "$1" "$2"; then sed -n 4p "$2/postmaster.pid"; fi
}

# Port, listen addresses and socket directory live in ssmflow.conf, included at the end of
# postgresql.conf, so cutover can move a cluster to another port by rewriting one small file.
write_server_conf() {
  datadir=$1 port=$2
  pg_write_file "$datadir/ssmflow.conf" << EOF
# Written by ssmflow's postgres-major-upgrade scripts.
port = $port
listen_addresses = '$PG_LISTEN_ADDRESSES'
unix_socket_directories = '$PG_SOCKET_DIR'
EOF
  if ! grep -qx "include_if_exists = 'ssmflow.conf'" "$datadir/postgresql.conf"; then
    printf "\ninclude_if_exists = 'ssmflow.conf'\n" >> "$datadir/postgresql.conf"
  fi
}

start_server() {
  say "starting PostgreSQL $(cat "$2/PG_VERSION") on $2"
  as_pg "$1/pg_ctl" start -D "$2" -w -t 120 -s -l "$2/ssmflow-server.log" ||
    die "PostgreSQL on $2 did not start; last log lines: $(tail -n 5 "$2/ssmflow-server.log" 2> /dev/null)"
}

stop_server() {
  if is_running "$1" "$2"; then
    say "stopping PostgreSQL $(cat "$2/PG_VERSION") on $2"
    as_pg "$1/pg_ctl" stop -D "$2" -m fast -w -t 120 -s || die "PostgreSQL on $2 did not stop"
  fi
}

# The source must be the cluster serving the service port, on the source major.
require_source_serving() {
  [ -f "$SRC_DATA/PG_VERSION" ] || die "no PostgreSQL $ARG_FROM data directory at $SRC_DATA"
  [ "$(cat "$SRC_DATA/PG_VERSION")" = "$ARG_FROM" ] || die "$SRC_DATA holds PostgreSQL $(cat "$SRC_DATA/PG_VERSION"), not $ARG_FROM"
  [ "$(running_port "$SRC_BIN" "$SRC_DATA")" = "$PG_PORT" ] ||
    die "the PostgreSQL $ARG_FROM cluster at $SRC_DATA is not serving port $PG_PORT"
}

read_only_setting() {
  psql_at "$PG_PORT" postgres 'SHOW default_transaction_read_only'
}

# set_source_read_only on|off: cluster-wide default, persisted with ALTER SYSTEM, applied by reload.
set_source_read_only() {
  if [ "$1" = on ]; then
    psql_at "$PG_PORT" postgres 'ALTER SYSTEM SET default_transaction_read_only = on' > /dev/null
  else
    psql_at "$PG_PORT" postgres 'ALTER SYSTEM RESET default_transaction_read_only' > /dev/null
  fi
  psql_at "$PG_PORT" postgres 'SELECT pg_reload_conf()' > /dev/null
  # Reload is asynchronous: wait until new sessions see the setting.
  tries=0
  while [ "$(read_only_setting)" != "$1" ]; do
    tries=$((tries + 1))
    [ $tries -lt 100 ] || die "default_transaction_read_only did not become $1 after reload"
    sleep 0.1
  done
}

# The migrated target is only valid while the source stays read-only: anything that makes the
# source writable again invalidates it, so cutover cannot switch to stale data.
invalidate_target() {
  rm -f "$WORK_DIR/migrated" "$WORK_DIR/verified"
}

# s3_put FILE BUCKET KEY. S3_UPLOAD=aws (default): `aws s3 cp` with the host's credentials
# (instance profile), S3_ENDPOINT as --endpoint-url when set. S3_UPLOAD=curl: an unsigned
# path-style PUT to S3_ENDPOINT, for the local S3 emulator, which accepts unsigned requests.
s3_put() {
  case ${S3_UPLOAD:-aws} in
    aws)
      command -v aws > /dev/null || die "the aws CLI is required to upload the backup (or set S3_UPLOAD=curl and S3_ENDPOINT for an S3 emulator)"
      if [ -n "${S3_ENDPOINT:-}" ]; then
        aws s3 cp --only-show-errors --endpoint-url "$S3_ENDPOINT" "$1" "s3://$2/$3"
      else
        aws s3 cp --only-show-errors "$1" "s3://$2/$3"
      fi
      ;;
    curl)
      [ -n "${S3_ENDPOINT:-}" ] || die "S3_UPLOAD=curl needs S3_ENDPOINT"
      curl --fail --silent --show-error --upload-file "$1" "$S3_ENDPOINT/$2/$3" > /dev/null
      ;;
    *) die "S3_UPLOAD must be aws or curl (got ${S3_UPLOAD})" ;;
  esac
}

# s3_bucket_reachable BUCKET
s3_bucket_reachable() {
  case ${S3_UPLOAD:-aws} in
    aws)
      command -v aws > /dev/null || return 1
      if [ -n "${S3_ENDPOINT:-}" ]; then
        aws s3api head-bucket --endpoint-url "$S3_ENDPOINT" --bucket "$1" > /dev/null 2>&1
      else
        aws s3api head-bucket --bucket "$1" > /dev/null 2>&1
      fi
      ;;
    curl) [ -n "${S3_ENDPOINT:-}" ] && curl --fail --silent --head "$S3_ENDPOINT/$1" > /dev/null ;;
    *) return 1 ;;
  esac
}
