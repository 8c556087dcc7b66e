"""Backup round trip: dump, restore into a fresh database, every row, sequence and image reference intact."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from adgen import auth
from db import crud
from db.backup import dump, restore, rotate
from db.engine import create_schema, session_scope

ROOT = Path(__file__).resolve().parent.parent
TABLES = ('"user"', "generation_history", "chat_history", "image_matching", "image_ownership")
SEQUENCES = ("user_user_id_seq", "generation_history_id_seq", "chat_history_id_seq", "image_matching_id_seq")


def snapshot(engine) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
        for seq in SEQUENCES:
            out[seq] = [tuple(conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one())]
    return out


def fill(engine, settings) -> None:  # type: ignore[no-untyped-def]
    uid = auth.register_user("backup01", "Cafe-Latte-2026!", engine=engine, settings=settings)
    with session_scope(engine) as s:
        crud.save_image_matching(s, file_hash="a" * 64, file_directory="/data/images/aa", file_type="generated", user_id=uid)
        for i in range(5):
            crud.save_generation_history(
                s, user_id=uid, input_text=f"카페 '; DROP TABLE x; -- {i}", content_type="both",
                output_url="/api/v1/images/" + "a" * 64 + ".png", generation_method="t2i", style="warm",
                industry="cafe", seed=i, aspect_ratio="1:1", ad_copy={"headline": "딸기라떼"},
            )
        crud.save_chat_message(s, user_id=uid, session_id="s" * 32, message_id=1, role="user", content="카페 홍보 🍓")


def test_dump_restore_round_trip(engine, settings, make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fill(engine, settings)
    before = snapshot(engine)
    assert len(before["generation_history"]) == 5
    dump_file = dump(settings.database_url, tmp_path)
    assert dump_file.stat().st_size > 0 and dump_file.suffix == ".dump"

    target_url = make_database()
    restore(dump_file, target_url)
    target = create_engine(target_url)
    try:
        assert snapshot(target) == before
        # new inserts work: sequences continue after the restored ids
        with target.begin() as conn:
            new_id = conn.execute(
                text("INSERT INTO generation_history (input_text) VALUES ('after restore') RETURNING id")
            ).scalar_one()
        assert new_id == max(r[0] for r in before["generation_history"]) + 1
        create_schema(target)  # idempotent on a restored database
    finally:
        target.dispose()


def test_backup_script_runs_against_configured_database(engine, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fill(engine, settings)
    out = subprocess.run(
        [sys.executable, "-m", "db.backup", "dump", "--out-dir", str(tmp_path), "--keep", "3"],
        cwd=ROOT, env={"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path / "data")},
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_file()


def test_rotation_keeps_newest(tmp_path: Path) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    names = [f"adgen-{(base + timedelta(days=i)).strftime('%Y%m%dT%H%M%S%fZ')}.dump" for i in range(5)]
    for n in names:
        (tmp_path / n).write_bytes(b"x")
    (tmp_path / "unrelated.txt").write_text("keep me")
    removed = rotate(tmp_path, keep=2)
    assert sorted(p.name for p in removed) == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[3:], "unrelated.txt"])
