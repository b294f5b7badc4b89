#!/usr/bin/env python3
"""Score /v1/ask answers against a gold question set: are the answers shown right, and how often?

Usage:
    python score_answers.py --gold dev.jsonl --run answers.jsonl [--json]

gold: the format of score.py; items of kind `question` and `lookup` are scored (claims are not
      questions). An item may carry `answer_keys` (strings) and `answer_keys_min` (default 1):
      then the answer is right when at least that many keys occur in the answer's text or
      citation (case-insensitive), the way a lookup ("Wie ondertekende ...?") is judged.
      Otherwise the answer is right when its text hits an evidence quote (score.py's rule:
      half of the quote's word 5-grams).
run:  one JSON object a line, the /v1/ask response with the gold id added:
      {"id", "answer": {"text", "citation", ...} | null, "candidates": [{"text"}, ...],
       "supporting": [{"text"}, ...]}. Missing lists count as empty.

Reported:
- precision: right answers / answers shown (answer not null)
- coverage:  answers shown / questions
- reach:     questions whose gold is in the answer, in the first 3 candidates or in the first 3
             supporting passages / questions (what a reader finds at a glance)
- the same per kind and language. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

from score import hits


def right(item: dict, answer: dict | None) -> bool:
    if not answer:
        return False
    keys = item.get("answer_keys")
    if keys:
        blob = f"{answer.get('text') or ''} {answer.get('citation') or ''}".lower()
        return sum(k.lower() in blob for k in keys) >= int(item.get("answer_keys_min", 1))
    return any(hits(answer.get("text") or "", ev["quote"]) for ev in item["evidence"])


def reached(item: dict, row: dict) -> bool:
    if right(item, row.get("answer")):
        return True
    near = (row.get("candidates") or [])[:3] + (row.get("supporting") or [])[:3]
    return any(hits(n.get("text") or "", ev["quote"]) for n in near for ev in item["evidence"])


def score(gold: list[dict], run: dict[str, dict]) -> dict:
    items = [g for g in gold if g.get("kind") in ("question", "lookup")]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, answered, right, reached
    for item in items:
        row = run.get(item["id"], {})
        flags = (1, row.get("answer") is not None, right(item, row.get("answer")), reached(item, row))
        for key in ("all", f"kind={item.get('kind')}", f"lang={item.get('lang')}"):
            for i, f in enumerate(flags):
                tally[key][i] += int(f)

    def figures(t: list[int]) -> dict:
        n, answered, ok, reach = t
        return {
            "n": n,
            "answered": answered,
            "right": ok,
            "precision": round(ok / answered, 4) if answered else 0.0,
            "coverage": round(answered / n, 4) if n else 0.0,
            "reach": round(reach / n, 4) if n else 0.0,
        }

    out = figures(tally.pop("all", [0, 0, 0, 0]))
    out["by"] = {k: figures(v) for k, v in sorted(tally.items())}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    gold = [json.loads(line) for line in open(args.gold, encoding="utf-8") if line.strip()]
    run = {}
    for line in open(args.run, encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            run[row["id"]] = row
    s = score(gold, run)
    if args.json:
        print(json.dumps(s))
        return 0
    print(
        f"questions {s['n']}: precision {s['precision']:.3f} ({s['right']}/{s['answered']}), "
        f"coverage {s['coverage']:.3f}, reach {s['reach']:.3f}"
    )
    for k, v in s["by"].items():
        print(
            f"  {k:16s} n={v['n']:3d} precision {v['precision']:.3f} coverage {v['coverage']:.3f} reach {v['reach']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
