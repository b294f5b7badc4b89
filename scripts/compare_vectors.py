"""Do shipped float16 vectors, or fewer sentence vectors, move the retrieval and answer figures?

    QA_CACHE_DIR=/work/cache python scripts/compare_vectors.py [--variants exact,shipped,min8,nowhole]

Builds the bundled corpus into temporary index folders, one per variant, then runs
`scripts/evaluate.py` (hybrid) and `scripts/evaluate_answers.py` on the dev set, our extra items
and the English paraphrases, and prints one JSON line per variant and gold file:

    exact     vectors from the embedding cache (float32, what the encoder returned)
    shipped   vectors from data/vectors only (an empty cache): float16, as a fresh clone builds
    min8      exact, without sentence vectors for sentences under 8 words (5 is the default)
    nowhole   exact, without a sentence vector for a sentence that is its passage's whole text

A warm cache keeps it to a few minutes; a text the cache lacks is embedded (and cached).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.chunking import chunking_of
from qa_service.config import Settings
from qa_service.corpus import Document
from qa_service.encoders import make_encoder
from qa_service.store import prepare as prepare_mod
from qa_service.store.folder.build import build_index

ROOT = Path(__file__).resolve().parent.parent
GOLD = [ROOT / "tests" / "data" / "dev.jsonl", ROOT / "eval" / "extra.jsonl", ROOT / "eval" / "english.jsonl"]
_rows = prepare_mod.sentence_rows


def _without_whole(documents: dict[str, Document], passages: list[Any]) -> tuple[list[str], np.ndarray]:
    texts, table = _rows(documents, passages)
    keep = [i for i, (r, a, b) in enumerate(table.tolist()) if (a, b) != (passages[r].char_start, passages[r].char_end)]
    return [texts[i] for i in keep], table[keep].reshape(-1, 3)


def build(variant: str, index_dir: Path, empty_cache: Path) -> dict[str, Any]:
    s = Settings()
    enc = make_encoder(s.encoder, s.encoder_threads)
    min_words, rows = prepare_mod.MIN_SENTENCE_WORDS, prepare_mod.sentence_rows
    try:
        if variant == "min8":
            prepare_mod.MIN_SENTENCE_WORDS = 8
        if variant == "nowhole":
            prepare_mod.sentence_rows = _without_whole
        shipped = variant == "shipped"
        return build_index(
            s.corpus_dir,
            index_dir,
            enc,
            chunking_of(s),
            empty_cache if shipped else s.cache_dir,
            vectors_dir=s.vectors_dir if shipped else None,
        )
    finally:
        prepare_mod.MIN_SENTENCE_WORDS, prepare_mod.sentence_rows = min_words, rows


def evaluate(index_dir: Path, gold: Path, run: Path) -> dict[str, Any]:
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir)}
    out: dict[str, Any] = {}
    for script in ("evaluate.py", "evaluate_answers.py"):
        cmd = [sys.executable, str(ROOT / "scripts" / script), "--gold", str(gold), "--index-dir", str(index_dir)]
        if script == "evaluate.py":
            cmd += ["--run-out", str(run)]
        res = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True, check=True)
        out[script.removesuffix(".py")] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def _ranked(run: Path) -> list[list[str]]:
    return [[h["passage_id"] for h in json.loads(line)["results"]] for line in run.read_text().splitlines()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="exact,shipped,min8,nowhole")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-compare-") as tmp:
        for variant in args.variants.split(","):
            m = build(variant, Path(tmp) / variant, Path(tmp) / f"{variant}-cache")
            for gold in GOLD:
                run = Path(tmp) / f"{variant}-{gold.stem}.jsonl"
                figures = evaluate(Path(tmp) / variant, gold, run)
                r, a = figures["evaluate"], figures["evaluate_answers"]
                row = {"variant": variant, "gold": gold.name, "sentences": m["counts"]["sentences"]}
                first = Path(tmp) / f"{args.variants.split(',')[0]}-{gold.stem}.jsonl"
                # Queries whose top-10 passage ids (in order) differ from the first variant's.
                row["rankings_changed"] = sum(x != y for x, y in zip(_ranked(first), _ranked(run), strict=True))
                row.update({k: r[k] for k in ("recall@1", "recall@5", "recall@10", "mrr@10")})
                row["answers"] = {k: v for k, v in a.items() if k not in ("questions", "claims")}
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
