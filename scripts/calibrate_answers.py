"""Fit the answer-confidence model (qa_service/confidence.py) on tuning questions, and show its curve.

    python scripts/calibrate_answers.py --gold tests/data/dev.jsonl eval/extra.jsonl eval/english.jsonl \
        eval/answers_tune.jsonl [--check eval/answers_test.jsonl]

For every question (not lookups answered from metadata, not claims) the best sentence is taken as
`/v1/ask` would take it, with no threshold; its features and whether it hits the gold evidence
(score.py's rule) train an L2-regularised logistic regression. Prints the weights to paste into
confidence.py and precision/coverage at a few thresholds, on the training items and, with
`--check`, on items it did not see.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.answer import Answerer
from qa_service.confidence import Features
from qa_service.config import Settings
from qa_service.service import open_service

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_answers import OFF_TOPIC  # noqa: E402
from score import hits  # noqa: E402


def rows(ans: Answerer, gold: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of the best sentence per question; off-topic items (no evidence) are
    negatives whatever sentence is chosen."""
    xs, ys = [], []
    for item in gold:
        if item["kind"] not in ("question", "lookup"):
            continue
        a = ans.ask(item["query"])
        best = a.answer or (a.candidates[0] if a.candidates else None)
        if best is None or best.features is None:
            continue
        xs.append(best.features.vector())
        ys.append(any(hits(best.text, e["quote"]) for e in item["evidence"]))
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, np.ndarray, float]:
    """Newton's method on the centred, scaled features; returns (means, weights, bias) in raw units."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    zb = np.hstack([z, np.ones((len(z), 1))])
    w = np.zeros(zb.shape[1])
    reg = np.diag([l2] * z.shape[1] + [0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-zb @ w))
        grad = zb.T @ (p - y) + reg @ w
        hess = zb.T @ (zb * (p * (1 - p))[:, None]) + reg + 1e-9 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return mean, w[:-1] / scale, float(w[-1])


def curve(conf: np.ndarray, y: np.ndarray) -> str:
    out = []
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        shown = conf >= t
        prec = y[shown].mean() if shown.any() else 0.0
        out.append(f"t={t:.1f}: shown {int(shown.sum())}/{len(y)} precision {prec:.2f}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, nargs="+", required=True)
    ap.add_argument("--check", type=Path, nargs="*", default=[])
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--drop", default="", help="comma-separated features to leave out (weight 0)")
    ap.add_argument(
        "--off-topic", action="store_true", help="add evaluate_answers.py's off-topic questions as negatives"
    )
    args = ap.parse_args(argv)
    load = lambda ps: [json.loads(x) for p in ps for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]  # noqa: E731
    ans = Answerer(open_service(Settings()), min_similarity=-1.0, answer_threshold=0.0, fact_threshold=2.0)
    off_topic = [{"kind": "question", "query": q, "evidence": []} for q in OFF_TOPIC]
    x, y = rows(ans, load(args.gold) + (off_topic if args.off_topic else []))
    names = list(Features.__dataclass_fields__)
    keep = [i for i, n in enumerate(names) if n not in set(args.drop.split(","))]
    mean_k, w_k, b = fit(x[:, keep], y, args.l2)
    mean, w = x.mean(axis=0), np.zeros(len(names))
    mean[keep], w[keep] = mean_k, w_k
    print(f"{len(y)} training answers, {int(y.sum())} right")
    print("MEANS =", tuple(round(float(m), 3) for m in mean))
    print("WEIGHTS =", tuple(round(float(v), 3) for v in w))
    print("BIAS =", round(b, 3))
    print("  " + ", ".join(f"{n}={v:+.2f}" for n, v in zip(names, w, strict=True)))
    conf = 1 / (1 + np.exp(-((x - mean) @ w + b)))
    print("training:\n" + curve(conf, y))
    if args.check:
        xc, yc = rows(ans, load(args.check))
        cc = 1 / (1 + np.exp(-((xc - mean) @ w + b)))
        print(f"check ({len(yc)} answers, {int(yc.sum())} right):\n" + curve(cc, yc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
