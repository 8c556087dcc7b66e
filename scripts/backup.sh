#!/usr/bin/env bash
# Timestamped pg_dump (custom format) of the AdGen database, keeping the newest $KEEP dumps.
# Works for DATABASE_URL and for the embedded server (started for the dump when the app is down).
# cron, daily at midnight:  0 0 * * * cd /path/to/adgen && scripts/backup.sh >> logs/backup.log 2>&1
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${BACKUP_DIR:-backups}"
KEEP="${BACKUP_KEEP:-14}"
exec .venv/bin/python -m db.backup dump --out-dir "$OUT_DIR" --keep "$KEEP" "$@"
