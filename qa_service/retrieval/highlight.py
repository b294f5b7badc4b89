"""Highlights: the sentence of a passage that shares most query terms, with those words marked."""

from __future__ import annotations

import re
from functools import lru_cache

from qa_service.chunking import Passage
from qa_service.retrieval.types import Highlight
from qa_service.sentences import sentence_spans
from qa_service.store.keyword import analyze


def highlight(p: Passage, terms: set[str]) -> Highlight | None:
    """The sentence sharing most (stemmed) query `terms`, offsets in the document's clean text."""
    best: tuple[int, int, int] | None = None
    for a, b, stems in sentence_terms(p.text):
        n = len(terms & stems)
        if best is None or n > best[0]:
            best = (n, a, b)
    if best is None:
        return None
    _, a, b = best
    sentence = p.text[a:b]
    matched: list[str] = []

    def mark(m: re.Match[str]) -> str:
        word = m.group(0)
        stem = word_stem(word)
        if stem and stem in terms:
            matched.append(word)
            return f"<mark>{word}</mark>"
        return word

    marked = re.sub(r"\w\w+", mark, sentence)
    return Highlight(sentence, p.char_start + a, p.char_start + b, sorted(set(matched)), marked)


# Search highlights the same passages again and again (the popular ones, every repeated query):
# their sentences' terms are kept rather than re-analysed on every hit.
@lru_cache(maxsize=8192)
def sentence_terms(text: str) -> tuple[tuple[int, int, frozenset[str]], ...]:
    """Each sentence of `text` as (start, end, its stemmed terms)."""
    return tuple((a, b, frozenset(analyze(text[a:b]))) for a, b in sentence_spans(text))


@lru_cache(maxsize=65536)
def word_stem(word: str) -> str:
    """The stem of one word, or '' for a stopword."""
    stem = analyze(word)
    return stem[0] if stem else ""
