"""The `qa-service` CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qa_service.cli import cli


def run(hashing_index: Path, *args: str) -> str:
    r = CliRunner().invoke(
        cli, ["--index-dir", str(hashing_index), "--encoder", "hashing", *args], catch_exceptions=False
    )
    assert r.exit_code == 0, r.output
    return r.output


def test_documents_json(hashing_index: Path) -> None:
    rows = [json.loads(line) for line in run(hashing_index, "documents", "--json").splitlines()]
    need = {"id", "kind", "sender", "date", "registration_number", "subject", "source_file", "line_start", "line_end"}
    assert rows and all(need <= set(r) for r in rows)
    nvz = next(r for r in rows if r["registration_number"] == "202500736" and r["kind"] == "letter")
    assert nvz["sender"] == "NVZ" and nvz["date"] == "2025-11-26" and nvz["line_start"] == 5


def test_search_text_and_json(hashing_index: Path) -> None:
    out = run(hashing_index, "search", "minimumleeftijd sekswerk", "-k", "2")
    assert "1. [" in out and "bron:" in out
    data = json.loads(run(hashing_index, "search", "minimumleeftijd sekswerk", "-k", "2", "--json"))
    assert data["query"] == "minimumleeftijd sekswerk" and "results" in data


def test_index_info(hashing_index: Path) -> None:
    assert json.loads(run(hashing_index, "index", "info"))["encoder"] == "hashing:256"


def test_index_build_and_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "brief.txt").write_text(
        "202500001\n\nGeachte heer,\n\nDit is een korte brief over woningbouw.\n\nMet vriendelijke groet,\n\nJan\n",
        encoding="utf-8",
    )
    r = CliRunner().invoke(
        cli,
        ["--index-dir", str(tmp_path / "idx"), "--corpus-dir", str(corpus), "--encoder", "hashing", "index", "build"],
    )
    assert r.exit_code == 0 and "1 documents" in r.output
    r = CliRunner().invoke(cli, ["--index-dir", str(tmp_path / "none"), "index", "info"])
    assert r.exit_code != 0 and "qa-service index build" in r.output
