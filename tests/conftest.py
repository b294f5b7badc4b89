"""Shared fixtures: settings, a fast hashing-encoder index and the real E5 index of the real corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_service.chunking import ChunkingSettings
from qa_service.config import PACKAGE_ROOT, Settings
from qa_service.encoders import HashingEncoder, make_encoder
from qa_service.store.index import build_index

CORPUS = PACKAGE_ROOT / "data" / "corpus"
SHARED_EVAL = PACKAGE_ROOT.parent / "shared" / "eval"
DEV_GOLD = PACKAGE_ROOT / "tests" / "data" / "dev.jsonl"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("QA_"):
            monkeypatch.delenv(k)


def make_settings(index_dir: Path, encoder: str = "hashing", **kw: object) -> Settings:
    return Settings(
        index_dir=index_dir,
        corpus_dir=CORPUS,
        encoder=encoder,
        cache_dir=index_dir.parent / "cache",
        log_level="WARNING",
        _env_file=None,
        **kw,
    )  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def hashing_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real corpus indexed with the fake encoder: fast, for plumbing tests."""
    index_dir = tmp_path_factory.mktemp("hashing") / "index"
    s = make_settings(index_dir)
    build_index(
        CORPUS, index_dir, HashingEncoder(), ChunkingSettings(s.chunk_target_tokens, s.chunk_max_tokens), s.cache_dir
    )
    return index_dir


@pytest.fixture
def settings(hashing_index: Path) -> Settings:
    return make_settings(hashing_index)


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real corpus indexed with the bundled multilingual E5 model (built once per session).

    Its cache starts empty, but the vectors shipped in data/vectors/ answer for the bundled
    corpus, so only texts they lack (after a chunking change) are embedded.
    """
    index_dir = tmp_path_factory.mktemp("e5") / "index"
    s = make_settings(index_dir, "e5")
    build_index(
        CORPUS,
        index_dir,
        make_encoder("e5"),
        ChunkingSettings(s.chunk_target_tokens, s.chunk_max_tokens),
        s.cache_dir,
        vectors_dir=s.vectors_dir,
    )
    return index_dir


@pytest.fixture(scope="session")
def real_service(real_index: Path) -> Iterator[object]:
    from qa_service.service import open_service

    yield open_service(make_settings(real_index, "e5"))
