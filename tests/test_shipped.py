"""Vectors shipped with the bundled corpus: used before encoding, by their own encoder only."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from qa_service.chunking import ChunkingSettings, chunking_of
from qa_service.config import Settings
from qa_service.encoders import EmbeddingCache, HashingEncoder, make_encoder
from qa_service.store.folder.build import build_index
from qa_service.store.folder.changes import apply_changes
from qa_service.store.folder.index import load_index
from qa_service.store.folder.vectors import FaissVectorStore
from qa_service.store.prepare import cached_counter
from qa_service.store.shipped import ShippedVectors, file_for, write_shipped
from scripts import ship_vectors
from tests.conftest import CORPUS, PACKAGE_ROOT

SHIPPED = PACKAGE_ROOT / "data" / "vectors"


class Counting(HashingEncoder):
    """The fake encoder, counting the texts it is asked to embed."""

    def __init__(self, dim: int = 256) -> None:
        super().__init__(dim)
        self.embedded = 0

    def encode_passages(self, texts):  # type: ignore[no-untyped-def]
        self.embedded += len(texts)
        return super().encode_passages(texts)


def _ship(folder: Path, monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """Run the regeneration script for the hashing encoder into `folder`; returns its report."""
    monkeypatch.setenv("QA_ENCODER", "hashing")
    monkeypatch.setenv("QA_CACHE_DIR", str(cache))
    monkeypatch.setenv("QA_CORPUS_DIR", str(CORPUS))
    assert ship_vectors.main(["--out", str(folder)]) == 0


def test_round_trip_keeps_float16_precision(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    keys = [EmbeddingCache.key("enc:1", f"text {i}") for i in range(50)]
    write_shipped(file_for(tmp_path, "enc:1"), "enc:1", keys, v)
    shipped = ShippedVectors.open(tmp_path, "enc:1")
    assert shipped is not None and len(shipped) == 50
    got = shipped.lookup([*keys[:3], EmbeddingCache.key("enc:1", "unknown")])
    assert list(got) == keys[:3]
    assert min(float(got[k] @ v[i]) for i, k in enumerate(keys[:3])) > 0.99999
    # Keys are the cache's: the same text under another encoder name is another key.
    assert not shipped.lookup([EmbeddingCache.key("enc:2", "text 0")])


def test_another_encoder_or_version_ignores_them(tmp_path: Path) -> None:
    v = HashingEncoder().encode_passages(["een", "twee"])
    keys = [EmbeddingCache.key("hashing:256", t) for t in ("een", "twee")]
    write_shipped(file_for(tmp_path, "hashing:256"), "hashing:256", keys, v)
    assert ShippedVectors.open(tmp_path, "hashing:256") is not None
    assert ShippedVectors.open(tmp_path, "hashing:128") is None  # no file of that name
    # A file renamed to pass for another version is refused by the name inside it.
    file_for(tmp_path, "hashing:256").rename(file_for(tmp_path, "hashing:256:v2"))
    assert ShippedVectors.open(tmp_path, "hashing:256:v2") is None
    assert ShippedVectors.open(None, "hashing:256") is None


def test_build_embeds_nothing_the_shipped_file_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "vectors"
    _ship(folder, monkeypatch, tmp_path / "script-cache")
    enc = Counting()
    m = build_index(CORPUS, tmp_path / "idx", enc, ChunkingSettings(), tmp_path / "fresh-cache", vectors_dir=folder)
    assert enc.embedded == 0
    assert m["vector_sources"] == {"cached": 0, "shipped": m["embedded"], "encoded": 0}
    assert set(m["timings"]) == {"parse", "chunk", "encode_passages", "encode_sentences", "bm25", "write"}
    # The shipped vectors are not copied into the cache: it holds only what this machine embedded.
    m2 = build_index(CORPUS, tmp_path / "idx", enc, ChunkingSettings(), tmp_path / "fresh-cache")
    assert m2["vector_sources"]["encoded"] == m["embedded"]
    # Same passages, and vectors within float16 precision of the ones embedded here.
    versions = tmp_path / "idx" / "versions"
    a = FaissVectorStore.load(versions / m["version"])
    b = FaissVectorStore.load(versions / m2["version"])
    rows = np.arange(len(a))
    assert m["passages_sha256"] == m2["passages_sha256"]
    assert float((a.vectors(rows) * b.vectors(rows)).sum(axis=1).min()) > 0.9999


def test_another_encoder_embeds_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "vectors"
    _ship(folder, monkeypatch, tmp_path / "script-cache")
    enc = Counting(dim=128)
    m = build_index(CORPUS, tmp_path / "idx", enc, ChunkingSettings(), tmp_path / "cache", vectors_dir=folder)
    assert m["vector_sources"]["shipped"] == 0 and enc.embedded == m["embedded"] > 0


def test_documents_ingested_later_are_embedded_as_usual(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "vectors"
    _ship(folder, monkeypatch, tmp_path / "script-cache")
    enc = Counting()
    index_dir = tmp_path / "idx"
    build_index(CORPUS, index_dir, enc, ChunkingSettings(), tmp_path / "cache", vectors_dir=folder)
    text = (
        "Geachte heer Koolmees,\n\nDe Vereniging van Zeehondenopvang vraagt het nieuwe kabinet om structurele "
        "financiering van de opvang van zieke zeehonden aan de hele kust. Zonder die steun sluiten drie centra.\n\n"
        "Met vriendelijke groet,\n\nVereniging van Zeehondenopvang\n"
    )
    change = apply_changes(index_dir, enc, ChunkingSettings(), tmp_path / "cache", add_text=("zeehond.txt", text, {}))
    assert change.added and enc.embedded > 0
    manifest = load_index(index_dir).manifest
    assert manifest["vector_sources"]["encoded"] == enc.embedded
    # And a full rebuild afterwards takes the bundled texts from the file, the new one from the cache.
    enc.embedded = 0
    m = build_index(CORPUS, index_dir, enc, ChunkingSettings(), tmp_path / "cache", vectors_dir=folder)
    assert enc.embedded == 0 and m["vector_sources"]["cached"] > 0 and m["counts"]["documents"] > 159


def test_script_reuses_the_file_it_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "vectors"
    _ship(folder, monkeypatch, tmp_path / "cache-a")
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["sources"]["encoded"] == first["vectors"] > 0
    stale = file_for(folder, "hashing:256:0.0.1")  # another version of the same encoder
    stale.write_bytes(b"old")
    _ship(folder, monkeypatch, tmp_path / "cache-b")  # an empty cache: the old file answers
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["sources"] == {"cached": 0, "shipped": first["vectors"], "encoded": 0}
    assert not stale.exists()


# The real model and the file in the repository.


def _e5_corpus_texts() -> tuple[object, list[str]]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    enc = make_encoder("e5")
    passages, sentences, asks = ship_vectors.corpus_texts(settings, cached_counter(enc))
    assert settings.chunk_target_tokens == chunking_of(settings).target_tokens
    return enc, list(dict.fromkeys([*passages, *sentences, *asks]))


@pytest.mark.real_model
def test_shipped_file_matches_the_installed_encoder() -> None:
    """Re-encode a sample with the installed E5: the shipped vectors must be the same."""
    enc, texts = _e5_corpus_texts()
    shipped = ShippedVectors.open(SHIPPED, enc.name)  # type: ignore[attr-defined]
    assert shipped is not None, f"no shipped vectors for {enc.name} in {SHIPPED}: run scripts/ship_vectors.py"
    keys = [EmbeddingCache.key(enc.name, t) for t in texts]  # type: ignore[attr-defined]
    have = shipped.lookup(keys)
    # The chunking may have moved since the file was made: most texts, not all, must be there.
    assert len(have) >= 0.95 * len(texts), f"{len(have)} of {len(texts)} texts have a shipped vector"
    sample = random.Random(12).sample([i for i, k in enumerate(keys) if k in have], 20)
    fresh = enc.encode_passages([texts[i] for i in sample])  # type: ignore[attr-defined]
    cos = [float(fresh[n] @ have[keys[i]]) for n, i in enumerate(sample)]
    assert min(cos) >= 0.999, cos


def test_e5_token_counts_are_the_engines() -> None:
    """The word-summing token counter gives the engine's own count for real corpus texts."""
    enc = make_encoder("e5")
    engine = enc._engine_count  # type: ignore[attr-defined]
    texts = [p.read_text(encoding="utf-8")[:3000] for p in sorted(CORPUS.iterdir())[:3]]
    spans = [t[a : a + n] for t in texts for a in range(0, 2500, 211) for n in (40, 300, 900)]
    spans += ["", " ", "één", "Samenwerking staat voortaan boven concurrentie.", "a\u00a0b c", "x\n\ny"]
    assert [enc.count_tokens(s) for s in spans] == [engine(s) for s in spans]
