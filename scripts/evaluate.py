"""Run gold questions through the service's search and score them with the shared scorer.

    python scripts/evaluate.py --gold ../shared/eval/dev.jsonl [--mode hybrid] [--top-k 10] \
        [--run-out run.jsonl] [--score-script ../shared/eval/score.py]

Writes the run file `score.py` reads ({"id", "results": [{"text"}]}) and prints Recall@k, MRR@10,
per-slice Recall@5 and the search latency.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from qa_service.config import Settings
from qa_service.service import open_service

HERE = Path(__file__).resolve().parent


def load_scorer(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("score", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(gold_path: Path, mode: str, top_k: int, settings: Settings) -> tuple[list[dict[str, Any]], list[float]]:
    svc = open_service(settings)
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows, took = [], []
    for item in gold:
        # Evaluation ranks without the relevance cut-off: recall is measured on the ranking.
        res = svc.search(item["query"], top_k=top_k, mode=mode, min_score=-1.0)  # type: ignore[arg-type]
        took.append(res.took_ms)
        rows.append(
            {
                "id": item["id"],
                "results": [{"text": h.passage.text, "passage_id": h.passage.id, "dense": h.dense} for h in res.hits],
            }
        )
    return rows, took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--mode", default="hybrid", choices=["hybrid", "semantic", "keyword"])
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--run-out", type=Path)
    ap.add_argument(
        "--score-script",
        type=Path,
        default=None,
        help="score.py (default: next to the gold file, else the copy in scripts/)",
    )
    ap.add_argument("--index-dir", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    settings = Settings(**({"index_dir": args.index_dir} if args.index_dir else {}))
    rows, took = run(args.gold, args.mode, args.top_k, settings)
    if args.run_out:
        args.run_out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    default_scorer = args.gold.parent / "score.py"
    scorer = load_scorer(args.score_script or (default_scorer if default_scorer.exists() else HERE / "score.py"))
    gold = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    s = scorer.score(gold, {r["id"]: r["results"] for r in rows})
    s["mode"] = args.mode
    s["latency_ms_p50"] = round(statistics.median(took), 2)
    if args.json:
        print(json.dumps(s))
    else:
        print(f"mode={args.mode} items={s['n']} p50={s['latency_ms_p50']} ms")
        print(" ".join(f"R@{k}={s[f'recall@{k}']:.3f}" for k in (1, 3, 5, 10)) + f" MRR@10={s['mrr@10']:.3f}")
        for k, v in s["recall@5_by"].items():
            print(f"  R@5 {k:22s} {v:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
