"""Answers and evidence: the sentence that answers a question, the sentences that bear on a claim.

Extractive, no generative model: every sentence in the index has its own vector (built with the
index), so choosing sentences costs dot products, not encoder calls. A sentence's score is its
cosine with the question plus small bonuses (shared stemmed terms; an entity of the asked type;
the named organisation's own letter), less the same-language correction search uses.

A question about a document's own facts (who signed, when, its kenmerk) is answered from the
parsed metadata (`facts.py`). Every answer carries a `confidence` (`confidence.py`, calibrated on
our evaluation sets); below the display threshold `answer` is null and `candidates` holds the
best sentences of different passages, so a wrong sentence never stands in the answer box.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable

import numpy as np

from qa_service.answer_model import (
    Answer,
    FactCheck,
    Lookup,
    ScoredSentence,
    bounded,
    citation,
    elapsed_ms,
)
from qa_service.asks.answers import what_asks_answer, who_asks_answer
from qa_service.asks.book import AskBook
from qa_service.asks.who import asks_what, who_asks
from qa_service.confidence import (
    ANSWER_THRESHOLD,
    LOOKUP_SENTENCE,
    TYPE_REQUIRED,
    Features,
    confidence,
    has_entity,
    missing_names,
)
from qa_service.corpus import Document
from qa_service.errors import InvalidQuery
from qa_service.facts import FactAnswer, FactBook
from qa_service.questions import Question, classify
from qa_service.retrieval.terms import has_words
from qa_service.search import Filters, Hit, SearchService
from qa_service.store.keyword import analyze, looks_english

# Ranking penalty of a sentence without the date or sum of money the question asks for: larger
# than the cosine gaps between sentences of one letter, so one that has it comes first.
MISSING_TYPE = 0.05


class Answerer:
    """Sentence-level answers and evidence on top of a SearchService."""

    def __init__(
        self,
        search: SearchService,
        min_similarity: float = 0.84,
        unshared_min_similarity: float = 0.87,
        term_weight: float = 0.03,
        type_weight: float = 0.01,
        sender_weight: float = 0.01,
        first_passage_weight: float = 0.02,
        wide_candidates: int = 50,
        answer_threshold: float = ANSWER_THRESHOLD,
        fact_threshold: float | None = None,  # default: the answer threshold (one bar for every answer)
        asks: Callable[[], AskBook | None] | None = None,  # the asks of the corpus served, for "who asks X"
    ) -> None:
        self.asks = asks
        self.search = search
        self.min_similarity = min_similarity
        self.unshared_min_similarity = unshared_min_similarity
        self.term_weight = term_weight
        self.type_weight = type_weight
        self.sender_weight = sender_weight
        self.first_passage_weight = first_passage_weight
        self.wide_candidates = wide_candidates
        self.answer_threshold = answer_threshold
        self.fact_threshold = answer_threshold if fact_threshold is None else fact_threshold
        self._facts: tuple[str, FactBook] | None = None

    def facts(self) -> FactBook:
        """The fact book of the corpus being served (rebuilt when its version changes)."""
        version = self.search.info().version
        if self._facts is None or self._facts[0] != version:
            self._facts = (version, FactBook(self.search.store))
        return self._facts[1]

    def _doc(self, doc_id: str) -> Document | None:
        return self.search.store.document(doc_id)

    def _score(
        self, rows: np.ndarray, qvec: np.ndarray, query: str, q: Question | None = None, named: set[str] | None = None
    ) -> list[ScoredSentence]:
        store = self.search.store
        if len(rows) == 0:
            return []
        terms = set(analyze(query))
        sims = store.sentence_vectors(rows) @ qvec
        keys = sims - self.search.language_penalty(rows, looks_english(query))
        spans = store.sentences(rows)
        prows = sorted({sp[0] for sp in spans})
        owners = dict(zip(prows, store.passages(prows), strict=True))
        out = []
        for (prow, a, b), sim, key in zip(spans, sims.tolist(), keys.tolist(), strict=True):
            p, doc = owners[prow]
            text = doc.text[a:b]
            if text.rstrip().endswith("?"):
                continue  # a question in the text ("Wat kan het kabinet doen?") answers nothing
            shared = len(terms & set(analyze(text))) / max(1, len(terms))
            bonus = self.term_weight * shared
            typed = has_entity(text, q.wants) if q is not None else None
            if typed:
                bonus += self.type_weight
            elif typed is False and q is not None and q.wants in TYPE_REQUIRED:
                bonus -= MISSING_TYPE  # it cannot be the answer (confidence.TYPE_REQUIRED): rank it below
            if named and _sender_of(doc, self._doc) in named:
                bonus += self.sender_weight
            elif q is not None and q.about_agreement and doc.kind == "agreement_section":
                bonus += self.sender_weight  # the agreement is the source the question names
            out.append(
                ScoredSentence(
                    text, doc, p.id, a, b, float(sim), float(key) + bonus, citation(doc, self._doc), overlap=shared
                )
            )
        return out

    def ask(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Answer:
        t0 = time.perf_counter()
        if not has_words(question):
            raise InvalidQuery("question is empty: it has no words")
        q = classify(question)
        what = who_asks(question)
        book_of_asks = self.asks() if what is not None and self.asks is not None else None
        if what is not None and book_of_asks is not None:
            _, off_topic = self.search.judge(question, filters)
            if off_topic is not None:  # "Wie vraagt om pannenkoeken?": no ask is about it either
                return Answer(question, None, [], off_topic, elapsed_ms(t0))
            return who_asks_answer(self, question, what, book_of_asks, top_k, filters, t0)
        if self.asks is not None and asks_what(question):
            own = what_asks_answer(self, question, top_k, filters, t0)
            if own is not None:
                return own
        res = self.search.search(question, top_k=top_k, filters=filters)
        book = self.facts()
        if res.off_topic:
            return Answer(question, None, [], res.reason, elapsed_ms(t0))
        if not res.hits:
            # A lookup that names its letter ("de brief met kenmerk 202500736") needs no passage.
            fact = self._fact(q, [], book, filters) if q.is_lookup else None
            if fact is not None and (fact.confidence or 0.0) >= self.fact_threshold:
                return Answer(question, fact, [], None, elapsed_ms(t0), [], fact.confidence)
            return Answer(question, None, [], res.reason, elapsed_ms(t0))
        qvec = res.query_vector
        assert qvec is not None
        named_docs = book.named(question)
        named = {_sender_of(d, self._doc) for _, d in named_docs} - {""}
        content = [h for h in res.hits if h.passage.role != "envelope"]
        rows = [self.search.sentence_rows(h.row) for h in content]
        cands = self._score(
            np.unique(np.concatenate(rows)) if rows else np.zeros(0, np.int64), qvec, question, q, named
        )
        if content:
            # Search ranks passages on more than one sentence's cosine (three legs, the sender),
            # so the first passage's sentences get a head start (docs/evaluation.md).
            for c in cands:
                if c.passage_id == content[0].passage.id:
                    c.score += self.first_passage_weight
        ranked = self._per_passage(cands)
        for i, s in enumerate(ranked):
            s.features = self._features(s, ranked[i + 1 :] or [], q, named, res.hits)
            s.confidence = confidence(s.features, q.wants)
        candidates = [
            self._extend(s, cands) for s in self._candidates(ranked, qvec, question, q, named, res.hits, filters)
        ]
        fact = self._fact(q, res.hits, book, filters) if q.is_lookup else None
        if fact is not None and (fact.confidence or 0.0) >= self.fact_threshold:
            others = bounded([c for c in candidates if c.passage_id != fact.passage_id], fact.confidence, False)
            return Answer(question, fact, res.hits, None, elapsed_ms(t0), others, fact.confidence)
        best = ranked[0] if ranked else None
        best_conf = best.confidence if best else None
        if q.is_lookup:
            # A sentence of the text is never the answer to a lookup (LOOKUP_SENTENCE).
            best_conf = None if best_conf is None else min(best_conf, LOOKUP_SENTENCE)
            reason = (
                "no document fact answers this lookup (the letter it asks about was not found, or does not hold "
                "that fact); the candidates are sentences of the text, not the fact asked for"
            )
            return Answer(question, None, res.hits, reason, elapsed_ms(t0), bounded(candidates, best_conf), best_conf)
        candidates = bounded(candidates, best_conf)
        if best is not None and q.about_agreement and best.document.kind != "agreement_section":
            # "Wat zegt het coalitieakkoord over asielzoekers?" is not answered by a letter that
            # mentions a coalition agreement.
            reason = "the question asks what the coalition agreement says; the best sentence is from another document"
            return Answer(question, None, res.hits, reason, elapsed_ms(t0), candidates, best_conf)
        if best is None or best.similarity is None or best.similarity < self.min_similarity:
            if best is None or best.similarity is None:
                reason = "no sentence of the passages found can answer it"
            else:
                reason = (
                    f"no sentence answers the question well enough (best {best.similarity:.4f} < "
                    f"{self.min_similarity:.4f})"
                )
            return Answer(question, None, res.hits, reason, elapsed_ms(t0), candidates, best_conf)
        if (best_conf or 0.0) < self.answer_threshold:
            reason = (
                f"low confidence ({best_conf or 0.0:.3f} < {self.answer_threshold:.3f}): the answer is probably "
                "in one of the candidate sentences or supporting passages"
            )
            return Answer(question, None, res.hits, reason, elapsed_ms(t0), candidates, best_conf)
        return Answer(question, candidates[0], res.hits, None, elapsed_ms(t0), candidates[1:], best_conf)

    def _candidates(
        self,
        ranked: list[ScoredSentence],
        qvec: np.ndarray,
        question: str,
        q: Question,
        named: set[str],
        hits: list[Hit],
        filters: Filters | None,
    ) -> list[ScoredSentence]:
        """The best sentence, then the best ones of passages the reader does not see yet.

        The first supporting passages are shown anyway; a candidate from the same passage adds
        nothing a reader would not find there. The others come from the sentences nearest to the
        question anywhere in the corpus (the sentence leg), as factcheck finds evidence.
        """
        if not ranked or self.wide_candidates <= 0:
            return ranked[:3]
        shown = {h.passage.id for h in hits[:3]}
        out = ranked[:1]
        _, near, _ = self.search.store.search_sentences(qvec, self.wide_candidates, filters or Filters())
        wide = self._per_passage(self._score(near, qvec, question, q, named))
        for i, w in enumerate(wide):
            w.features = self._features(w, wide[i + 1 :], q, named, hits)
            w.confidence = confidence(w.features, q.wants)
        pool = self._per_passage(ranked[1:] + wide)
        for s in pool:
            if len(out) == 3:
                break
            # Overlapping passages hold the same sentence, and one sentence can stand in several
            # places (a repeated footer, a quoted line): show its words once.
            same = any(_same_words(s, o) for o in out)
            if s.passage_id not in shown and not same and all(s.passage_id != o.passage_id for o in out):
                out.append(s)
        return out

    def _per_passage(self, cands: list[ScoredSentence]) -> list[ScoredSentence]:
        """The best sentence of each passage, best first."""
        seen: set[str] = set()
        out = []
        for s in sorted(cands, key=lambda s: -s.score):
            if s.passage_id not in seen:
                seen.add(s.passage_id)
                out.append(s)
        return out

    def _features(
        self, s: ScoredSentence, rest: list[ScoredSentence], q: Question, named: set[str], hits: list[Hit]
    ) -> Features:
        content = [h for h in hits if h.passage.role != "envelope"]
        top = content[0] if content else hits[0]
        typed = has_entity(s.text, q.wants)
        sender = _sender_of(s.document, self._doc)
        same_doc = sum(_sender_of(h.document, self._doc) == sender and bool(sender) for h in content[:5])
        return Features(
            similarity=s.similarity or 0.0,
            margin=s.score - rest[0].score if rest else 0.05,
            first_passage=float(s.passage_id == top.passage.id),
            top_dense=top.dense,
            typed=0.0 if typed is None else (1.0 if typed else -1.0),
            named=0.0 if not named else (1.0 if sender in named else -1.0),
            support=same_doc / max(1, min(5, len(content))),
            english=float(looks_english(q.text)),
            lead=(top.fused - content[1].fused) / top.fused if len(content) > 1 and top.fused > 0 else 0.5,
            missing=float(missing_names(q.text, s.document.title + " " + s.document.text)),
        )

    def _fact(self, q: Question, hits: list[Hit], book: FactBook, filters: Filters | None) -> ScoredSentence | None:
        agreement = [(h.passage, h.document, h.dense) for h in hits if h.document.kind == "agreement_section"]
        admits = (filters or Filters()).admits
        fa: FactAnswer | None = book.answer(q, [h.document.id for h in hits], agreement, admits)
        if fa is None:
            return None
        p = fa.passage
        return ScoredSentence(
            fa.text,
            fa.document,
            p.id if p else "",
            p.char_start if p else 0,
            p.char_end if p else 0,
            None,
            fa.confidence,
            citation(fa.document, self._doc),
            confidence=fa.confidence,
            kind="fact",
        )

    def _extend(self, best: ScoredSentence, cands: list[ScoredSentence]) -> ScoredSentence:
        """Join the sentence that follows the best one in the text.

        Gold answers often span two sentences (a claim and its number or condition); measured on
        the dev and extra questions, best + next contains the evidence for 57% against 49% for
        the best sentence alone (scripts/evaluate_answers.py).
        """
        text = best.document.text
        nxt = [
            c
            for c in cands
            if c.document.id == best.document.id
            and 0 <= c.char_start - best.char_end <= 3
            and "\n" not in text[best.char_end : c.char_start]  # same paragraph only
        ]
        if not nxt:
            return best
        n = min(nxt, key=lambda c: c.char_start)
        return dataclasses.replace(best, text=text[best.char_start : n.char_end], char_end=n.char_end)

    def factcheck(self, claim: str, top_k: int = 5, filters: Filters | None = None) -> FactCheck:
        t0 = time.perf_counter()
        if not has_words(claim):
            raise InvalidQuery("claim is empty: it has no words")
        f = filters or Filters()
        # Evidence is whatever bears on the claim: the sentences of the best passages, and the
        # best sentences anywhere (a claim is often one sentence's paraphrase).
        res = self.search.search(claim, top_k=max(top_k, 5), filters=f, min_score=-1.0, judge=True)
        qvec = res.query_vector
        if qvec is None or res.off_topic:
            return FactCheck(claim, "no_evidence", [], {}, res.reason, elapsed_ms(t0))
        _, near, _ = self.search.store.search_sentences(qvec, 50, f)
        rows = np.unique(np.concatenate([near, *[self.search.sentence_rows(h.row) for h in res.hits]]))
        scored = sorted(self._score(rows, qvec, claim), key=lambda s: -s.score)
        english = looks_english(claim)

        def bears_on_claim(s: ScoredSentence) -> bool:
            # A Dutch claim and a Dutch sentence about the same thing share a word; a cosine just
            # above the bar with no shared word is the encoder's floor for unrelated Dutch text
            # ("De maan is van kaas" ~ "Brede welvaart is ons kompas", 0.84). English claims
            # meet Dutch text across languages, where no word is shared.
            sim = s.similarity or 0.0
            return sim >= self.min_similarity and (english or s.overlap > 0 or sim >= self.unshared_min_similarity)

        evidence = [s for s in _dedupe(scored) if bears_on_claim(s)][:top_k]
        groups: dict[str, list[ScoredSentence]] = {"agreement": [], "letters": []}
        for e in evidence:
            groups["agreement" if e.document.kind == "agreement_section" else "letters"].append(e)
        if not evidence:
            best = (scored[0].similarity or 0.0) if scored else 0.0
            reason = (
                f"no sentence is close enough to the claim (best {best:.4f} < {self.min_similarity:.4f}, or "
                f"< {self.unshared_min_similarity:.4f} without a word in common)"
            )
            return FactCheck(claim, "no_evidence", [], groups, reason, elapsed_ms(t0))
        return FactCheck(claim, "evidence_found", evidence, groups, None, elapsed_ms(t0))


def _sender_of(doc: Document, documents: Lookup) -> str:
    """The sender a document speaks for (an attachment speaks for its letter's sender)."""
    parent = documents(doc.parent_id) if doc.kind == "attachment" and doc.parent_id else None
    return ((parent or doc).sender or "").lower()


def _same_words(a: ScoredSentence, b: ScoredSentence) -> bool:
    return (a.document.id == b.document.id and a.char_start == b.char_start) or _words_key(a.text) == _words_key(b.text)


def _words_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _dedupe(sentences: list[ScoredSentence]) -> list[ScoredSentence]:
    """Drop repeats of the same sentence text (the same words stand in several letters)."""
    seen: set[str] = set()
    out = []
    for s in sentences:
        key = " ".join(analyze(s.text))
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
    return out
