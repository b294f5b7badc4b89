"""Score /v1/ask and /v1/factcheck behaviour on gold items, with the shared scorers.

    python scripts/evaluate_answers.py --gold eval/answers_test.jsonl [--run-out answers.jsonl] [--json]
    python scripts/evaluate_answers.py --gold eval/own_letters.jsonl --add tests/data/own_letters/*.txt

`--add` uploads letters first, as a user would (`qa-service ingest`), into a copy of the index
in a temporary folder: the answers on documents the calibration never saw.

Questions and lookups: /v1/ask responses (exactly as the API serialises them) scored by
score_answers.py: precision (answers shown that are right), coverage (questions answered) and
reach (gold in the answer, the first 3 candidates or the first 3 supporting passages), per kind
and language. Items with no evidence are off-topic: they must get no answer. Claims (true and
false): is the gold evidence sentence among factcheck's top 3? The built-in off-topic questions:
is the answer null, and is there no factcheck evidence?
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from qa_service.answer import Answerer
from qa_service.config import Settings
from qa_service.serialize import ask_dict
from qa_service.service import open_answerer

HERE = Path(__file__).resolve().parent
OFF_TOPIC = [
    "Wat is de hoofdstad van Peru?",
    "Hoe bak ik een appeltaart?",
    "Who won the football world cup in 2010?",
    "Hoeveel manen heeft Jupiter?",
    "What is the boiling point of water on Mount Everest?",
    "Welke kleur heeft een flamingo?",
    "Hoe lang moet een ei koken?",
    "Wie schreef De Avonden?",
    "What is the speed of light?",
    "Hoe hoog is de Eiffeltoren?",
    "Which planet is closest to the sun?",
    "Wat is de beste manier om tomaten te kweken?",
    "Hoeveel spelers heeft een volleybalteam?",
    "When did the Roman Empire fall?",
    "Wat eet een panda?",
    "How do I reset my iPhone?",
    "Wie is de burgemeester van Parijs?",
    "Welke taal spreekt men in Brazilië?",
    "Hoe werkt een kernfusiereactor van de zon?",
    "What is the population of Tokyo?",
    "Wanneer is Beethoven geboren?",
    "Hoe vaak moet ik mijn cactus water geven?",
    "What is the recipe for pancakes?",
    "Welke dinosaurus was het grootst?",
]

# Statements the corpus says nothing about: factcheck must find no evidence for them.
OFF_TOPIC_CLAIMS = [
    "De maan is van kaas",
    "Ajax wint de Champions League",
    "The moon is made of cheese",
    "Pinguïns kunnen vliegen",
    "Amsterdam is de hoofdstad van Frankrijk",
    "Koffie groeit aan bomen in Groenland",
    "The Eiffel tower is in Berlin",
    "Katten hebben zes poten",
    "Tomaten zijn blauw",
    "Elon Musk is de nieuwe premier",
    "Bitcoin wordt het wettig betaalmiddel",
    "Het WK voetbal wordt in 2030 in Nederland gehouden",
]


def scorer(name: str = "score") -> Any:
    sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def evaluate(ans: Answerer, gold: list[dict[str, Any]], top_k: int, run_out: Path | None = None) -> dict[str, Any]:
    sc = scorer()
    claims = found = 0
    as_claims = as_claims_found = 0  # a question's gold answer, checked as a claim
    misses = []
    run: dict[str, dict[str, Any]] = {}
    off_gold = 0
    off_answered = []
    for item in gold:
        quotes = [e["quote"] for e in item["evidence"]]
        if item["kind"] in ("question", "lookup"):
            row = {"id": item["id"], **ask_dict(ans.ask(item["query"], top_k=top_k))}
            if not quotes:  # off-topic: nothing must be answered
                off_gold += 1
                if row["answer"] is not None:
                    off_answered.append(item["id"])
                continue
            run[item["id"]] = row
            if item.get("answer") and item["kind"] == "question":
                as_claims += 1
                f = ans.factcheck(item["answer"], top_k=top_k)
                as_claims_found += any(sc.hits(e.text, q) for e in f.evidence[:3] for q in quotes)
        else:
            claims += 1
            f = ans.factcheck(item["query"], top_k=top_k)
            ok = any(sc.hits(e.text, q) for e in f.evidence[:3] for q in quotes)
            found += ok
            if not ok:
                misses.append(item["id"])
    off = [ans.ask(q).answer is None for q in OFF_TOPIC]
    off_fc = [ans.factcheck(q).status == "no_evidence" for q in OFF_TOPIC + OFF_TOPIC_CLAIMS]
    sa = scorer("score_answers")
    scored = sa.score([g for g in gold if g["evidence"]], run)
    for item in gold:
        row = run.get(item["id"])
        if row is not None and row["answer"] is not None and not sa.right(item, row["answer"]):
            misses.append(item["id"])
    if run_out is not None:
        run_out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in run.values()), encoding="utf-8")
    return {
        "answers": {k: scored[k] for k in ("n", "answered", "right", "precision", "coverage", "reach")},
        "by": scored["by"],
        "off_topic_in_gold_answered": f"{len(off_answered)}/{off_gold}",
        "claims": claims,
        "evidence_in_top3": round(found / max(1, claims), 3),
        "answers_as_claims": as_claims,
        "answers_as_claims_evidence_in_top3": round(as_claims_found / max(1, as_claims), 3),
        "off_topic_no_answer": round(sum(off) / len(off), 3),
        "off_topic_no_evidence": round(sum(off_fc) / len(off_fc), 3),
        "misses": misses,
    }


def uploaded(settings: Settings, files: list[Path], tmp: Path) -> Settings:
    """Settings of a copy of the index (folder store) with `files` added through the write path."""
    from qa_service.encoders import make_encoder
    from qa_service.ingest import extract_text
    from qa_service.service import apply_changes

    if settings.database_url is not None:
        raise SystemExit("--add copies the index folder; unset QA_DATABASE_URL")
    shutil.copytree(settings.index_dir, tmp / "index")
    copy = settings.model_copy(update={"index_dir": tmp / "index"})
    enc = make_encoder(copy.encoder, copy.encoder_threads)
    for f in files:
        apply_changes(copy, enc, add_text=(f.name, extract_text(f.name, f.read_bytes()), {}))
    return copy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--top-k", type=int, default=5)
    ap.add_argument("--index-dir", type=Path)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--run-out", type=Path, help="write the /v1/ask responses here (score_answers.py's run format)")
    ap.add_argument("--add", type=Path, nargs="+", default=[], help="letters to upload first (into a temporary copy)")
    args = ap.parse_args(argv)
    settings = Settings(**({"index_dir": args.index_dir} if args.index_dir else {}))
    gold = [json.loads(x) for x in args.gold.read_text(encoding="utf-8").splitlines() if x.strip()]
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        if args.add:
            settings = uploaded(settings, args.add, Path(tmp))
        out = evaluate(open_answerer(settings), gold, args.top_k, args.run_out)
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
