"""The backend-neutral part of every write: both backends run it, then persist what it returns.

    parse    corpus files + texts ingested through the service - deleted ids -> documents
    chunk    documents -> passages
    texts    passages -> embedding texts (context + passage) and sentence rows
    encode   texts -> vectors: the live version's (`known`), the embedding cache, the vectors
             shipped with the bundled corpus (shipped.py), then the encoder
    (next)   a new stage over documents and vectors (e.g. asks: documents + sentence vectors ->
             asks) goes at the end of `prepare`, after "encode": it adds a field to `Prepared`
             (and to `Prepared.only`) and its seconds to `timings`; each backend then stores that
             field where it stores the rows (folder/build.py `commit_version`, postgres/rows.py
             `insert`).

A build runs every stage (`build_corpus`). A change (ingest, replace, delete) parses and chunks
only the new text, then runs `prepare`: the folder over the whole corpus it publishes (vectors
of the live version are `known`), PostgreSQL over the new documents only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa_service.chunking import ChunkingSettings, Passage, chunk_documents
from qa_service.corpus import Document, load_corpus
from qa_service.encoders import EmbeddingCache, Encoder
from qa_service.errors import IndexNotFound
from qa_service.progress import Progress
from qa_service.store.shipped import ShippedVectors
from qa_service.store.sources import Source, documents_from_text

MIN_SENTENCE_WORDS = 5


@dataclass
class Prepared:
    """Documents chunked and embedded, ready for a backend to persist."""

    documents: list[Document]
    passages: list[Passage]
    texts: list[str]  # per passage: the text embedded, which is also what BM25 indexes
    vectors: np.ndarray  # (len(passages), dim) float32
    sentences: np.ndarray  # (n, 3) int64: passage index, start, end in the document's text
    sentence_vectors: np.ndarray  # (n, dim) float32
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, in order
    vector_sources: dict[str, int] = field(default_factory=dict)  # cached / shipped / encoded
    embedded: int = 0  # distinct texts that were not `known`: from the cache, shipped or encoded

    def only(self, keep: set[str]) -> Prepared:
        """The part of the documents whose ids are in `keep`."""
        pi = [i for i, p in enumerate(self.passages) if p.doc_id in keep]
        remap = {old: new for new, old in enumerate(pi)}
        si = [i for i, (p, _, _) in enumerate(self.sentences.tolist()) if p in remap]
        table = np.array([[remap[int(self.sentences[i, 0])], *self.sentences[i, 1:]] for i in si], dtype=np.int64)
        return Prepared(
            [d for d in self.documents if d.id in keep],
            [self.passages[i] for i in pi],
            [self.texts[i] for i in pi],
            self.vectors[pi],
            table.reshape(-1, 3),
            self.sentence_vectors[si],
            dict(self.timings),
            dict(self.vector_sources),
            self.embedded,
        )


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


def cached_counter(encoder: Encoder) -> Callable[[str], int]:
    """The encoder's token count, remembered per text (chunking asks for the same texts often)."""
    cache: dict[str, int] = {}

    def count(text: str) -> int:
        n = cache.get(text)
        if n is None:
            n = cache[text] = encoder.count_tokens(text)
        return n

    return count


def parse(corpus_dir: Path, sources: Iterable[Source], deleted: set[str]) -> list[Document]:
    """The corpus folder plus texts ingested through the service, minus deleted documents."""
    documents = load_corpus(corpus_dir)
    for source_file, text, meta in sources:
        documents += documents_from_text(text, source_file, meta)
    documents = [d for d in documents if d.id not in deleted]
    if not documents:
        raise IndexNotFound(f"no corpus files found in {corpus_dir}")
    return documents


def chunk(documents: list[Document], encoder: Encoder, chunking: ChunkingSettings) -> list[Passage]:
    return chunk_documents(documents, cached_counter(encoder), chunking)


def build_corpus(
    corpus_dir: Path,
    sources: Iterable[Source],
    deleted: set[str],
    encoder: Encoder,
    chunking: ChunkingSettings,
    *,
    cache_dir: Path,
    shipped: ShippedVectors | None,
    progress: Callable[[int, int], None] | None = None,
) -> Prepared:
    """Every stage of a full build, from the corpus files to vectors (timed: parse, chunk, encode_*)."""
    t0 = time.perf_counter()
    documents = parse(corpus_dir, sources, deleted)
    t1 = time.perf_counter()
    passages = chunk(documents, encoder, chunking)
    timings = {"parse": t1 - t0, "chunk": time.perf_counter() - t1}
    return prepare(
        documents, passages, encoder, chunking, cache_dir=cache_dir, shipped=shipped, progress=progress, timings=timings
    )


def prepare(
    documents: list[Document],
    passages: list[Passage],
    encoder: Encoder,
    chunking: ChunkingSettings,
    *,
    cache_dir: Path,
    shipped: ShippedVectors | None = None,
    known: dict[str, np.ndarray] | None = None,
    progress: Callable[[int, int], None] | None = None,
    timings: dict[str, float] | None = None,
) -> Prepared:
    """Chunked documents -> embedding texts -> vectors -> sentence rows (and any stage after).

    `known` maps embedded texts to vectors already computed (the live version's), so an update
    embeds only its new passages; the on-disk cache (then `shipped`) catches the rest of a
    rebuild. `timings` holds the seconds of the stages before this one (parse, chunk).
    """
    timings = dict(timings or {})
    known = known or {}
    by_id = {d.id: d for d in documents}
    texts = [embedding_text(by_id[p.doc_id], p, chunking.context) for p in passages]
    sent_texts, table = sentence_rows(by_id, passages)
    todo_passages = [t for t in dict.fromkeys(texts) if t not in known]
    queued = set(todo_passages)
    todo_sentences = [t for t in dict.fromkeys(sent_texts) if t not in known and t not in queued]
    cache = EmbeddingCache(cache_dir / "embeddings.sqlite", shipped)
    try:
        lookup = _encode(
            encoder, cache, known, [("passages", todo_passages), ("sentences", todo_sentences)], progress, timings
        )
    finally:
        cache.close()
    return Prepared(
        documents,
        passages,
        texts,
        _stack([lookup[t] for t in texts], encoder.dim),
        table,
        _stack([lookup[t] for t in sent_texts], encoder.dim),
        timings,
        dict(cache.stats),
        len(todo_passages) + len(todo_sentences),
    )


def _encode(
    encoder: Encoder,
    cache: EmbeddingCache,
    known: dict[str, np.ndarray],
    stages: list[tuple[str, list[str]]],
    progress: Callable[[int, int], None] | None,
    timings: dict[str, float],
) -> dict[str, np.ndarray]:
    """Vectors of every text: `known`, then each stage's texts through the cache (timed as encode_<stage>)."""
    total = sum(len(todo) for _, todo in stages)
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
    try:
        for stage, todo in stages:
            t = time.perf_counter()
            stage_done, stage_total = 0, len(todo)
            if isinstance(report, Progress):
                report.start(f"embedding {stage}")
            if todo:
                lookup.update(zip(todo, cache.encode_passages(encoder, todo, progress=tick), strict=True))
            timings[f"encode_{stage}"] = time.perf_counter() - t
    finally:
        fallback.close()
    return lookup


def _stack(rows: list[np.ndarray], dim: int) -> np.ndarray:
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32)
