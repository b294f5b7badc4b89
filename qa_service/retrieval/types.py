"""Types shared by search, ranking and the stores (below all of them, so none imports another)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.corpus.organisations import matches_sender

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

    def kinds(self) -> list[str]:
        """The kinds searched: replies only when asked for (they are 75% boilerplate)."""
        return list(self.kind or DEFAULT_KINDS)

    def admits(self, doc: Document) -> bool:
        """Does a document pass the filters the user gave? (A fact answer's document must.)

        Kinds count only when asked for: a lookup about a reply answers from the reply, although
        replies are not searched by default. The sender is matched as search matches it: part of
        the sender's or an organisation's name, or a short name whole (a reply's sender is the
        informateur).
        """
        if self.kind and doc.kind not in self.kind:
            return False
        if self.sender and not matches_sender(doc, self.sender):
            return False
        if (self.date_from or self.date_to) and not doc.date:
            return False
        if self.date_from and (doc.date or "") < self.date_from.isoformat():
            return False
        if self.date_to and (doc.date or "") > self.date_to.isoformat():
            return False
        if self.document_id and doc.id != self.document_id:
            return False
        return not (self.source_file and doc.source_file != self.source_file)

    def key(self) -> tuple[object, ...]:
        return (
            tuple(self.kinds()),
            self.sender,
            self.date_from,
            self.date_to,
            self.document_id,
            self.source_file,
            self.envelope,
        )


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
    row: int  # the passage's row in its store
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
    # Refused by the relevance judgement: the documents do not cover the query (`reason` says so).
    off_topic: bool = False


@dataclass
class Owner:
    """What ranking needs of a candidate passage's document: its id (per-document cap) and sender."""

    doc_id: str
    sender: str | None


@dataclass
class StoreInfo:
    """What the faces report about the live store (readiness, the `index` block of responses)."""

    version: str
    built_at: str | None
    encoder: str
    documents: int
    passages: int
    sentences: int
    backend: str
    extra: dict[str, object] = field(default_factory=dict)
