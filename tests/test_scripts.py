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
