"""Core objects -> plain JSON-able dicts, shared by the CLI, the API and the scripts."""

from __future__ import annotations

from typing import Any

from qa_service.answer_model import Answer, ScoredSentence
from qa_service.corpus import Document
from qa_service.search import Hit


def document_ref(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "title": d.title,
        "subject": d.subject,
        "sender": d.sender,
        "signatory": d.signatory,
        "signatory_role": d.signatory_role,
        "date": d.date,
        "registration_number": d.registration_number,
        "source_file": d.source_file,
        "line_start": d.line_start,
        "line_end": d.line_end,
        "heading_path": d.heading_path,
        "parent_id": d.parent_id,
        "organisations": d.organisations,
        "aliases": d.aliases,
    }


def hit_dict(h: Hit) -> dict[str, Any]:
    p = h.passage
    return {
        "rank": h.rank,
        "passage_id": p.id,
        "text": p.text,
        "char_start": p.char_start,
        "char_end": p.char_end,
        "highlight": None
        if h.highlight is None
        else {
            "sentence": h.highlight.sentence,
            "char_start": h.highlight.char_start,
            "char_end": h.highlight.char_end,
            "terms": h.highlight.terms,
            "marked": h.highlight.marked,
        },
        "role": p.role,
        "scores": {"fused": round(h.fused, 6), "dense": round(h.dense, 4), "keyword": round(h.keyword, 4)},
        "document": document_ref(h.document),
        "duplicates": [{"passage_id": p.id, "document": document_ref(d)} for p, d in h.duplicates],
    }


def sentence_dict(s: ScoredSentence) -> dict[str, Any]:
    return {
        "text": s.text,
        "passage_id": s.passage_id,
        "char_start": s.char_start,
        "char_end": s.char_end,
        "similarity": None if s.similarity is None else round(s.similarity, 4),
        "confidence": None if s.confidence is None else round(s.confidence, 3),
        "kind": s.kind,
        "citation": s.citation,
        "document": document_ref(s.document),
    }


def ask_dict(a: Answer) -> dict[str, Any]:
    """An /v1/ask response without the index block (the API adds it)."""
    return {
        "question": a.question,
        "answer": sentence_dict(a.answer) if a.answer else None,
        "confidence": None if a.confidence is None else round(a.confidence, 3),
        "reason": a.reason,
        "candidates": [sentence_dict(c) for c in a.candidates],
        "supporting": [hit_dict(h) for h in a.supporting],
        "took_ms": a.took_ms,
    }
