"""A synthetic corpus of letters at any size, and a batched bulk load of it into PostgreSQL.

For the store benchmark (`scripts/benchmark_store.py`). The corpus imitates the bundled one where
it matters to the stores' costs: documents of 10 passages; words drawn from a Zipf law whose top
ranks are Dutch function words (about 45% of the running words, which the keyword leg drops) and
whose tail is Dutch-looking inflected words (several share a stem); letters from thousands of
organisations, a few of which write many; dates over two years; 384-dim unit vectors, optionally
in clusters as the embeddings of real text are.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.corpus.models import Paragraph
from qa_service.store.keyword import STOPWORDS

SYLLABLES = (
    "ver ge be on over door zorg werk wet stel kabi net raad huis land boer stik stof wa ter geld "
    "school prov in cie ge meen te recht ar beid mark ener gie won ing klim aat voed sel vei lig"
).split()
SUFFIXES = ["", "", "", "en", "ing", "ingen", "heid", "lijk", "lijke", "e", "s", "er", "te", "baar"]
# The commonest Dutch words, in their usual order: general language, not this corpus.
FUNCTION_WORDS = (
    "de van het een en in is dat op te voor met zijn niet aan er ook als bij om door worden wordt "
    "dit die naar deze kunnen we wij u"
).split()
ORG_KINDS = ["Stichting", "Vereniging", "Gemeente", "Provincie", "Federatie", "Netwerk", "Platform", "Bond"]
KINDS = ["letter"] * 6 + ["attachment"] * 3 + ["agreement_section"]
PER_DOC = 10


@dataclass
class Corpus:
    vocab: list[str]
    content_from: int  # vocab[content_from:] are content words
    word_ids: np.ndarray  # (passages, words) int32
    vecs: np.ndarray  # (passages, dim) float32, unit length
    senders: list[str]
    doc_sender: np.ndarray  # (documents,) index into senders, Zipf-distributed
    doc_day: np.ndarray  # (documents,) days after 2024-01-01

    @property
    def n_docs(self) -> int:
        return len(self.doc_sender)

    def date(self, d: int) -> str:
        return str(np.datetime64("2024-01-01") + np.timedelta64(int(self.doc_day[d]), "D"))

    def text(self, i: int) -> str:
        return " ".join(self.vocab[w] for w in self.word_ids[i].tolist()) + "."

    def query_words(self, i: int, rng: np.random.Generator, k: int = 4) -> str:
        """A question's words: content words of passage i (as a question shares some with its answer)."""
        content = [w for w in self.word_ids[i].tolist() if w >= self.content_from]
        picked = rng.choice(content, size=min(k, len(content)), replace=False)
        return " ".join(self.vocab[int(w)] for w in picked)

    def documents(self, lo: int, hi: int) -> tuple[list[Document], list[Passage]]:
        """Documents lo..hi-1 and their passages (passage i of document d is row d * 10 + i)."""
        docs: list[Document] = []
        passages: list[Passage] = []
        for d in range(lo, hi):
            paras = []
            pos = 0
            for i in range(PER_DOC):
                text = self.text(d * PER_DOC + i)
                paras.append(Paragraph(text, "para", pos, pos + len(text)))
                pos += len(text) + 2
            kind = KINDS[d % len(KINDS)]
            topic = self.vocab[int(self.word_ids[d * PER_DOC, 0]) % (len(self.vocab) - self.content_from)]
            title = f"Brief over {self.vocab[self.content_from + d % 5000]} en {topic}"
            doc = Document(
                id=f"syn-{d}",
                kind=kind,  # type: ignore[arg-type]
                source_file=f"syn-{d // 100}.txt",
                line_start=1,
                line_end=20,
                paragraphs=paras,
                sender=self.senders[int(self.doc_sender[d])] if kind != "agreement_section" else None,
                date=self.date(d) if kind != "agreement_section" else None,
                title=title,
                heading_path=[title] if kind == "agreement_section" else [],
            )
            doc._text = "\n\n".join(p.text for p in paras)
            docs.append(doc)
            for i, p in enumerate(paras):
                passages.append(Passage(f"syn-{d}-p{i}", doc.id, i, p.text, p.char_start, p.char_end))
        return docs, passages


