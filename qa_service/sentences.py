"""Dutch sentence boundaries that survive abbreviations (o.a., t.a.v., mr., dr., initials)."""

from __future__ import annotations

import re

_ABBREV = {
    "mr",
    "dr",
    "drs",
    "prof",
    "dhr",
    "mw",
    "mevr",
    "ir",
    "ing",
    "nr",
    "art",
    "blz",
    "bijv",
    "ca",
    "jl",
    "vs",
    "st",
    "mln",
    "mld",
    "mrd",
    "e.a",
    "o.a",
    "t.a.v",
    "m.b.t",
    "i.p.v",
    "d.w.z",
    "z.g",
}
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[A-Z“\"‘(0-9ÀÉÈÖÜ•])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans [start, end) of the sentences in `text`, covering all non-space text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start()
        before = text[start:end]
        word = re.search(r"(\S+)$", before)
        token = word.group(1).rstrip(".").lower() if word else ""
        # "mr. S. van Haersma Buma": an abbreviation or a single initial is no sentence end.
        if token in _ABBREV or re.fullmatch(r"[a-z]", token) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token):
            continue
        spans.append((start, end + (1 if text[end : end + 1] in '"”’)' else 0)))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]
