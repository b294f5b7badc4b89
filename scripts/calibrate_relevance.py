"""Fit the relevance model (qa_service/retrieval/relevance.py) and print both error rates.

    python scripts/calibrate_relevance.py [--write]

Fits on `eval/ontopic.jsonl` (real questions: covered) + `eval/offtopic.jsonl` (not covered), an
L2-regularised logistic regression over `relevance.Signals`, as scripts/calibrate_answers.py does.
Then it checks, on sets it never fits on (`eval/answers_tune.jsonl`, `eval/answers_test.jsonl`,
`eval/extra.jsonl`, `eval/english.jsonl`, `tests/data/dev.jsonl`, whose `"note": "off-topic"`
items are not covered, and evaluate_answers.py's off-topic questions and claims), the two errors:
off-topic queries that still get results, and real queries wrongly refused; with the plain 0.80
cosine floor for comparison. `--write` puts the weights into relevance.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.config import Settings
from qa_service.retrieval import relevance
from qa_service.retrieval.relevance import Signals
from qa_service.retrieval.types import Filters
from qa_service.search import SearchService, _scope
from qa_service.service import open_service

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate_answers import fit  # noqa: E402
from evaluate_answers import OFF_TOPIC, OFF_TOPIC_CLAIMS  # noqa: E402

FIT = ["eval/ontopic.jsonl", "eval/offtopic.jsonl"]
CHECK = [
    "eval/answers_tune.jsonl",
    "eval/answers_test.jsonl",
    "eval/extra.jsonl",
    "eval/english.jsonl",
    "tests/data/dev.jsonl",
]


def load(path: str) -> list[dict[str, Any]]:
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def covered(item: dict[str, Any]) -> bool:
    return not str(item.get("note", "")).startswith("off-topic") and bool(item.get("evidence"))


def table(svc: SearchService, items: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Signals, labels, queries, and whether BM25 evidence alone accepts each (`named_in_documents`)."""
    xs = [svc.relevance_signals(it["query"]).vector() for it in items]
    named = [svc._named(it["query"], _scope(it["query"], Filters())) for it in items]
    return (
        np.array(xs, dtype=np.float64),
        np.array([covered(it) for it in items], dtype=np.float64),
        [it["query"] for it in items],
        np.array(named, dtype=bool),
    )


def errors(p: np.ndarray, y: np.ndarray, t: float, named: np.ndarray) -> tuple[int, int, int, int]:
    """(off-topic let through, off-topic count, real refused, real count)."""
    keep = (p >= t) | named
    return int((keep & (y == 0)).sum()), int((y == 0).sum()), int((~keep & (y == 1)).sum()), int((y == 1).sum())


def line(name: str, p: np.ndarray, y: np.ndarray, t: float, named: np.ndarray) -> str:
    a, n0, b, n1 = errors(p, y, t, named)
    return (
        f"{name:<28} off-topic let through {a}/{n0} ({a / max(1, n0):.1%}), "
        f"real refused {b}/{n1} ({b / max(1, n1):.1%})"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--threshold", type=float, default=relevance.THRESHOLD)
    ap.add_argument("--drop", default="", help="comma-separated signals to leave out (weight 0)")
    ap.add_argument("--write", action="store_true", help="write the weights into qa_service/retrieval/relevance.py")
    ap.add_argument("--verbose", action="store_true", help="list every misjudged query")
    args = ap.parse_args(argv)
    svc = open_service(Settings())
    fit_items = [it for p in FIT for it in load(p)]
    x, y, qs, nf = table(svc, fit_items)
    names = list(Signals.__dataclass_fields__)
    keep = [i for i, n in enumerate(names) if n not in set(args.drop.split(","))]
    mean_k, w_k, b = fit(x[:, keep], y, args.l2)
    mean, w = x.mean(axis=0), np.zeros(len(names))
    mean[keep], w[keep] = mean_k, w_k

    def prob(xx: np.ndarray) -> np.ndarray:
        out: np.ndarray = 1 / (1 + np.exp(-((xx - mean) @ w + b)))
        return out

    print(f"fitted on {len(y)} queries ({int(y.sum())} real, {int((y == 0).sum())} off-topic)")
    print("MEANS =", tuple(round(float(m), 4) for m in mean))
    print("WEIGHTS =", tuple(round(float(v), 3) for v in w))
    print("BIAS =", round(b, 3))
    print("  " + ", ".join(f"{n}={v:+.2f}" for n, v in zip(names, w, strict=True)))
    t = args.threshold
    print(f"\nthreshold {t} (model) against the plain cosine floor 0.80 (top passage cosine >= 0.80):")
    none = np.zeros(len(y), dtype=bool)
    print(line("fit sets (model)", prob(x), y, t, nf))
    print(line("fit sets (cosine 0.80)", x[:, 0], y, 0.80, none))
    check_items = [it for p in CHECK for it in load(p)]
    extra = [{"query": q, "evidence": [], "note": "off-topic"} for q in OFF_TOPIC + OFF_TOPIC_CLAIMS]
    xc, yc, qc, nc = table(svc, check_items + extra)
    nonec = np.zeros(len(yc), dtype=bool)
    print(line("check sets (model)", prob(xc), yc, t, nc))
    print(line("check sets (cosine 0.80)", xc[:, 0], yc, 0.80, nonec))
    xa, ya, na = np.vstack([x, xc]), np.concatenate([y, yc]), np.concatenate([nf, nc])
    print(line("all sets (model)", prob(xa), ya, t, na))
    print(line("all sets (cosine 0.80)", xa[:, 0], ya, 0.80, np.concatenate([none, nonec])))
    print("\nthreshold sweep on the check sets:")
    for tt in (0.2, 0.3, 0.35, 0.4, 0.5, 0.6):
        print(line(f"  t={tt:.2f}", prob(xc), yc, tt, nc))
    if args.verbose:
        for name, xx, yy, qq, nn in (("fit", x, y, qs, nf), ("check", xc, yc, qc, nc)):
            pp = prob(xx)
            for q, pi, yi, ni in zip(qq, pp, yy, nn, strict=True):
                if (pi >= t or ni) != bool(yi):
                    print(f"{name} {'LET THROUGH' if yi == 0 else 'REFUSED'} p={pi:.2f} {q}")
    if args.write:
        path = ROOT / "qa_service" / "retrieval" / "relevance.py"
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^MEANS = .*$", f"MEANS = {tuple(round(float(m), 4) for m in mean)}", text)
        text = re.sub(r"(?m)^WEIGHTS = .*$", f"WEIGHTS = {tuple(round(float(v), 3) for v in w)}", text)
        text = re.sub(r"(?m)^BIAS = .*$", f"BIAS = {round(b, 3)}", text)
        path.write_text(text, encoding="utf-8")
        print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
