"""What an answer is made of: a scored sentence with its citation, an answer, a fact check.

Shared by the sentence answerer (`answer.py`) and the answers from asks (`asks/answers.py`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from qa_service.confidence import Features
from qa_service.corpus import Document
from qa_service.corpus.metadata import dutch_date
from qa_service.retrieval.types import Hit

Lookup = Callable[[str], Document | None]  # a document by id, from wherever the corpus lives


def citation(doc: Document, documents: Lookup | None = None) -> str:
    """A human-readable source, e.g. "Brief van NVZ aan de informateur, 26 november 2025, kenmerk 202500736"."""
    when = dutch_date(doc.date)
    tail = "".join(
        x
        for x in (
            f", {when}" if when else "",
            f", kenmerk {doc.registration_number}" if doc.registration_number else "",
        )
    )
    who = doc.sender_short or "onbekende afzender"
    if doc.kind == "agreement_section":
        return "Coalitieakkoord, " + " > ".join(doc.heading_path) if doc.heading_path else "Coalitieakkoord"
    if doc.kind == "reply":
        letter = documents(doc.in_reply_to) if documents and doc.in_reply_to else None
        to = (letter.sender_short if letter else None) or doc.addressee or "de afzender"
        return f"Antwoord van de informateur aan {to}{tail}"
    parent = documents(doc.parent_id) if documents and doc.parent_id else None
    # A letter answered by the informateur was addressed to the informateur (an enclosed letter
    # was addressed to someone else: only an attachment goes by its letter).
    answered = (parent if doc.kind == "attachment" and parent else doc).reply_id is not None
    to = " aan de informateur" if answered else ""
    if doc.kind == "attachment":
        return f"Bijlage bij de brief van {who}{to}{tail}"
    return f"Brief van {who}{to}{tail}"


@dataclass
class ScoredSentence:
    text: str
    document: Document
    passage_id: str
    char_start: int  # in the document's clean text
    char_end: int
    similarity: float | None  # cosine of question/claim and sentence; None for a document fact
    score: float  # similarity - same-language correction + bonuses: the ranking key
    citation: str
    # Calibrated for an answer and its candidates; None for factcheck evidence (not an answer).
    confidence: float | None = None
    kind: str = "sentence"  # "sentence" (from the text) or "fact" (from the document's metadata)
    overlap: float = 0.0  # share of the question's (claim's) stemmed terms the sentence holds
    features: Features | None = field(default=None, repr=False, compare=False)


@dataclass
class Answer:
    question: str
    answer: ScoredSentence | None
    supporting: list[Hit]
    reason: str | None
    took_ms: float
    # The best sentences of different passages: what a reader checks when `answer` is null.
    candidates: list[ScoredSentence] = field(default_factory=list)
    confidence: float | None = None  # of the answer shown, or of the best candidate


@dataclass
class FactCheck:
    claim: str
    status: str  # evidence_found | no_evidence
    evidence: list[ScoredSentence]
    groups: dict[str, list[ScoredSentence]] = field(default_factory=dict)
    reason: str | None = None
    took_ms: float = 0.0


def bounded(candidates: list[ScoredSentence], bound: float | None, keep_first: bool = True) -> list[ScoredSentence]:
    """Candidates with confidences no higher than the answer's, the most confident first (after
    the best-ranked sentence, which leads when it is the answer that was not shown).

    The model is fitted on the best sentence of each question; another passage's sentence scored
    by it is not calibrated (measured: wide candidates from another sender reached 0.6), and a
    candidate more confident than the answer box would contradict it.
    """
    if bound is None:
        return candidates
    out = [dataclasses.replace(c, confidence=min(c.confidence or 0.0, bound)) for c in candidates]
    head = out[:1] if keep_first else []
    return head + sorted(out[len(head) :], key=lambda c: -(c.confidence or 0.0))


def elapsed_ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
