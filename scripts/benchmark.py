"""Latency of search in-process and over HTTP (a real uvicorn on loopback), and index build times.

    python scripts/benchmark.py [--gold tests/data/dev.jsonl] [--top-k 10] [--repeat 3]
                                [--http [--workers 2]] [--builds [--no-cold]]

Prints one JSON object: p50/p95 in milliseconds. Uses the configured index (QA_INDEX_DIR, default
index/default). `--http` starts `qa-service serve --workers N` and waits until all N workers
answer /readyz (or exits with an error and the server's log); `serve_ready_s` is how long that
took. `--builds` times `qa-service index build` of the corpus into temporary folders: cold (no
cache, no shipped vectors; minutes), fresh clone (shipped vectors, empty cache) and warm (the
cache of the cold build), each with the manifest's stage timings.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def http_figures(args: argparse.Namespace, queries: list[str]) -> dict[str, Any]:
    """Start `qa-service serve --workers N`, wait for every worker, then time requests and load."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"workers": args.workers}
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        log = Path(tmp) / "server.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "qa_service", "serve", "--port", str(port), "--workers", str(args.workers)],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        try:
            out["serve_ready_s"] = round(wait_ready(base, args.workers, proc, log, args.ready_timeout), 2)
            http: list[float] = []
            http_cached: list[float] = []
            with httpx.Client(base_url=base, timeout=30) as c:
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
            distinct = throughput(base, queries, args.top_k, args.concurrency, args.seconds, True)
            repeated = throughput(base, queries, args.top_k, args.concurrency, args.seconds, False)
            out.update({f"distinct_{k}": v for k, v in distinct.items()})
            out.update({f"repeated_{k}": v for k, v in repeated.items()})
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return out


def wait_ready(
    base: str, workers: int, proc: subprocess.Popen[bytes] | None, log: Path | None, timeout: float
) -> float:
    """Seconds until `workers` distinct workers answered /readyz with 200; exits loudly otherwise.

    Each worker loads the index on its own, so one ready answer says nothing about the others; a
    fresh connection per poll lets the kernel hand it to any worker.
    """
    t0 = time.perf_counter()
    ready: set[int] = set()
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            break
        try:
            r = httpx.get(base + "/readyz", timeout=5)
            if r.status_code == 200:
                ready.add(int(r.json()["worker"]))
                if len(ready) >= workers:
                    return time.perf_counter() - t0
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    exited = proc is not None and proc.poll() is not None
    state = f"exited with {proc.returncode}" if proc is not None and exited else f"not ready after {timeout:.0f} s"
    raise SystemExit(f"server {state}: {len(ready)} of {workers} workers ready. Its log:\n{tail}")


def build_times(cold: bool) -> dict[str, Any]:
    """Wall time and stage timings of `qa-service index build` in a fresh folder: cold, fresh clone, warm."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        runs: list[tuple[str, str, str | None]] = [("cold", "cache", "none")] if cold else []
        runs += [("fresh_clone", "empty-cache", None), ("warm", "cache", None)]
        for name, cache, vectors in runs:
            env = {**os.environ, "QA_INDEX_DIR": f"{tmp}/{name}", "QA_CACHE_DIR": f"{tmp}/{cache}"}
            if vectors is not None:  # a folder that does not exist: no shipped vectors
                env["QA_VECTORS_DIR"] = f"{tmp}/{vectors}"
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "qa_service", "index", "build"], env=env, check=True, stdout=subprocess.DEVNULL
            )
            wall = round(time.perf_counter() - t0, 1)
            index_dir = Path(env["QA_INDEX_DIR"])
            m = json.loads(
                (index_dir / "versions" / (index_dir / "CURRENT").read_text().strip() / "manifest.json").read_text()
            )
            out[f"build_{name}"] = {"wall_s": wall, "stages_s": m["timings"], "vectors": m["vector_sources"]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "tests" / "data" / "dev.jsonl")
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--http", action="store_true", help="also measure over HTTP against a local server")
    ap.add_argument("--workers", type=int, default=1, help="server workers for the HTTP measurements")
    ap.add_argument("--concurrency", type=int, default=8, help="parallel clients for the throughput run")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the throughput run")
    ap.add_argument("--ready-timeout", type=float, default=120.0, help="seconds to wait for every worker")
    ap.add_argument("--builds", action="store_true", help="also time index builds (cold, fresh clone, warm)")
    ap.add_argument("--no-cold", action="store_true", help="with --builds: skip the cold build (minutes of CPU)")
    args = ap.parse_args(argv)
    queries = [json.loads(x)["query"] for x in args.gold.read_text(encoding="utf-8").splitlines() if x.strip()]
    svc = open_service(Settings())
    svc.search("warm-up", top_k=args.top_k)
    took, cached, enc = [], [], []
    for _ in range(args.repeat):
        for q in queries:
            # The query's encoding alone, then a search that encodes it again, back to back: both
            # see the same state of the machine (the encoder's threads warm or not), so their
            # ratio is what search adds to encoding.
            t0 = time.perf_counter()
            svc.encoder.encode_queries([q])
            enc.append((time.perf_counter() - t0) * 1000)
            svc._qcache.clear()  # every search encodes its query: the cost of a new question
            t0 = time.perf_counter()
            svc.search(q, top_k=args.top_k)
            took.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            svc.search(q, top_k=args.top_k)  # the same question again: its vector is cached
            cached.append((time.perf_counter() - t0) * 1000)
    out = {
        "n": len(took),
        "top_k": args.top_k,
        "inprocess_p50_ms": pct(took, 0.5),
        "inprocess_p95_ms": pct(took, 0.95),
        "encode_query_p50_ms": pct(enc, 0.5),
        "search_encode_ratio": round(pct(took, 0.5) / pct(enc, 0.5), 2),
        "inprocess_cached_p50_ms": pct(cached, 0.5),
    }
    if args.http:
        out.update(http_figures(args, queries))
    if args.builds:
        out.update(build_times(cold=not args.no_cold))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
