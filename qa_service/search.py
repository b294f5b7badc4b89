"""Search: encoder + store -> ranked passages with scores, filters, highlights and an honest empty answer.

Scores, all reported per hit:
- `dense`: cosine similarity of query and passage embeddings (-1..1; E5 puts unrelated text
  around 0.70-0.78 and relevant text above ~0.80). The only score comparable across queries, so
  the relevance threshold (`min_dense_score`) is applied to it.
- `keyword`: BM25 score (unbounded, comparable only within one query).
- `fused`: weighted reciprocal-rank fusion of both legs; orders results, means nothing alone.

The legs (`retrieval.legs`) ask a `Store` for candidates; ranking (`retrieval.ranking`) knows no
store. Which store serves is the caller's choice (`service.open_store`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.encoders import Encoder
from qa_service.errors import InvalidQuery, NotFound
from qa_service.questions import classify
from qa_service.retrieval import legs, ranking, relevance
from qa_service.retrieval.highlight import highlight
from qa_service.retrieval.store import KeywordHits, Store
from qa_service.retrieval.terms import REFERENCE_NUMBER, has_words, words
from qa_service.retrieval.types import DEFAULT_KINDS, Filters, Highlight, Hit, Mode, SearchResult, StoreInfo
from qa_service.store.keyword import analyze, looks_english

__all__ = ["DEFAULT_KINDS", "Filters", "Highlight", "Hit", "Mode", "SearchResult", "SearchService"]

logger = logging.getLogger(__name__)


class SearchService:
    """Hybrid retrieval over one store. Knows nothing of HTTP."""

    def __init__(
        self,
        store: Store,
        encoder: Encoder,
        *,
        min_dense_score: float = 0.80,
        keyword_weight: float = 1.0,
        fusion_k: int = 60,
        candidates: int = 100,
        sentence_weight: float = 1.0,
        fusion: str = "rrf",
        sender_bonus: float = 0.2,
        max_per_document: int = 4,
        query_cache_size: int = 1024,
        language_bias: float = 0.01,
        duplicate_overlap: float = 0.6,
        relevance_confidence: float = 0.0,
    ) -> None:
        self.store = store
        # Below this probability that the documents cover a query (`retrieval.relevance`), search
        # answers nothing; 0 = off, the plain cosine floor alone decides (an uncalibrated encoder).
        self.relevance_confidence = relevance_confidence
        self.duplicate_overlap = duplicate_overlap
        self.language_bias = language_bias
        self.max_per_document = max_per_document
        self.query_cache_size = query_cache_size
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qlock = threading.Lock()
        self.sentence_weight = sentence_weight
        self.fusion = fusion
        self.sender_bonus = sender_bonus
        self.encoder = encoder
        self.min_dense_score = min_dense_score
        self.keyword_weight = keyword_weight
        self.fusion_k = fusion_k
        self.candidates = candidates

    @property
    def index(self) -> Any:
        """The embedded store's loaded index (what answer selection reads sentence rows from)."""
        return getattr(self.store, "index", None)

    def info(self) -> StoreInfo:
        return self.store.info()

    # -- filters -------------------------------------------------------------------------
    def allowed_rows(self, f: Filters) -> np.ndarray:
        """Row ids of the passages that pass the filters (filters apply before ranking)."""
        return self.store.allowed_rows(f)

    # -- search --------------------------------------------------------------------------
    def search(
        self,
        query: str,
        top_k: int = 5,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        min_score: float | None = None,
        query_vector: np.ndarray | None = None,
        judge: bool | None = None,
    ) -> SearchResult:
        """The best passages for `query`.

        `judge`: whether the relevance judgement may refuse the query as one the documents do not
        cover (default: when `min_score` is not given; a caller's own cosine floor replaces it).
        """
        if judge is None:
            judge = min_score is None
        with self.store.snapshot():  # every leg and lookup sees one state of the corpus
            return self._search(query, top_k, mode, filters, min_score, query_vector, judge)

    def _search(
        self,
        query: str,
        top_k: int,
        mode: Mode,
        filters: Filters | None,
        min_score: float | None,
        query_vector: np.ndarray | None,
        judge: bool,
    ) -> SearchResult:
        t0 = time.perf_counter()
        query = query.strip()
        if not has_words(query):
            raise InvalidQuery("query is empty: it has no words")
        filters = _scope(query, filters or Filters())
        threshold = self.min_dense_score if min_score is None else min_score
        if not self.store.has_passages(filters):
            return SearchResult(query, mode, [], _ms(t0), reason=self._filters_reason(filters))

        qvec: np.ndarray = self.encode_query(query) if query_vector is None else query_vector
        p: float | None = None
        if judge:
            p, why = self.judge(query, filters, qvec)
            if why is not None:
                return SearchResult(query, mode, [], _ms(t0), why, qvec, {"relevance": p or 0.0}, off_topic=True)
        english = looks_english(query)
        n_cand = max(self.candidates, top_k * 4)
        kw: KeywordHits | None = None
        coverage = 0.0
        dense_scores: dict[int, float] = {}
        sent_best: dict[int, tuple[float, int]] = {}
        kw_top: dict[int, float] = {}
        if mode in ("hybrid", "semantic"):
            dense_scores, sent_best = legs.dense_leg(
                self.store, qvec, filters, n_cand, english, self.language_bias, self.sentence_weight
            )
        if mode in ("hybrid", "keyword"):
            kw = legs.keyword_leg(self.store, analyze(query), n_cand, filters)
            coverage, kw_top = kw.coverage, kw.top

        w_kw = ranking.keyword_weight(mode, self.keyword_weight, coverage, english)
        if mode == "keyword":
            fused = dict(kw_top)
        elif mode == "semantic":
            sent = {r: v[0] for r, v in sent_best.items()}
            fused = (
                ranking.rrf(dense_scores, {}, 0.0, self.fusion_k, self.sentence_weight, sent)
                if sent
                else dict(dense_scores)
            )
        elif self.fusion == "rrf":
            sent = {r: v[0] for r, v in sent_best.items()}
            fused = ranking.rrf(dense_scores, kw_top, w_kw, self.fusion_k, self.sentence_weight, sent)
        else:
            fused = ranking.convex(
                dense_scores,
                kw_top,
                w_kw,
                lambda rows: legs.passage_cosines(self.store, rows, qvec, english, self.language_bias),
            )
        owners = dict(zip(fused, self.store.owners(list(fused)), strict=True))
        # A query that names a sender ("Wat vraagt de NVZ ...") is about that sender's documents.
        sender_terms = self.store.sender_terms()
        named = [t for t in words(query) if t in sender_terms]
        if named and mode == "hybrid" and fused:
            bonus = 1.0 / (self.fusion_k + 1) if self.fusion == "rrf" else self.sender_bonus
            ranking.boost_senders(fused, named, owners, bonus)
        order = sorted(fused, key=lambda r: -fused[r])
        if self.max_per_document:
            order = ranking.diversify(order, [owners[r].doc_id for r in order], self.max_per_document)
        hits, best_dense = self._select(order, fused, qvec, top_k, threshold, set(analyze(query)))
        if kw is not None and hits:
            for h, s in zip(hits, kw.scores_of([h.row for h in hits]), strict=True):
                h.keyword = s
        reason = None
        if not hits and mode == "keyword" and not analyze(query):
            reason = "the query has only stopwords ('de', 'het', 'een', ...), which the keyword index leaves out"
        elif not hits:
            reason = ranking.empty_reason(mode, len(fused), best_dense, threshold)
        took = _ms(t0)
        logger.debug("search mode=%s top_k=%d hits=%d took=%.1fms query=%r", mode, top_k, len(hits), took, query)
        debug = {"keyword_weight": w_kw}
        if p is not None:
            debug["relevance"] = p
        return SearchResult(query, mode, hits, took, reason, qvec, debug)

    def judge(
        self, query: str, filters: Filters | None = None, qvec: np.ndarray | None = None
    ) -> tuple[float | None, str | None]:
        """(probability that the documents cover `query`, the reason when they do not).

        The probability is None when the judgement is off or BM25 evidence alone accepts the query.
        """
        f = _scope(query, filters or Filters())
        if self.relevance_confidence <= 0:
            return None, None
        p = relevance.probability(self.relevance_signals(query, f, qvec))
        if p >= self.relevance_confidence:
            return p, None
        if self._named(query, f):  # BM25 evidence overrides the model (asked only when it refuses)
            return None, None
        return p, (
            "the documents do not cover this question: no passage is about it "
            f"(relevance {p:.2f} < {self.relevance_confidence:.2f})"
        )

    def _named(self, query: str, filters: Filters) -> bool:
        return relevance.named_in_documents(self.store, query, Filters(kind=filters.kind, envelope=filters.envelope))

    def relevance_signals(
        self, query: str, filters: Filters | None = None, qvec: np.ndarray | None = None
    ) -> relevance.Signals:
        """What the relevance judgement sees of a query (scripts/calibrate_relevance.py fits on it)."""
        f = _scope(query, filters or Filters())
        # Judged over the kinds searched, not the other filters: whether the documents cover a
        # question does not change with the sender or date one narrows the search to.
        vec = self.encode_query(query) if qvec is None else qvec
        return relevance.signals(self.store, vec, query, Filters(kind=f.kind, envelope=f.envelope))

    def _filters_reason(self, filters: Filters) -> str:
        """Why the filters leave no passage: name the sender filter when it alone matches nothing."""
        if filters.sender:
            by_sender = Filters(kind=filters.kind, sender=filters.sender, envelope=True)
            if not self.store.has_passages(by_sender):
                return f"no document matches sender {filters.sender!r}"
        return "no passages match the filters"

    def _select(
        self, order: list[int], fused: dict[int, float], qvec: np.ndarray, top_k: int, threshold: float, terms: set[str]
    ) -> tuple[list[Hit], float]:
        """The top_k hits above the threshold, near-duplicates folded; and the best dense cosine seen."""
        hits: list[Hit] = []
        best_dense = -1.0
        # Look at 3 x top_k candidates, as many more as were folded into a better hit as its
        # near-duplicates: a repeated paragraph must not push a distinct passage out of the list.
        budget = max(top_k * 3, top_k)
        window = order[: budget * 3]
        if not window:
            return hits, best_dense
        dense_of = self.store.passage_vectors(np.array(window, dtype=np.int64)) @ qvec
        rows = self.store.passages(window)
        for i, r in enumerate(window):
            if i >= budget or len(hits) == top_k:
                break
            d = float(dense_of[i])
            best_dense = max(best_dense, d)
            if d < threshold:
                continue
            p, doc = rows[i]
            twin = ranking.duplicate_of(p, doc, hits, self.duplicate_overlap)
            if twin is not None:
                twin.duplicates.append((p, doc))
                budget += 1
                continue
            hits.append(Hit(len(hits) + 1, r, p, doc, fused[r], d, 0.0, highlight(p, terms)))
        return hits, best_dense

    def _duplicate_of(self, row: int, hits: list[Hit]) -> Hit | None:
        ((p, doc),) = self.store.passages([row])
        return ranking.duplicate_of(p, doc, hits, self.duplicate_overlap)

    def language_penalty(self, sentence_rows: np.ndarray, english: bool) -> np.ndarray:
        """The ranking correction for sentences in the query's language (see retrieval.legs)."""
        penalty: np.ndarray = self.language_bias * (self.store.sentence_english(sentence_rows) == english)
        return penalty

    def encode_query(self, query: str) -> np.ndarray:
        """The query's vector, from a small LRU cache: encoding is most of a search's cost, and
        people and chatbots repeat questions (shared result URLs, retries, page reloads)."""
        with self._qlock:
            hit = self._qcache.get(query)
            if hit is not None:
                self._qcache.move_to_end(query)
                return hit
        vec: np.ndarray = self.encoder.encode_queries([query])[0]
        with self._qlock:
            self._qcache[query] = vec
            if len(self._qcache) > self.query_cache_size:
                self._qcache.popitem(last=False)
        return vec

    def sentence_rows(self, passage_row: int) -> np.ndarray:
        """Rows of the sentence index that belong to a passage, in text order."""
        return self.store.sentence_rows(passage_row)

    # -- sentence rows, for answer selection (the same on every store) -----------------------
    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), dim) float32 vectors of sentence rows."""
        return self.store.sentence_vectors(rows)

    def sentence_spans(self, rows: np.ndarray) -> list[tuple[int, int, int]]:
        """(passage row, start, end in the document's text) of each sentence row."""
        return self.store.sentences(rows)

    def search_sentences(self, qvec: np.ndarray, k: int, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        """Top `k` sentence rows (scores, rows) among the sentences of passages passing `filters`."""
        scores, rows, _ = self.store.search_sentences(qvec, k, filters)
        return scores, rows

    def passages_at(self, rows: list[int]) -> list[tuple[Passage, Document]]:
        """Passage rows with their documents."""
        return self.store.passages(rows)

    # -- documents -----------------------------------------------------------------------
    def document(self, doc_id: str) -> Document:
        d = self.store.document(doc_id)
        if d is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return d

    def documents(
        self,
        kind: str | None = None,
        sender: str | None = None,
        source_file: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[int, list[Document]]:
        """(total, one page) of documents in corpus order, filtered by kind, sender substring, file."""
        return self.store.documents(kind, sender, source_file, offset, limit)

    def passages_of(self, doc_id: str) -> list[Passage]:
        return self.store.passages_of(doc_id)

    def related(self, d: Document) -> list[tuple[str, Document]]:
        """The documents a reader of `d` goes on to, as (relation, document): the letter it belongs
        to ("letter"), its attachments and enclosed letters ("attachment"), the informateur's reply
        to it ("reply") and the letter a reply answers ("answers")."""
        out: list[tuple[str, Document]] = []
        for relation, other in (("letter", d.parent_id), ("answers", d.in_reply_to), ("reply", d.reply_id)):
            found = self.store.document(other) if other else None
            if found is not None:
                out.append((relation, found))
        # A document's parts are split from the same file (a bundle, or an upload).
        _, same_file = self.store.documents(None, None, d.source_file, 0, 100_000)
        out += [("attachment", o) for o in same_file if o.parent_id == d.id]
        return out

    def passage(self, passage_id: str) -> tuple[Passage, Passage | None, Passage | None]:
        """A passage with its neighbours in the same document."""
        found = self.store.passage(passage_id)
        if found is None:
            raise NotFound(f"no passage with id {passage_id!r}")
        return found


def _scope(query: str, filters: Filters) -> Filters:
    """Lookups and registration numbers are about a letter's head or signature."""
    if not filters.envelope and (classify(query).is_lookup or REFERENCE_NUMBER.search(query)):
        return dataclasses.replace(filters, envelope=True)
    return filters


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
