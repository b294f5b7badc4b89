"""Search: encoder + index -> ranked passages with scores, filters, highlights and an honest empty answer.

Scores, all reported per hit:
- `dense`: cosine similarity of query and passage embeddings (-1..1; E5 puts unrelated text
  around 0.70-0.78 and relevant text above ~0.80). The only score comparable across queries, so
  the relevance threshold (`min_dense_score`) is applied to it.
- `keyword`: BM25 score (unbounded, comparable only within one query).
- `fused`: weighted reciprocal-rank fusion of both legs; orders results, means nothing alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.encoders import Encoder
from qa_service.errors import InvalidQuery, NotFound
from qa_service.questions import classify
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
    # Letter heads and signature tails (passage role "envelope"): on for lookups ("who signed").
    envelope: bool = False


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
    row: int  # passage row in the index
    passage: Passage
    document: Document
    fused: float
    dense: float
    keyword: float
    highlight: Highlight | None = None
    # Lower-ranked passages with (nearly) the same words, left out of the list: a paragraph the
    # agreement repeats, a letter enclosed again as an attachment.
    duplicates: list[tuple[Passage, Document]] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    mode: Mode
    hits: list[Hit]
    took_ms: float
    reason: str | None = None
    query_vector: np.ndarray | None = None
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
        sentence_weight: float = 1.0,
        fusion: str = "rrf",
        sender_bonus: float = 0.2,
        max_per_document: int = 4,
        query_cache_size: int = 1024,
        language_bias: float = 0.01,
        duplicate_overlap: float = 0.6,
    ) -> None:
        self.duplicate_overlap = duplicate_overlap
        self.language_bias = language_bias
        self.max_per_document = max_per_document
        self.query_cache_size = query_cache_size
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qlock = threading.Lock()
        self.sentence_weight = sentence_weight
        self.fusion = fusion
        self.sender_bonus = sender_bonus
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
        self._envelope = np.array([p.role == "envelope" for p in index.passages], dtype=bool)
        self._shingles = [_shingles(p.text) for p in index.passages]
        self._sender_terms = _sender_terms(list(index.documents.values()), [p.text for p in index.passages])
        table = index.sentence_table
        # E5 scores a pair of texts in the same language about 0.01 higher than a pair across
        # languages (measured in docs/evaluation.md): an English question then prefers the few
        # English passages of a Dutch corpus over the Dutch passage that answers it.
        self._passage_en = np.array([looks_english(p.text) for p in index.passages], dtype=bool)
        self._sentence_en = np.array(
            [looks_english(self._doc_of[int(r)].text[a:b]) for r, a, b in table.tolist()], dtype=bool
        )
        order = np.argsort(table[:, 0], kind="stable") if len(table) else np.zeros(0, dtype=np.int64)
        bounds = np.searchsorted(table[order, 0], np.arange(len(index.passages) + 1)) if len(table) else None
        self._sentences_of: list[np.ndarray] = [
            order[bounds[i] : bounds[i + 1]] if bounds is not None else np.zeros(0, dtype=np.int64)
            for i in range(len(index.passages))
        ]
        self._rows_by_sender_term: dict[str, np.ndarray] = {}
        for term in self._sender_terms:
            self._rows_by_sender_term[term] = np.flatnonzero(
                np.array([term in _words(d.sender or "") for d in self._doc_of], dtype=bool)
            )

    # -- filters -------------------------------------------------------------------------
    def allowed_rows(self, f: Filters) -> np.ndarray:
        """Row ids of the passages that pass the filters (filters apply before ranking)."""
        kinds = f.kind or list(DEFAULT_KINDS)
        mask = np.isin(self._kinds, kinds)
        if not f.envelope and len(self._envelope):
            mask &= ~self._envelope
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
        query_vector: np.ndarray | None = None,
    ) -> SearchResult:
        t0 = time.perf_counter()
        query = query.strip()
        if not query:
            raise InvalidQuery("query is empty")
        filters = filters or Filters()
        if not filters.envelope and classify(query).is_lookup:
            filters = dataclasses.replace(filters, envelope=True)
        rows = self.allowed_rows(filters)
        threshold = self.min_dense_score if min_score is None else min_score
        if len(rows) == 0:
            return SearchResult(query, mode, [], _ms(t0), reason="no passages match the filters")

        qvec: np.ndarray = self.encode_query(query) if query_vector is None else query_vector
        english = looks_english(query)
        n_cand = max(self.candidates, top_k * 4)
        kw_scores = np.zeros(0, dtype=np.float32)
        coverage = 0.0
        dense_scores: dict[int, float] = {}
        sent_best: dict[int, tuple[float, int]] = {}
        kw_top: dict[int, float] = {}
        if mode in ("hybrid", "semantic"):
            dense_scores, sent_best = self._dense_leg(qvec, rows, n_cand, english)
        if mode in ("hybrid", "keyword"):
            kw_scores = self.index.keyword.scores(query)
            known, unknown = self.index.keyword.known_terms(query)
            coverage = len(known) / max(1, len(known) + len(unknown))
            masked = np.full_like(kw_scores, -1.0)
            masked[rows] = kw_scores[rows]
            top = np.argsort(-masked)[:n_cand]
            top = top[masked[top] > 0]
            kw_top = {int(r): float(kw_scores[r]) for r in top}

        # The keyword leg's weight scales with the share of query terms the corpus vocabulary
        # knows, and drops for English: an English question shares few terms with Dutch text,
        # and its BM25 ranking is then noise that plain fusion would let drown the dense leg.
        w_kw = self.keyword_weight * coverage**2 if mode == "hybrid" else 1.0
        if mode == "hybrid" and english:
            w_kw *= 0.1
        if mode == "keyword":
            fused = dict(kw_top)
        elif mode == "semantic":
            sent = {r: v[0] for r, v in sent_best.items()}
            fused = self._rrf(dense_scores, {}, 0.0, sent) if sent else dict(dense_scores)
        elif self.fusion == "rrf":
            fused = self._rrf(dense_scores, kw_top, w_kw, {r: v[0] for r, v in sent_best.items()})
        else:
            fused = self._convex(qvec, dense_scores, kw_top, w_kw, english)
        # A query that names a sender ("Wat vraagt de NVZ ...") is about that sender's documents.
        named = [t for t in _words(query) if t in self._sender_terms]
        if named and mode == "hybrid" and fused:
            bonus = 1.0 / (self.fusion_k + 1) if self.fusion == "rrf" else self.sender_bonus
            for t in named:
                for r in self._rows_by_sender_term[t]:
                    if int(r) in fused:
                        fused[int(r)] += bonus
        order = sorted(fused, key=lambda r: -fused[r])
        if self.max_per_document:
            order = _diversify(order, [self._doc_of[r].id for r in order], self.max_per_document)
        terms = set(analyze(query))
        hits: list[Hit] = []
        best_dense = -1.0
        # Look at 3 x top_k candidates, as many more as were folded into a better hit as its
        # near-duplicates: a repeated paragraph must not push a distinct passage out of the list.
        budget = max(top_k * 3, top_k)
        dense_of = self.index.vectors.vectors(np.array(order[: budget * 3], dtype=np.int64)) @ qvec
        for i, r in enumerate(order[: budget * 3]):
            if i >= budget or len(hits) == top_k:
                break
            d = float(dense_of[i])
            best_dense = max(best_dense, d)
            if d < threshold:
                continue
            p = self.index.passages[r]
            twin = self._duplicate_of(r, hits)
            if twin is not None:
                twin.duplicates.append((p, self._doc_of[r]))
                budget += 1
                continue
            hits.append(
                Hit(
                    len(hits) + 1,
                    r,
                    p,
                    self._doc_of[r],
                    fused[r],
                    d,
                    float(kw_scores[r]) if len(kw_scores) else 0.0,
                    _highlight(p, terms),
                )
            )
        reason = None
        if not hits:
            reason = (
                f"no passage is similar enough to the query (best dense cosine "
                f"{max(best_dense, 0.0):.3f} < threshold {threshold:.2f})"
            )
        took = _ms(t0)
        logger.debug("search mode=%s top_k=%d hits=%d took=%.1fms query=%r", mode, top_k, len(hits), took, query)
        return SearchResult(query, mode, hits, took, reason, qvec, {"keyword_weight": w_kw})

    def _dense_leg(
        self, qvec: np.ndarray, rows: np.ndarray, n: int, english: bool = False
    ) -> tuple[dict[int, float], dict[int, tuple[float, int]]]:
        """Dense candidates: passage cosines, and the best sentence of each passage.

        Returns ({row: passage cosine}, {row: (best sentence cosine, sentence row)}); the second
        is empty when the sentence leg is off. Cosines of texts in the query's language are
        lowered by `language_bias` for ranking (see __init__); thresholds use raw cosines.
        """
        pscores, prows = self.index.vectors.search(qvec, n, rows)
        pscores = pscores - self.language_bias * (self._passage_en[prows] == english)
        table = self.index.sentence_table
        if self.sentence_weight <= 0 or len(table) == 0:
            return {int(r): float(c) for r, c in zip(prows.tolist(), pscores.tolist(), strict=True)}, {}
        allowed = np.zeros(len(self.index.passages), dtype=bool)
        allowed[rows] = True
        srows_allowed = np.flatnonzero(allowed[table[:, 0]])
        sscores, srows = self.index.sentence_vectors.search(qvec, n * 3, srows_allowed)
        sscores = sscores - self.language_bias * (self._sentence_en[srows] == english)
        best: dict[int, tuple[float, int]] = {}
        for i in np.argsort(-sscores, kind="stable").tolist():
            prow = int(table[srows[i], 0])
            if prow not in best:
                best[prow] = (float(sscores[i]), int(srows[i]))
        pcos = {int(r): float(c) for r, c in zip(prows.tolist(), pscores.tolist(), strict=True)}
        pcos.update(self._passage_cosines([r for r in best if r not in pcos], qvec, english))
        return pcos, best

    def _passage_cosines(self, rows: list[int], qvec: np.ndarray, english: bool) -> dict[int, float]:
        """Ranking cosines of passages no leg scored yet, with the same-language correction."""
        if not rows:
            return {}
        arr = np.array(rows, dtype=np.int64)
        cos = self.index.vectors.vectors(arr) @ qvec - self.language_bias * (self._passage_en[arr] == english)
        return {r: float(c) for r, c in zip(rows, cos.tolist(), strict=True)}

    def _duplicate_of(self, row: int, hits: list[Hit]) -> Hit | None:
        """The kept hit of another document that says (nearly) what passage `row` says, if any.

        Near-duplicate: the share of the shorter passage's word 5-grams found in the other is at
        least `duplicate_overlap`. Passages of one document overlap by design (a sentence
        carried over at a split) and are kept apart by the per-document cap instead.
        """
        a = self._shingles[row]
        if not a or self.duplicate_overlap > 1.0:
            return None
        doc = self._doc_of[row].id
        for h in hits:
            b = self._shingles[h.row]
            if b and h.document.id != doc and len(a & b) >= self.duplicate_overlap * min(len(a), len(b)):
                return h
        return None

    def language_penalty(self, sentence_rows: np.ndarray, english: bool) -> np.ndarray:
        """The ranking correction for sentences in the query's language (see __init__)."""
        penalty: np.ndarray = self.language_bias * (self._sentence_en[sentence_rows] == english)
        return penalty

    def _rrf(
        self, dense: dict[int, float], kw: dict[int, float], w_kw: float, sent: dict[int, float] | None = None
    ) -> dict[int, float]:
        """Weighted reciprocal-rank fusion of the passage, keyword and (optional) sentence legs."""
        k = self.fusion_k
        fused: dict[int, float] = {}
        for i, r in enumerate(sorted(sent or {}, key=lambda r: -(sent or {})[r])):
            fused[r] = fused.get(r, 0.0) + self.sentence_weight / (k + i + 1)
        for i, r in enumerate(sorted(dense, key=lambda r: -dense[r])):
            fused[r] = fused.get(r, 0.0) + 1.0 / (k + i + 1)
        for i, r in enumerate(sorted(kw, key=lambda r: -kw[r])):
            fused[r] = fused.get(r, 0.0) + w_kw / (k + i + 1)
        return fused

    def _convex(
        self, qvec: np.ndarray, dense: dict[int, float], kw: dict[int, float], w_kw: float, english: bool = False
    ) -> dict[int, float]:
        """Convex combination of min-max normalised scores over the union of both legs' candidates.

        Unlike rank fusion it keeps how far ahead a leg's best hit is: a passage that BM25 ranks
        far above the rest is not outvoted by passages that are mediocre in both legs.
        """
        rows = sorted(set(dense) | set(kw))
        if not rows:
            return {}
        d = dict(dense)
        d.update(self._passage_cosines([r for r in rows if r not in dense], qvec, english))
        lo = min(dense.values()) if dense else min(d.values())
        hi = max(d.values())
        span = max(hi - lo, 1e-6)
        kmax = max(kw.values()) if kw else 1.0
        return {r: max(0.0, (d[r] - lo) / span) + w_kw * kw.get(r, 0.0) / kmax for r in rows}

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
        return self._sentences_of[passage_row]

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


