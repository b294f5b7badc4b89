"""Score ask tracing as the judge does: every ask `qa-service asks --json` prints, scored by score_asks.py.

    python scripts/evaluate_asks.py --gold ../shared/eval/asks-dev.jsonl \
        --complete ../shared/eval/asks-complete-dev.jsonl [--run-out asks.jsonl] [--json]

The run is the CLI's JSON (one ask a line: text, status, confidence, document with source_file and
line_start, agreement passages best first), computed from the configured index (QA_INDEX_DIR or
QA_DATABASE_URL). Reported by the shared scorer (a copy: scripts/score_asks.py): recall of the
gold asks, precision over fully annotated letters, agreement R@3, label accuracy and macro-F1,
the precision of "addressed" and "absent", and how long the asks took to build.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from qa_service.asks.view import ask_view
from qa_service.config import Settings
from qa_service.service import ask_shelf, open_service

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import score_asks  # noqa: E402  (the shared scorer, copied next to this script)


def load(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def list_latency(settings: Settings, organisations: list[str], rounds: int = 5) -> dict[str, float]:
    """p50/p95 of `GET /v1/asks?sender=<organisation>` (first page of 50) in process, asks traced."""
    import statistics

    from fastapi.testclient import TestClient

    from qa_service.api.app import create_app

    times: list[float] = []
    with TestClient(create_app(settings)) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.05)
        client.get("/v1/asks", params={"limit": 1})  # waits for the asks of the version served
        for _ in range(rounds):
            for org in [o[:200] for o in organisations]:
                t = time.perf_counter()
                r = client.get("/v1/asks", params={"sender": org})
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
    times.sort()
    return {
        "p50": round(statistics.median(times), 1),
        "p95": round(times[int(0.95 * (len(times) - 1))], 1),
        "requests": len(times),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", required=True, help="labelled asks (asks-dev format)")
    ap.add_argument("--complete", help="letters whose asks are all listed (for precision)")
    ap.add_argument("--run-out", type=Path, help="write the asks here (the CLI's --json lines)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--latency", action="store_true", help="also time GET /v1/asks?sender=<org> through the app")
    args = ap.parse_args(argv)
    settings = Settings()
    svc = open_service(settings)
    t0 = time.perf_counter()
    book = ask_shelf(settings, svc.encoder).book(svc.store)
    seconds = time.perf_counter() - t0
    run = [ask_view(a, book) for a in book.asks]
    if args.run_out:
        with open(args.run_out, "w", encoding="utf-8") as fh:
            for row in run:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    scores = score_asks.score(load(args.gold), run, load(args.complete) if args.complete else None)
    scores["build_seconds"] = round(seconds, 2)
    scores["stages"] = book.seconds
    if args.latency:
        scores["latency_ms"] = list_latency(settings, book.organisations())
    if args.json:
        print(json.dumps(scores, indent=1))
        return 0
    for key in (
        "found_asks",
        "recall",
        "precision",
        "precision_judged",
        "agreement_r@3",
        "label_accuracy",
        "label_macro_f1",
        "addressed_precision",
        "absent_precision",
        "by_label_recall",
        "confusion",
        "build_seconds",
        "stages",
        "latency_ms",
    ):
        if key not in scores:
            continue
        print(f"{key}: {scores[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
