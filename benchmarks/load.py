"""Load, concurrency and soak benchmark (run on demand; not part of the test suite).

Starts the real app (REST API + runtime) in-process on a loopback port, against DATABASE_URL or
an embedded PostgreSQL, and prints one JSON line per phase:

1. ``burst``: N simultaneous generation requests (the seed's 10) — all must complete, in queue
   order — while a reader measures the history endpoint's latency (p50/p95).
2. ``history_rows``: history query latency through the API with 1,000 and 100,000 rows.
3. ``soak``: steady mixed traffic for ``--soak-s`` seconds (the seed asks for an hour; default
   15 minutes) with process memory (RSS) and database connections sampled; growth is reported.

    .venv/bin/python benchmarks/load.py --burst 10 --soak-s 900
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adgen.api import create_api  # noqa: E402
from adgen.runtime import Runtime  # noqa: E402
from adgen.settings import Settings  # noqa: E402
from tests.live_server import serve  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False, default=str), flush=True)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def db_connections(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")).scalar_one()


def account(api: httpx.Client, login_id: str) -> dict[str, str]:
    api.post("/auth/signup", json={"login_id": login_id, "login_pw": "Cafe-Latte-2026!"})
    token = api.post("/auth/login", json={"login_id": login_id, "login_pw": "Cafe-Latte-2026!"}).json()["session_token"]
    return {"Authorization": f"Bearer {token}"}


def wait(api: httpx.Client, task_id: str, h: dict[str, str], timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/tasks/{task_id}", headers=h).json()
        if body["status"] in ("completed", "failed"):
            body["_done_at"] = time.monotonic()
            return body
        time.sleep(0.05)
    raise TimeoutError(task_id)


def burst(api: httpx.Client, runtime: Runtime, n: int) -> None:
    h = account(api, "burst01")
    reader = account(api, "reader01")
    latencies: list[float] = []
    stop = threading.Event()

    def read_history() -> None:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                r = c.get("/history/generations", headers=reader)
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200
                time.sleep(0.02)

    t = threading.Thread(target=read_history, daemon=True)
    t.start()
    ids: list[str] = []
    barrier = threading.Barrier(n)
    lock = threading.Lock()
    accepted: list[tuple[float, str]] = []

    def submit(i: int) -> None:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as c:
            barrier.wait()
            r = c.post("/ads", json={"input_text": f"카페 신메뉴 홍보 {i}", "aspect_ratio": "1:1"}, headers=h)
            assert r.status_code == 202, r.text
            with lock:
                accepted.append((time.monotonic(), r.json()["task_id"]))

    started = time.perf_counter()
    threads = [threading.Thread(target=submit, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ids = [tid for _, tid in sorted(accepted)]
    results = [wait(api, tid, h) for tid in ids]
    elapsed = time.perf_counter() - started
    stop.set()
    t.join()
    done_order = [tid for tid, _ in sorted(zip(ids, results, strict=True), key=lambda p: p[1]["_done_at"])]
    emit(
        phase="burst",
        requests=n,
        completed=sum(r["status"] == "completed" for r in results),
        failed=sum(r["status"] == "failed" for r in results),
        queue_order_kept=done_order == ids,
        wall_s=round(elapsed, 2),
        history_reads=len(latencies),
        history_p50_ms=round(pct(latencies, 0.5) * 1000, 1),
        history_p95_ms=round(pct(latencies, 0.95) * 1000, 1),
        image_backend=runtime.ctx.image_generator.name,
    )


def history_rows(api: httpx.Client, runtime: Runtime) -> None:
    h = account(api, "rows01")
    with runtime.engine.begin() as conn:
        uid = conn.execute(text("SELECT user_id FROM \"user\" WHERE login_id = 'rows01'")).scalar_one()
    inserted = 0
    for target in (1_000, 100_000):
        with runtime.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO generation_history (user_id, input_text, content_type, output_url, generation_method, style,"
                    " industry, seed, aspect_ratio, created_at)"
                    " SELECT :u, '카페 홍보 ' || g, 'both', '/api/v1/images/' || md5(g::text) || md5(g::text) || '.png', 't2i',"
                    " 'warm', 'cafe', g, '1:1', now() - (g || ' seconds')::interval FROM generate_series(:a, :b) g"
                ),
                {"u": uid, "a": inserted + 1, "b": target},
            )
            conn.execute(text("ANALYZE generation_history"))
        inserted = target
        lat = []
        for i in range(200):
            t0 = time.perf_counter()
            r = api.get("/history/generations", params={"limit": 20, "offset": (i % 10) * 20}, headers=h)
            lat.append(time.perf_counter() - t0)
            assert r.status_code == 200 and len(r.json()) == 20
        emit(phase="history_rows", rows=target, requests=len(lat), p50_ms=round(pct(lat, 0.5) * 1000, 2),
             p95_ms=round(pct(lat, 0.95) * 1000, 2))


def soak(api: httpx.Client, runtime: Runtime, seconds: float, rate_hz: float) -> None:
    h = account(api, "soak01")
    samples: list[dict[str, float]] = []
    errors = 0
    requests = 0
    lat: list[float] = []
    rng = random.Random(7)
    end = time.monotonic() + seconds
    next_sample = 0.0
    pending: list[str] = []
    session_id: str | None = None
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_sample:
            samples.append({"t": round(seconds - (end - now), 1), "rss_mib": round(rss_mib(), 1), "db_conns": db_connections(runtime)})
            next_sample = now + max(5.0, seconds / 60)
        kind = rng.choices(["generate", "history", "sessions", "task", "login"], weights=[1, 4, 2, 2, 1])[0]
        t0 = time.perf_counter()
        try:
            if kind == "generate" and len(pending) < 3:
                body: dict[str, Any] = {"input_text": rng.choice(["카페 신메뉴", "헬스장 오픈", "꽃집 할인", "문구를 짧게"]),
                                        "aspect_ratio": rng.choice(["1:1", "4:3", "3:4"])}
                if session_id and rng.random() < 0.5:
                    body["session_id"] = session_id
                r = api.post("/ads", json=body, headers=h)
                ok = r.status_code in (202, 503)
                if r.status_code == 202:
                    pending.append(r.json()["task_id"])
                    session_id = r.json()["session_id"]
            elif kind == "task" and pending:
                r = api.get(f"/tasks/{pending[0]}", headers=h)
                ok = r.status_code == 200
                if r.json().get("status") in ("completed", "failed"):
                    ok = ok and r.json()["status"] == "completed"
                    pending.pop(0)
            elif kind == "sessions":
                ok = api.get("/history/chat/sessions", headers=h).status_code == 200
            elif kind == "login":
                ok = api.post("/auth/login", json={"login_id": "soak01", "login_pw": "Cafe-Latte-2026!"}).status_code == 200
            else:
                ok = api.get("/history/generations", headers=h).status_code == 200
        except httpx.HTTPError:
            ok = False
        lat.append(time.perf_counter() - t0)
        requests += 1
        errors += 0 if ok else 1
        time.sleep(1 / rate_hz)
    runtime.wait_idle()
    samples.append({"t": round(seconds, 1), "rss_mib": round(rss_mib(), 1), "db_conns": db_connections(runtime)})
    half = len(samples) // 2
    emit(
        phase="soak",
        seconds=seconds,
        requests=requests,
        errors=errors,
        p50_ms=round(pct(lat, 0.5) * 1000, 1),
        p95_ms=round(pct(lat, 0.95) * 1000, 1),
        rss_first_half_median_mib=statistics.median(s["rss_mib"] for s in samples[: max(1, half)]),
        rss_second_half_median_mib=statistics.median(s["rss_mib"] for s in samples[half:]),
        db_conns_max=max(s["db_conns"] for s in samples),
        db_conns_last=samples[-1]["db_conns"],
        samples=samples,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--soak-s", type=float, default=900.0, help="soak duration in seconds (the seed: 3600)")
    parser.add_argument("--rate-hz", type=float, default=10.0, help="soak request rate")
    parser.add_argument("--skip", default="", help="comma-separated phases to skip: burst,history_rows,soak")
    parser.add_argument("--image-backend", default="template")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    data_dir = Path(mkdtemp(prefix="adgen-load-"))
    settings = Settings(data_dir=data_dir, log_dir=data_dir / "logs", image_backend=args.image_backend,
                        copywriter_backend="local", queue_max_size=max(16, args.burst + 4))
    runtime = Runtime.create(settings)
    with serve(create_api(runtime)) as base, httpx.Client(base_url=base, timeout=60) as api:
        if "burst" not in skip:
            burst(api, runtime, args.burst)
        if "history_rows" not in skip:
            history_rows(api, runtime)
        if "soak" not in skip:
            soak(api, runtime, args.soak_s, args.rate_hz)
    from db.engine import shutdown_db

    shutdown_db()
    return 0


if __name__ == "__main__":
    sys.exit(main())
