"""Highlights: the sentence of a passage that shares most query terms, with those words marked.

A highlight is what a reader takes for the passage's best sentence, so it is a sentence of the
text: the pieces of a sentence span that a blank line separates (a heading, a contact line run
into the next sentence in the PDF's text) are weighed apart, and in a content passage a line of
a letter head (address, "Uw referentie", telephone, e-mail) is never chosen over a real sentence.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa_service.chunking import Passage
from qa_service.retrieval.types import Highlight
from qa_service.sentences import sentence_spans
from qa_service.store.keyword import analyze


def highlight(p: Passage, terms: set[str]) -> Highlight | None:
    """The sentence sharing most (stemmed) query `terms`, offsets in the document's clean text."""
    best: tuple[tuple[int, int], int, int] | None = None
    content = p.role != "envelope"
    for a, b, stems, head in sentence_terms(p.text):
        key = (0 if content and head else 1, len(terms & stems))
        if best is None or key > best[0]:
            best = (key, a, b)
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
def sentence_terms(text: str) -> tuple[tuple[int, int, frozenset[str], bool], ...]:
    """Each sentence of `text` as (start, end, its stemmed terms, whether it is a letter-head line)."""
    out = []
    for a, b in sentence_spans(text):
        for m in _PIECE.finditer(text, a, b):
            piece = m.group(0)
            out.append((m.start(), m.end(), frozenset(analyze(piece)), bool(_HEAD.search(piece))))
    return tuple(out)


_PIECE = re.compile(r"\S(?:.|\n(?!\s*\n))*\S|\S")  # text between blank lines
_HEAD = re.compile(
    r"(?i)\b(?:postbus|telefoon|tel\.|fax|e-?mail|uw referentie|onze referentie|ons kenmerk|uw kenmerk|uw brief"
    r"|datum|bijlage\(n\)|contactgegevens|t\.a\.v\.)(?!\w)|www\.|\S@\S|\b\d{4}\s?[A-Z]{2}\b"
)


@lru_cache(maxsize=65536)
def word_stem(word: str) -> str:
    """The stem of one word, or '' for a stopword."""
    stem = analyze(word)
    return stem[0] if stem else ""
