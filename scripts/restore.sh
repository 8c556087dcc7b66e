#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh:  scripts/restore.sh backups/adgen-<stamp>.dump [--target-url URL]
# Replaces the tables in the dump, in one transaction (all or nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 DUMP_FILE [--target-url URL]" >&2; exit 2; }
exec .venv/bin/python -m db.backup restore "$@"
