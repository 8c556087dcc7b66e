"""Database load test (the seed's week-5 "DB 부하 테스트"): the project's CRUD against raw psycopg2.

Run on demand (`make bench-db`), not in tests. Against a fresh database it measures:

1. 1,000 ``save_generation_history`` calls, each in its own transaction (``session_scope``), versus
   the same INSERT ... RETURNING id with raw psycopg2 (one connection, commit per row);
2. the history query (limit 20) for one user over 100,000 rows, via ``crud.get_generation_history``
   versus raw psycopg2;

printing one JSON line per measurement (median and p95 in milliseconds), then EXPLAIN ANALYZE of
the history query. The fresh database lives on ``--url``'s server, else on 127.0.0.1:5432 when a
server answers there, else on an embedded server in a temporary folder; it is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adgen.settings import Settings  # noqa: E402
from db import crud  # noqa: E402
from db.admin import create_database, drop_database, dsn_as_url, find_local_server, maintenance_dsn, url_as_dsn  # noqa: E402
from db.engine import dispose_engines, init_db, session_scope, shutdown_db, start_embedded_server  # noqa: E402

ROW = {
    "input_text": "카페 신메뉴 딸기라떼 홍보",
    "content_type": "both",
    "output_url": "/api/v1/images/" + "a" * 64 + ".png",
    "generation_method": "t2i",
    "style": "밝고 따뜻한",
    "industry": "cafe",
    "seed": 1234,
    "aspect_ratio": "1:1",
}
RAW_INSERT = """
    INSERT INTO generation_history (user_id, input_text, content_type, output_url, generation_method, style, industry, seed, aspect_ratio)
    VALUES (%(user_id)s, %(input_text)s, %(content_type)s, %(output_url)s, %(generation_method)s, %(style)s, %(industry)s,
            %(seed)s, %(aspect_ratio)s)
    RETURNING id
"""
# The same columns and order the CRUD query selects.
RAW_HISTORY = """
    SELECT id, user_id, input_text, input_image_hash, content_type, output_url, generation_method, style, industry, seed,
           aspect_ratio, created_at, session_id, bare_image_hash, ad_copy, copy_backend, image_backend
    FROM generation_history WHERE user_id = %s ORDER BY created_at DESC, id DESC LIMIT %s
"""


def measure(name: str, impl: str, fn: Callable[[int], Any], n: int, warmup: int = 20) -> dict[str, Any]:
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    result = {
        "bench": name,
        "impl": impl,
        "n": n,
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[int(0.95 * (n - 1))], 3),
        "mean_ms": round(statistics.fmean(times), 3),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="SQLAlchemy URL of any database on the server to use (a fresh one is created beside it)")
    parser.add_argument("--inserts", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=500, help="users the --rows rows are spread over")
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()

    embedded_dir: Path | None = None
    if args.url:
        admin = maintenance_dsn(args.url)
    elif (local := find_local_server()) is not None:
        admin = local
    else:
        embedded_dir = Path(tempfile.mkdtemp(prefix="adgen_bench_")) / "data"
        admin = maintenance_dsn(start_embedded_server(embedded_dir / "pg"))
    name = f"adgen_bench_{os.getpid()}"
    create_database(admin, name)
    url = dsn_as_url(admin | {"dbname": name})
    settings = Settings(_env_file=None, database_url=url, data_dir=Path(tempfile.gettempdir()) / "adgen_bench")  # type: ignore[call-arg]
    try:
        engine = init_db(settings)
        raw = psycopg2.connect(**url_as_dsn(url))
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar_one()
        print(json.dumps({"server": version, "where": "embedded" if embedded_dir else admin.get("host")}), flush=True)
        with session_scope(engine) as s:
            user_id = crud.create_user(s, login_id="bench01", hashed_pw="x").user_id

        # 1. inserts, one transaction each
        def crud_insert(_: int) -> None:
            with session_scope(engine) as s:
                crud.save_generation_history(s, user_id=user_id, **ROW)

        def raw_insert(_: int) -> None:
            with raw.cursor() as cur:
                cur.execute(RAW_INSERT, {"user_id": user_id, **ROW})
                cur.fetchone()
            raw.commit()

        measure("save_generation_history", "crud", crud_insert, args.inserts)
        measure("save_generation_history", "raw_psycopg2", raw_insert, args.inserts)

        # 2. the history query over --rows rows, interleaved over --users users (as real traffic is)
        with raw.cursor() as cur:
            cur.execute("TRUNCATE generation_history, \"user\" RESTART IDENTITY CASCADE")
            cur.execute("""INSERT INTO "user" (login_id, login_pw) SELECT 'user' || g, 'x' FROM generate_series(1, %s) g""", (args.users,))
            cur.execute(
                """
                INSERT INTO generation_history (user_id, input_text, content_type, output_url, generation_method, style, industry,
                                                seed, aspect_ratio, created_at, ad_copy, copy_backend, image_backend)
                SELECT 1 + g %% %(users)s, '카페 신메뉴 홍보 ' || g, 'both', '/api/v1/images/' || md5(g::text) || '.png', 't2i',
                       '밝고 따뜻한', 'cafe', g, '1:1', TIMESTAMP '2026-01-01' + g * INTERVAL '1 minute',
                       jsonb_build_object('headline', '딸기라떼 출시', 'body', '상큼한 봄', 'cta', '지금 주문'), 'local', 'template'
                FROM generate_series(1, %(rows)s) AS g
                """,
                {"users": args.users, "rows": args.rows},
            )
            cur.execute("ANALYZE")
        raw.commit()

        def crud_history(i: int) -> None:
            with session_scope(engine) as s:
                assert len(crud.get_generation_history(s, 1 + i % args.users, limit=20)) == 20

        def raw_history(i: int) -> None:
            with raw.cursor() as cur:
                cur.execute(RAW_HISTORY, (1 + i % args.users, 20))
                assert len(cur.fetchall()) == 20
            raw.commit()

        measure("get_generation_history", "crud", crud_history, args.queries)
        measure("get_generation_history", "raw_psycopg2", raw_history, args.queries)

        with raw.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + RAW_HISTORY, (7, 20))
            plan = "\n".join(row[0] for row in cur.fetchall())
        raw.commit()
        print(f"-- EXPLAIN ANALYZE of the history query, user 7, limit 20, over {args.rows:,} rows\n{plan}", flush=True)
        raw.close()
    finally:
        dispose_engines(url)
        drop_database(admin, name)
        if embedded_dir is not None:
            shutdown_db()


if __name__ == "__main__":
    main()
