"""Highlights: the sentence of a passage that shares most query terms, with those words marked."""

from __future__ import annotations

import re

from qa_service.chunking import Passage
from qa_service.retrieval.types import Highlight
from qa_service.sentences import sentence_spans
from qa_service.store.keyword import analyze


def highlight(p: Passage, terms: set[str]) -> Highlight | None:
    """The sentence sharing most (stemmed) query `terms`, offsets in the document's clean text."""
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