def _diversify(order: list[int], doc_ids: list[str], cap: int) -> list[int]:
    """Move every passage past the `cap`-th of its document behind the others (stable otherwise),
    so one long document cannot fill the whole result list when a question spans letters."""
    seen: dict[str, int] = {}
    first: list[int] = []
    rest: list[int] = []
    for r, d in zip(order, doc_ids, strict=True):
        seen[d] = seen.get(d, 0) + 1
        (first if seen[d] <= cap else rest).append(r)
    return first + rest


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w[\w()-]*\w|\w", text.lower()) if len(w) >= 2}


def _sender_terms(docs: list[Document], passages: list[str], max_passage_share: float = 0.02) -> set[str]:
    """Words that identify a sender: in few senders' names and in few passages.

    A word of a sender's name that stands in more than 1 in 50 passages ("kinderen", "water",
    "werk") names a topic as often as the sender, and a query using it is not about that sender.
    """
    from qa_service.store.keyword import _STOP

    senders = {d.sender for d in docs if d.sender and d.kind in DEFAULT_KINDS}
    freq: dict[str, int] = {}
    for s in senders:
        for w in _words(s):
            freq[w] = freq.get(w, 0) + 1
    limit = max(1, len(senders) // 10)
    cands = {w for w, n in freq.items() if n <= limit and w not in _STOP and len(w) >= 3 and not w.isdigit()}
    seen = dict.fromkeys(cands, 0)
    for text in passages:
        for w in cands & set(_words(text)):
            seen[w] += 1
    cap = max(1.0, max_passage_share * len(passages))
    return {w for w in cands if seen[w] <= cap}


def _shingles(text: str) -> frozenset[int]:
    """Hashed word 5-grams: two passages sharing half of theirs say the same thing."""
    words = _TOKEN_RE.findall(text.lower())
    return frozenset(hash(tuple(words[i : i + 5])) for i in range(len(words) - 4))


_TOKEN_RE = re.compile(r"\w+")


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
