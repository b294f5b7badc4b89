"""Smoke tests of the scripts."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import evaluate
from tests.conftest import DEV_GOLD, PACKAGE_ROOT


def test_evaluate_writes_a_run_file(hashing_index: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QA_ENCODER", "hashing")
    run = tmp_path / "run.jsonl"
    rc = evaluate.main(
        [
            "--gold",
            str(DEV_GOLD),
            "--index-dir",
            str(hashing_index),
            "--run-out",
            str(run),
            "--score-script",
            str(PACKAGE_ROOT / "scripts" / "score.py"),
            "--json",
            "--mode",
            "keyword",
        ]
    )
    assert rc == 0
    s = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert s["n"] == 30 and 0.0 <= s["recall@5"] <= 1.0
    assert all("results" in json.loads(line) for line in run.read_text().splitlines())


def test_calibrate_asks_fits_and_reports(real_index: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from scripts import calibrate_asks

    monkeypatch.setenv("QA_INDEX_DIR", str(real_index))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    gold = str(PACKAGE_ROOT / "eval" / "asks_labelled_own.jsonl")
    assert calibrate_asks.main(["--gold", gold, "--addressed-min", "0.5", "--absent-min", "0.3"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    fitted = [x for x in lines if x.get("set", "").startswith("fit ")]
    assert fitted and 0.0 <= fitted[0]["label_accuracy"] <= 1.0 and fitted[0]["n"] == 33
