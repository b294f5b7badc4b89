"""Latency of search in-process and over HTTP (a real uvicorn on loopback), at a given top_k.

    python scripts/benchmark.py [--gold tests/data/dev.jsonl] [--top-k 10] [--repeat 3] [--http]

Prints p50/p95 in milliseconds. Uses the configured index (QA_INDEX_DIR, default index/default).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from qa_service.config import Settings
from qa_service.service import open_service

ROOT = Path(__file__).resolve().parent.parent


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 2)


def throughput(
    base: str, queries: list[str], top_k: int, concurrency: int, seconds: float, distinct: bool
) -> dict[str, float]:
    """Requests per second with `concurrency` clients for `seconds` (bounded, loopback only).

    With `distinct`, every request's text is new (a counter is appended), so the query-vector
    cache never answers: the worst case. Without, the 30 gold queries repeat.
    """
    import asyncio

    async def run() -> tuple[int, int, list[float]]:
        ok = failed = 0
        lat: list[float] = []
        deadline = time.perf_counter() + seconds
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:

            async def client(i: int) -> None:
                nonlocal ok, failed
                n = i
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    q = queries[n % len(queries)] + (f" ({n})" if distinct else "")
                    r = await c.post("/v1/search", json={"query": q, "top_k": top_k})
                    lat.append((time.perf_counter() - t0) * 1000)
                    if r.status_code == 200:
                        ok += 1
                    else:
                        failed += 1
                    n += concurrency

            await asyncio.gather(*(client(i) for i in range(concurrency)))
        return ok, failed, lat

    ok, failed, lat = asyncio.run(run())
    return {
        "rps": round(ok / seconds, 1),
        "failed": failed,
        "concurrency": concurrency,
        "loaded_p50_ms": pct(lat, 0.5),
        "loaded_p95_ms": pct(lat, 0.95),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "tests" / "data" / "dev.jsonl")
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--http", action="store_true", help="also measure over HTTP against a local server")
    ap.add_argument("--workers", type=int, default=1, help="server workers for the HTTP measurements")
    ap.add_argument("--concurrency", type=int, default=8, help="parallel clients for the throughput run")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the throughput run")
    args = ap.parse_args(argv)
    queries = [json.loads(x)["query"] for x in args.gold.read_text(encoding="utf-8").splitlines() if x.strip()]
    svc = open_service(Settings())
    svc.search("warm-up", top_k=args.top_k)
    took, cached = [], []
    for _ in range(args.repeat):
        for q in queries:
            svc._qcache.clear()  # every search encodes its query: the cost of a new question
            t0 = time.perf_counter()
            svc.search(q, top_k=args.top_k)
            took.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            svc.search(q, top_k=args.top_k)  # the same question again: its vector is cached
            cached.append((time.perf_counter() - t0) * 1000)
    enc = []
    for q in queries:
        t0 = time.perf_counter()
        svc.encoder.encode_queries([q])
        enc.append((time.perf_counter() - t0) * 1000)
    out = {
        "n": len(took),
        "top_k": args.top_k,
        "inprocess_p50_ms": pct(took, 0.5),
        "inprocess_p95_ms": pct(took, 0.95),
        "encode_query_p50_ms": pct(enc, 0.5),
        "inprocess_cached_p50_ms": pct(cached, 0.5),
    }
    if args.http:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa_service", "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                for _ in range(300):
                    try:
                        if c.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.1)
                http, http_cached = [], []
                for n in range(args.repeat):
                    for q in queries:
                        # A new text each round (the server caches query vectors), then the same again.
                        for text, into in ((f"{q} ({n})", http), (f"{q} ({n})", http_cached)):
                            t0 = time.perf_counter()
                            r = c.post("/v1/search", json={"query": text, "top_k": args.top_k})
                            r.raise_for_status()
                            into.append((time.perf_counter() - t0) * 1000)
            out.update(
                {
                    "http_p50_ms": pct(http, 0.5),
                    "http_p95_ms": pct(http, 0.95),
                    "http_cached_p50_ms": pct(http_cached, 0.5),
                }
            )
            base = f"http://127.0.0.1:{port}"
            distinct = throughput(base, queries, args.top_k, args.concurrency, args.seconds, True)
            repeated = throughput(base, queries, args.top_k, args.concurrency, args.seconds, False)
            out.update({f"distinct_{k}": v for k, v in distinct.items()})
            out.update({f"repeated_{k}": v for k, v in repeated.items()})
            out["workers"] = args.workers
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
