"""Answers from the asks: "Wie vraagt om X?" (the organisations that ask it) and "Wat vraagt de
NVZ (over X)?" (that organisation's own asks), each ask with its citation.

`Answerer.ask` hands a question of either form here (`who.who_asks`, `who.asks_what`); the
confidence of an ask as the answer is `who.who_confidence`, calibrated on our "who asks" questions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from qa_service.answer_model import Answer, ScoredSentence, bounded, citation, elapsed_ms
from qa_service.asks.book import AskBook, organisations_of
from qa_service.asks.models import Ask
from qa_service.asks.who import (
    WHO_BAND,
    WHO_MIN_SIMILARITY,
    askers,
    own_asks,
    representative,
    topic_text,
    who_confidence,
)
from qa_service.confidence import LOOKUP_SENTENCE
from qa_service.retrieval.types import Filters

if TYPE_CHECKING:
    from qa_service.answer import Answerer

# Co-signers of a joint letter named in a "who asks" answer at most.
JOINT_NAMES = 30
# "Wat vraagt de NVZ?" answered with the NVZ's own ask that stands for the rest: right by
# construction once the organisation is recognised (which FactBook.named does by its names).
OWN_ASK = 0.8


def who_asks_answer(
    ans: Answerer, question: str, what: str, book: AskBook, top_k: int, filters: Filters | None, t0: float
) -> Answer:
    """ "Wie vraagt om X?": the organisations whose asks match X, each with its ask and citation."""
    qvec = ans.search.encode_query(what)
    found = askers(book, qvec, what, filters, k=max(3, top_k))
    top = found[0].similarity if found else 0.0
    second = found[1].similarity if len(found) > 1 else top - 0.05
    sentences = [
        ask_sentence(
            book, a.ask, a.similarity, who_confidence(a.similarity, top - second if i == 0 else a.similarity - top)
        )
        for i, a in enumerate(found)
    ]
    if not sentences or (sentences[0].similarity or 0.0) < WHO_MIN_SIMILARITY:
        reason = "no organisation's ask matches the question closely enough" if sentences else "no asks found"
        first = sentences[0].confidence if sentences else None
        return Answer(question, None, [], reason, elapsed_ms(t0), sentences[:3], first)
    # Every organisation whose ask is about as close as the best one asks it too.
    bar = max(WHO_MIN_SIMILARITY, (sentences[0].similarity or 0.0) - WHO_BAND)
    close = [s for s in sentences if (s.similarity or 0.0) >= bar]
    names = [(organisations_of(s.document) or ["onbekende afzender"])[0] for s in close]
    lead = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]
    others = organisations_of(close[0].document)[1:JOINT_NAMES]
    if others:  # a joint letter asks for all who signed it
        lead += " (samen met " + ", ".join(others) + ")"
    best = close[0]
    answer = dataclasses.replace(
        best, text=f"{lead}: {best.text}" if len(close) == 1 else f"{lead}. {names[0]}: {best.text}"
    )
    if (answer.confidence or 0.0) < ans.answer_threshold:
        reason = f"low confidence ({answer.confidence or 0.0:.3f} < {ans.answer_threshold:.3f})"
        return Answer(question, None, [], reason, elapsed_ms(t0), sentences[:3], answer.confidence)
    return Answer(question, answer, [], None, elapsed_ms(t0), sentences[1:4], answer.confidence)


def what_asks_answer(ans: Answerer, question: str, top_k: int, filters: Filters | None, t0: float) -> Answer | None:
    """ "Wat vraagt de NVZ (over X)?": the named organisation's own asks. None when the question
    names no organisation that asks anything: then it is a plain question."""
    named = [d for _, d in ans.facts().named(question) if d.kind in ("letter", "attachment")]
    orgs = organisations_of(named[0]) if named else []
    book = ans.asks() if orgs and ans.asks is not None else None
    if book is None or (filters is not None and not filters.admits(named[0])):
        return None
    org = orgs[0]
    topic = topic_text(question, [org, named[0].sender or "", *named[0].aliases])
    if not topic:  # "Wat vraagt de NVZ?": the asks that stand for the rest of its letters
        main = representative(book, org, 4)
        if not main:
            return None
        sentences = [ask_sentence(book, a, None, OWN_ASK if i == 0 else OWN_ASK / 2) for i, a in enumerate(main)]
    else:  # "... over de acute zorg?": its asks about that, judged as "who asks for X" is
        _, off_topic = ans.search.judge(topic, filters)
        if off_topic is not None:  # "Wat vraagt de NVZ over pannenkoeken?": none of its asks is
            return Answer(question, None, [], off_topic, elapsed_ms(t0))
        found = own_asks(book, org, ans.search.encode_query(topic), topic, max(4, top_k))
        if not found:
            return None
        second = found[1][1] if len(found) > 1 else found[0][1] - 0.05
        sentences = [
            ask_sentence(book, a, sim, who_confidence(sim, sim - (second if i == 0 else found[0][1])))
            for i, (a, sim) in enumerate(found)
        ]
        if (sentences[0].similarity or 0.0) < WHO_MIN_SIMILARITY:
            sentences[0].confidence = min(sentences[0].confidence or 0.0, LOOKUP_SENTENCE)
    best = sentences[0]
    others = bounded(sentences[1:4], best.confidence, keep_first=False)
    # The passages search finds for the question (its sender named) support the answer, as
    # they do a sentence answer: the reader sees the letters around the asks.
    res = ans.search.search(question, top_k=top_k, filters=filters)
    supporting = [] if res.off_topic else res.hits
    if (best.confidence or 0.0) < ans.answer_threshold:
        reason = (
            f"low confidence ({best.confidence or 0.0:.3f} < {ans.answer_threshold:.3f}): "
            f"none of {org}'s asks is clearly about the question"
        )
        return Answer(question, None, supporting, reason, elapsed_ms(t0), [best, *others][:3], best.confidence)
    answer = dataclasses.replace(best, text=f"{org}: {best.text}")
    return Answer(question, answer, supporting, None, elapsed_ms(t0), others, best.confidence)


def ask_sentence(book: AskBook, a: Ask, similarity: float | None, conf: float) -> ScoredSentence:
    """An ask as an answer or candidate: its text, offsets and citation, ranked by its cosine."""
    doc = book.documents[a.doc_id]
    return ScoredSentence(
        a.text,
        doc,
        a.id,
        a.char_start,
        a.char_end,
        similarity,
        similarity or conf,
        citation(doc, book.document),
        confidence=conf,
        kind="ask",
    )
