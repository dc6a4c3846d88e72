#!/bin/sh
# backup: a full logical backup of the source cluster (pg_dumpall: roles, tablespaces, every
# database), gzip-compressed, uploaded to S3. Changes nothing on the cluster; the object is kept
# whatever happens later, so it has no rollback. A repeated run uploads a second, newer backup.
# usage: backup.sh --from 16 --to 17 --cluster NAME --bucket NAME [--prefix PREFIX]
set -eu
SSMFLOW_STEP=backup
. "$(dirname "$0")/lib.sh"
load_config "$@"
require_role primary

[ -n "$ARG_BUCKET" ] || die "--bucket is required"
[ -n "$ARG_CLUSTER" ] || die "--cluster is required"
require_source_serving
pg_mkdir "$WORK_DIR"
pg_mkdir "$WORK_DIR/backup"
# The process id keeps a repeated run within the same second from overwriting the earlier backup.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="pg$ARG_FROM-$stamp-$$.sql"
file="$WORK_DIR/backup/$name"
key="${ARG_PREFIX:+${ARG_PREFIX%/}/}$ARG_CLUSTER/$INSTANCE/$name.gz"

say "backup: pg_dumpall of the PostgreSQL $ARG_FROM cluster on port $PG_PORT"
rm -f "$file" "$file.gz"
as_pg "$PG_DUMPALL" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -f "$file" || die "pg_dumpall failed"
gzip -f "$file"
size=$(wc -c < "$file.gz" | tr -d ' ')
sha=$(sha256sum "$file.gz" | cut -d' ' -f1)
say "uploading $size bytes (sha256 $sha) to s3://$ARG_BUCKET/$key"
s3_put "$file.gz" "$ARG_BUCKET" "$key" || die "upload to s3://$ARG_BUCKET/$key failed"
rm -f "$file.gz"
printf 's3://%s/%s\n' "$ARG_BUCKET" "$key" | pg_write_file "$WORK_DIR/last-backup"
say "BACKUP {\"uri\":\"s3://$ARG_BUCKET/$key\",\"bytes\":$size,\"sha256\":\"$sha\"}"