def make_corpus(n_passages: int, dim: int, seed: int = 0, clusters: int = 0, words: int = 60) -> Corpus:
    rng = np.random.default_rng(seed)
    stop = sorted(STOPWORDS - set(FUNCTION_WORDS))
    seen = set(STOPWORDS)
    content: list[str] = []
    while len(content) < 50_000:
        w = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))) + str(rng.choice(SUFFIXES))
        if w not in seen:
            seen.add(w)
            content.append(w)
    vocab = [*FUNCTION_WORDS, *stop, *content]
    cum = np.cumsum(1.0 / np.arange(1, len(vocab) + 1))
    cum /= cum[-1]
    n = n_passages - n_passages % PER_DOC
    word_ids = np.empty((n, words), dtype=np.int32)
    for a in range(0, n, 100_000):
        b = min(n, a + 100_000)
        word_ids[a:b] = np.minimum(np.searchsorted(cum, rng.random((b - a, words))), len(vocab) - 1)
    n_senders = max(10, n // 200)
    senders: list[str] = []
    names = set()
    for _ in itertools.count():
        name = f"{ORG_KINDS[len(senders) % len(ORG_KINDS)]} {rng.choice(content).capitalize()}"
        if name not in names:
            names.add(name)
            senders.append(name)
        if len(senders) == n_senders:
            break
    s_cum = np.cumsum(1.0 / np.arange(1, n_senders + 1))
    s_cum /= s_cum[-1]
    n_docs = n // PER_DOC
    doc_sender = np.minimum(np.searchsorted(s_cum, rng.random(n_docs)), n_senders - 1)
    doc_day = rng.integers(0, 730, n_docs)
    vecs = np.empty((n, dim), dtype=np.float32)
    centers = rng.standard_normal((max(1, clusters), dim), dtype=np.float32) / np.float32(0.8)
    for a in range(0, n, 100_000):
        b = min(n, a + 100_000)
        v = rng.standard_normal((b - a, dim), dtype=np.float32)
        if clusters:  # embeddings of real text cluster by topic; uniform random vectors are HNSW's worst case
            v += centers[rng.integers(0, clusters, b - a)]
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        vecs[a:b] = v
    return Corpus(vocab, len(FUNCTION_WORDS) + len(stop), word_ids, vecs, senders, doc_sender, doc_day)


def batches(corpus: Corpus, batch_docs: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, corpus.n_docs, batch_docs):
        yield lo, min(corpus.n_docs, lo + batch_docs)


def _deferred(conn: Any, table: str) -> tuple[list[str], list[str]]:
    """The constraints and indexes of `table`, as statements that drop and re-create them."""
    cons = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint WHERE conrelid = %s::regclass "
        "ORDER BY contype DESC",  # p (primary key) before f (foreign key)
        [table],
    ).fetchall()
    idx = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    ).fetchall()
    drop = [f"ALTER TABLE {table} DROP CONSTRAINT {c}" for c, _, _ in cons] + [f"DROP INDEX {i}" for i, _ in idx]
    create = [f"ALTER TABLE {table} ADD CONSTRAINT {c} {d}" for c, d, _ in cons] + [d for _, d in idx]
    return drop, create


def load_pg(
    url: str,
    corpus: Corpus,
    vtype: str,
    encoder: str,
    batch_docs: int = 2000,
    maintenance_mem: str = "1GB",
    progress: Callable[[str], None] = print,
) -> dict[str, float]:
    """Load the corpus through the store's own insert path (rows.insert), in transactions of
    `batch_docs` documents, with the postings' key and indexes built after the last batch (35-40
    postings a passage: maintaining three B-trees row by row was most of the load). Returns seconds
    per phase."""
    from dataclasses import asdict

    import psycopg
    from psycopg.types.json import Jsonb

    from qa_service.chunking import ChunkingSettings
    from qa_service.store.postgres import rows as pg_rows
    from qa_service.store.postgres import schema as pg_schema
    from qa_service.store.prepare import Prepared, embedding_text

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        pg_schema.migrate(conn, corpus.vecs.shape[1], vtype)
        conn.execute("SET synchronous_commit = off")  # this session's commits only; durable at the checkpoint
        conn.execute(f"SET maintenance_work_mem = '{maintenance_mem}'")
        drop, create = _deferred(conn, "qa_postings")
        for stmt in drop:
            conn.execute(stmt)
        conn.execute(
            "INSERT INTO qa_meta (id, encoder, dim, vector_type, chunking, format, version) "
            "VALUES (1, %s, %s, %s, %s, %s, 'synthetic')",
            [encoder, corpus.vecs.shape[1], vtype, Jsonb(asdict(ChunkingSettings())), pg_schema.FORMAT_VERSION],
        )
        empty = np.zeros((0, 3), np.int64), np.zeros((0, corpus.vecs.shape[1]), np.float32)
        step = max(1, corpus.n_docs // 20)
        for lo, hi in batches(corpus, batch_docs):
            docs, passages = corpus.documents(lo, hi)
            by_id = {d.id: d for d in docs}
            texts = [embedding_text(by_id[p.doc_id], p) for p in passages]
            prep = Prepared(docs, passages, texts, corpus.vecs[lo * PER_DOC : hi * PER_DOC], *empty)
            with conn.transaction():
                added = pg_rows.insert(conn, prep, vtype)
                conn.execute(
                    "UPDATE qa_meta SET n_documents = n_documents + %s, n_passages = n_passages + %s, "
                    "total_length = total_length + %s",
                    [added["documents"], added["passages"], added["length"]],
                )
            if hi // step != lo // step or hi == corpus.n_docs:
                el = time.perf_counter() - t0
                progress(f"  loaded {hi * PER_DOC:,} passages, {el:.0f} s, eta {el / hi * (corpus.n_docs - hi):.0f} s")
        conn.execute("UPDATE qa_meta SET generation = 1")
        out["rows_s"] = round(time.perf_counter() - t0, 1)
        t1 = time.perf_counter()
        for stmt in create:
            conn.execute(stmt)
        out["postings_indexes_s"] = round(time.perf_counter() - t1, 1)
        t1 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        out["vacuum_analyze_s"] = round(time.perf_counter() - t1, 1)
    return out
