"""Asks -> plain JSON-able dicts, the one shape every face shows (HTTP, CLI, MCP, web page)."""

from __future__ import annotations

from typing import Any

from qa_service.answer_model import citation
from qa_service.asks.book import AskBook, organisations_of
from qa_service.asks.models import Ask
from qa_service.corpus import Document
from qa_service.errors import InvalidQuery
from qa_service.retrieval.terms import has_words
from qa_service.retrieval.types import Filters
from qa_service.search import SearchService

# The status in words, for readers (the web page shows these; the API returns both).
STATUS_WORDS = {
    "addressed": "het akkoord neemt het over",
    "related": "het akkoord spreekt erover, zonder het toe te zeggen",
    "absent": "het akkoord zegt er niets over",
}


def document_view(doc: Document, book: AskBook) -> dict[str, Any]:
    return {
        "id": doc.id,
        "kind": doc.kind,
        "title": doc.title,
        "sender": doc.sender,
        "organisations": organisations_of(doc),
        "date": doc.date,
        "registration_number": doc.registration_number,
        "source_file": doc.source_file,
        "line_start": doc.line_start,
        "line_end": doc.line_end,
        "parent_id": doc.parent_id,
        "citation": citation(doc, book.document),
    }


def ask_view(ask: Ask, book: AskBook, matches: int = 3) -> dict[str, Any]:
    """One ask with its document and the agreement passages that bear on it (best first)."""
    doc = book.documents[ask.doc_id]
    agreement = []
    for m in ask.agreement[:matches]:
        passage = book.agreement.passage(m.passage_id)
        section = book.documents.get(m.doc_id)
        if passage is None or section is None:
            continue
        agreement.append(
            {
                "passage_id": m.passage_id,
                "document_id": m.doc_id,
                "text": passage.text,
                "char_start": passage.char_start,
                "char_end": passage.char_end,
                "heading_path": list(section.heading_path),
                "sentence": {
                    "text": section.text[m.sentence_start : m.sentence_end],
                    "char_start": m.sentence_start,
                    "char_end": m.sentence_end,
                },
                "similarity": m.similarity,
                "commitment": m.commitment,
                "citation": citation(section),
            }
        )
    return {
        "id": ask.id,
        "text": ask.text,
        "char_start": ask.char_start,
        "char_end": ask.char_end,
        "topic": ask.topic,
        "cue": ask.cue,
        "status": ask.status,
        "status_text": STATUS_WORDS[ask.status],
        "confidence": round(ask.confidence, 3),
        "probabilities": ask.probabilities,
        "chapter": book.chapter_of(ask),
        "document": document_view(doc, book),
        "citation": citation(doc, book.document),
        "agreement": agreement,
    }


def search_view(
    book: AskBook, search: SearchService, query: str, top_k: int, filters: Filters | None
) -> dict[str, Any]:
    """ "Who asks for X": the asks closest to the query grouped by organisation, best first."""
    if not has_words(query):
        raise InvalidQuery("query is empty: it has no words")
    qvec = search.encode_query(query)
    groups: dict[str, dict[str, Any]] = {}
    for ask, sim in book.search(qvec, query, top_k * 4, filters):
        doc = book.documents[ask.doc_id]
        orgs = organisations_of(doc) or ["onbekende afzender"]
        group = groups.setdefault(
            orgs[0], {"organisation": orgs[0], "organisations": orgs, "similarity": round(sim, 4), "asks": []}
        )
        if len(group["asks"]) < 3:
            group["asks"].append({**ask_view(ask, book), "similarity": round(sim, 4)})
    ordered = list(groups.values())[:top_k]
    return {"query": query, "groups": ordered, "reason": None if ordered else "no asks match the query"}
