"""The bundled multilingual E5 model on the real corpus: the product, not the plumbing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEV_GOLD, PACKAGE_ROOT

pytestmark = pytest.mark.real_model


def test_nvz_question_finds_the_nvz_letter(real_service) -> None:  # type: ignore[no-untyped-def]
    res = real_service.search("Wat vraagt de NVZ van het nieuwe kabinet?", top_k=3)
    top = res.hits[0].document
    assert top.sender == "NVZ" and top.date == "2025-11-26"


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("Vanaf welke leeftijd mag je sekswerk doen volgens het coalitieakkoord?", "van 18 naar 21"),
        ("Sinds wanneer bestaat het korps Nationale Politie?", "1 januari 2013"),
        ("What does the coalition agreement say about nitrogen reduction?", "stikstof"),
    ],
)
def test_known_questions(real_service, query: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    res = real_service.search(query, top_k=5)
    assert any(needle in h.passage.text for h in res.hits), [h.passage.text[:80] for h in res.hits]


def test_off_topic_question_gets_nothing(real_service) -> None:  # type: ignore[no-untyped-def]
    res = real_service.search("Wat is de hoofdstad van Peru?", top_k=5)
    assert res.hits == [] and res.reason


def test_dev_set_quality_floor(real_index: Path, tmp_path: Path) -> None:
    """A floor, not a target: the README reports the measured figures."""
    run = tmp_path / "run.jsonl"
    out = subprocess.run(
        [
            sys.executable,
            str(PACKAGE_ROOT / "scripts" / "evaluate.py"),
            "--gold",
            str(DEV_GOLD),
            "--index-dir",
            str(real_index),
            "--run-out",
            str(run),
            "--score-script",
            str(PACKAGE_ROOT / "scripts" / "score.py"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "QA_CACHE_DIR": str(tmp_path)},
    )
    s = json.loads(out.stdout.strip().splitlines()[-1])
    assert s["recall@5"] >= 0.80 and s["mrr@10"] >= 0.60
    assert len(run.read_text().splitlines()) == 30


def test_near_duplicates_of_other_documents_are_folded_into_the_better_hit(real_service) -> None:  # type: ignore[no-untyped-def]
    svc = real_service
    # The Kieswet letter is in the bundle twice: as the letter and as the copy enclosed with it.
    q = "Met deze brief wend ik mij tot U om mijn zorg uit te spreken over de huidige werking van de Tweede Kamer"
    res = svc.search(q, top_k=10, min_score=-1)
    folded = [h for h in res.hits if h.duplicates]
    assert folded, "the repeated letter text is shown once"
    shown = {h.row for h in res.hits}
    for h in folded:
        for p, d in h.duplicates:
            assert d.id != h.document.id and p.id not in {x.passage.id for x in res.hits}
    # No two hits of different documents say the same thing.
    for a in res.hits:
        for b in res.hits:
            if a.row < b.row and a.document.id != b.document.id:
                assert svc._duplicate_of(b.row, [a]) is None
    assert len(res.hits) == 10 and len(shown) == 10


def test_an_uploaded_letter_answers_what_it_asks_for_right_or_not_at_all(real_index: Path, tmp_path: Path) -> None:
    """Confidence holds on letters the calibration never saw: "Welk bedrag vraagt X?" of an
    uploaded letter is answered with its sum of money, or not at all (never with the letter's
    opening sentence about the organisation, as before)."""
    import shutil

    from qa_service.encoders import make_encoder
    from qa_service.service import apply_changes, open_answerer
    from tests.conftest import make_settings

    s = make_settings(tmp_path / "index", "e5")
    shutil.copytree(real_index, s.index_dir)
    own = PACKAGE_ROOT / "tests" / "data" / "own_letters"
    enc = make_encoder("e5")
    names = ["01_waddenvogelwacht.txt", "09_zoetwater_zeeland_noord.txt", "12_digitaal_buurtloket.txt"]
    for name in names:
        apply_changes(s, enc, add_text=(name, (own / name).read_text(encoding="utf-8"), {}))
    gold = [json.loads(x) for x in (PACKAGE_ROOT / "eval" / "own_letters.jsonl").read_text("utf-8").splitlines()]
    items = [g for g in gold if g["query"].startswith("Welk bedrag") and g["evidence"][0]["file"] in names]
    assert len(items) == 3
    ans = open_answerer(s, enc)
    for g in items:
        a = ans.ask(g["query"])
        if a.answer is not None:
            assert any(k in a.answer.text for k in g["answer_keys"]), (g["query"], a.answer.text)
        else:  # not answered: the sum is before the reader, in a candidate or a supporting passage
            shown = [c.text for c in a.candidates] + [h.passage.text for h in a.supporting[:3]]
            assert any(k in t for t in shown for k in g["answer_keys"]), g["query"]
