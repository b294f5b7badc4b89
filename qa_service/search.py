"""Search: encoder + index -> ranked passages with scores, filters, highlights and an honest empty answer.

Scores, all reported per hit:
- `dense`: cosine similarity of query and passage embeddings (-1..1; E5 puts unrelated text
  around 0.70-0.78 and relevant text above ~0.80). The only score comparable across queries, so
  the relevance threshold (`min_dense_score`) is applied to it.
- `keyword`: BM25 score (unbounded, comparable only within one query).
- `fused`: weighted reciprocal-rank fusion of both legs; orders results, means nothing alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.encoders import Encoder
from qa_service.errors import InvalidQuery, NotFound
from qa_service.sentences import sentence_spans
from qa_service.store.index import LoadedIndex
from qa_service.store.keyword import analyze, looks_english

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "semantic", "keyword"]
DEFAULT_KINDS = ("letter", "attachment", "agreement_section")


@dataclass
class Filters:
    kind: list[str] | None = None
    sender: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    document_id: str | None = None
    source_file: str | None = None


@dataclass
class Highlight:
    sentence: str
    char_start: int  # in the document's clean text
    char_end: int
    terms: list[str]
    marked: str


@dataclass
class Hit:
    rank: int
    passage: Passage
    document: Document
    fused: float
    dense: float
    keyword: float
    highlight: Highlight | None = None


@dataclass
class SearchResult:
    query: str
    mode: Mode
    hits: list[Hit]
    took_ms: float
    reason: str | None = None
    debug: dict[str, float] = field(default_factory=dict)


class SearchService:
    """Hybrid retrieval over a loaded index. Knows nothing of HTTP."""

    def __init__(
        self,
        index: LoadedIndex,
        encoder: Encoder,
        *,
        min_dense_score: float = 0.80,
        keyword_weight: float = 1.0,
        fusion_k: int = 60,
        candidates: int = 100,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.min_dense_score = min_dense_score
        self.keyword_weight = keyword_weight
        self.fusion_k = fusion_k
        self.candidates = candidates
        self._doc_of = [index.documents[p.doc_id] for p in index.passages]
        self._kinds = np.array([d.kind for d in self._doc_of])
        self._senders = [(d.sender or "").lower() for d in self._doc_of]
        self._dates = np.array([d.date or "" for d in self._doc_of])
        self._doc_ids = np.array([d.id for d in self._doc_of])
        self._files = np.array([d.source_file for d in self._doc_of])
        self._sender_terms = _sender_terms(list(index.documents.values()))
        self._rows_by_sender_term: dict[str, np.ndarray] = {}
        for term in self._sender_terms:
            self._rows_by_sender_term[term] = np.flatnonzero(
                np.array([term in _words(d.sender or "") for d in self._doc_of], dtype=bool)
            )

    # -- filters -------------------------------------------------------------------------
    def allowed_rows(self, f: Filters) -> np.ndarray | None:
        """Row ids passing the filters (None = all rows, for the fast unfiltered path)."""
        kinds = f.kind or list(DEFAULT_KINDS)
        mask = np.isin(self._kinds, kinds)
        if f.sender:
            needle = f.sender.lower()
            mask &= np.array([needle in s for s in self._senders], dtype=bool)
        if f.date_from:
            mask &= (self._dates != "") & (self._dates >= f.date_from.isoformat())
        if f.date_to:
            mask &= (self._dates != "") & (self._dates <= f.date_to.isoformat())
        if f.document_id:
            mask &= self._doc_ids == f.document_id
        if f.source_file:
            mask &= self._files == f.source_file
        return np.flatnonzero(mask)

    # -- search --------------------------------------------------------------------------
    def search(
        self,
        query: str,
        top_k: int = 5,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        min_score: float | None = None,
    ) -> SearchResult:
        t0 = time.perf_counter()
        query = query.strip()
        if not query:
            raise InvalidQuery("query is empty")
        filters = filters or Filters()
        rows = self.allowed_rows(filters)
        threshold = self.min_dense_score if min_score is None else min_score
        if rows is not None and len(rows) == 0:
            return SearchResult(query, mode, [], _ms(t0), reason="no passages match the filters")

        qvec = self.encoder.encode_queries([query])[0]
        n_cand = max(self.candidates, top_k * 4)
        dense_rank: dict[int, int] = {}
        kw_rank: dict[int, int] = {}
        kw_scores = np.zeros(0, dtype=np.float32)
        coverage = 0.0
        if mode in ("hybrid", "semantic"):
            _, drows = self.index.vectors.search(qvec, n_cand, rows)
            dense_rank = {int(r): i for i, r in enumerate(drows)}
        if mode in ("hybrid", "keyword"):
            kw_scores = self.index.keyword.scores(query)
            known, unknown = self.index.keyword.known_terms(query)
            coverage = len(known) / max(1, len(known) + len(unknown))
            masked = np.full_like(kw_scores, -1.0)
            masked[rows] = kw_scores[rows]
            top = np.argsort(-masked)[:n_cand]
            top = top[masked[top] > 0]
            kw_rank = {int(r): i for i, r in enumerate(top)}

        # Weighted RRF. The keyword leg's weight scales with the share of query terms the corpus
        # vocabulary knows: an English question shares few terms with Dutch text, and its BM25
        # ranking is then noise that plain RRF would let drown the dense leg.
        w_kw = self.keyword_weight * coverage**2 if mode == "hybrid" else 1.0
        if mode == "hybrid" and looks_english(query):
            w_kw *= 0.1
        k = self.fusion_k
        fused: dict[int, float] = {}
        for r, i in dense_rank.items():
            fused[r] = fused.get(r, 0.0) + 1.0 / (k + i + 1)
        for r, i in kw_rank.items():
            fused[r] = fused.get(r, 0.0) + w_kw / (k + i + 1)
        # A query that names a sender ("Wat vraagt de NVZ ...") is about that sender's documents:
        # their candidates get the weight of a first place in a third, metadata leg.
        named = [t for t in _words(query) if t in self._sender_terms]
        if named and mode == "hybrid":
            for t in named:
                for r in self._rows_by_sender_term[t]:
                    if int(r) in fused:
                        fused[int(r)] += 1.0 / (k + 1)
        order = sorted(fused, key=lambda r: -fused[r])
        cand = np.array(order[: max(top_k * 3, top_k)], dtype=np.int64)
        dense = self.index.vectors.vectors(cand) @ qvec if len(cand) else np.zeros(0)
        terms = set(analyze(query))
        hits: list[Hit] = []
        for r, d in zip(cand.tolist(), dense.tolist(), strict=True):
            if d < threshold:
                continue
            p = self.index.passages[r]
            hits.append(
                Hit(
                    len(hits) + 1,
                    p,
                    self._doc_of[r],
                    fused[r],
                    float(d),
                    float(kw_scores[r]) if len(kw_scores) else 0.0,
                    _highlight(p, terms),
                )
            )
            if len(hits) == top_k:
                break
        reason = None
        if not hits:
            reason = (
                f"no passage is similar enough to the query (best dense cosine "
                f"{float(dense.max()) if len(dense) else 0.0:.3f} < threshold {threshold:.2f})"
            )
        took = _ms(t0)
        logger.debug("search mode=%s top_k=%d hits=%d took=%.1fms query=%r", mode, top_k, len(hits), took, query)
        return SearchResult(query, mode, hits, took, reason, {"keyword_weight": w_kw})

    # -- documents -----------------------------------------------------------------------
    def document(self, doc_id: str) -> Document:
        try:
            return self.index.documents[doc_id]
        except KeyError:
            raise NotFound(f"no document with id {doc_id!r}") from None

    def passages_of(self, doc_id: str) -> list[Passage]:
        return [p for p in self.index.passages if p.doc_id == doc_id]

    def passage(self, passage_id: str) -> tuple[Passage, Passage | None, Passage | None]:
        """A passage with its neighbours in the same document."""
        for i, p in enumerate(self.index.passages):
            if p.id == passage_id:
                ps = self.index.passages
                prev = ps[i - 1] if i > 0 and ps[i - 1].doc_id == p.doc_id else None
                nxt = ps[i + 1] if i + 1 < len(ps) and ps[i + 1].doc_id == p.doc_id else None
                return p, prev, nxt
        raise NotFound(f"no passage with id {passage_id!r}")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w[\w()-]*\w|\w", text.lower()) if len(w) >= 2}


def _sender_terms(docs: list[Document]) -> set[str]:
    """Words that identify a sender: in few senders' names, not stopwords or generic nouns."""
    from qa_service.store.keyword import _STOP

    senders = {d.sender for d in docs if d.sender and d.kind in DEFAULT_KINDS}
    freq: dict[str, int] = {}
    for s in senders:
        for w in _words(s):
            freq[w] = freq.get(w, 0) + 1
    limit = max(1, len(senders) // 10)
    return {w for w, n in freq.items() if n <= limit and w not in _STOP and len(w) >= 3 and not w.isdigit()}


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def _highlight(p: Passage, terms: set[str]) -> Highlight | None:
    """The sentence sharing most query terms, with those words marked."""
    best: tuple[int, int, int] | None = None
    for a, b in sentence_spans(p.text):
        n = len(terms & set(analyze(p.text[a:b])))
        if best is None or n > best[0]:
            best = (n, a, b)
    if best is None:
        return None
    _, a, b = best
    sentence = p.text[a:b]
    matched: list[str] = []

    def mark(m: re.Match[str]) -> str:
        word = m.group(0)
        stem = analyze(word)
        if stem and stem[0] in terms:
            matched.append(word)
            return f"<mark>{word}</mark>"
        return word

    marked = re.sub(r"\w\w+", mark, sentence)
    return Highlight(sentence, p.char_start + a, p.char_start + b, sorted(set(matched)), marked)
