"""Ranking that knows no store: fusion of the legs, sender boost, per-document cap, folding of
near-duplicates. Takes candidates (rows with scores) and the little it needs about them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.retrieval.terms import sender_words
from qa_service.retrieval.types import Hit, Mode, Owner

_TOKEN_RE = re.compile(r"\w+")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def keyword_weight(mode: Mode, weight: float, coverage: float, english: bool) -> float:
    """The keyword leg's weight in fusion.

    It scales with the share of query terms the corpus vocabulary knows, and drops for English:
    an English question shares few terms with Dutch text, and its BM25 ranking is then noise that
    plain fusion would let drown the dense leg.
    """
    w_kw = weight * coverage**2 if mode == "hybrid" else 1.0
    if mode == "hybrid" and english:
        w_kw *= 0.1
    return w_kw


def rrf(
    dense: dict[int, float],
    kw: dict[int, float],
    w_kw: float,
    k: int,
    sentence_weight: float,
    sent: dict[int, float] | None = None,
) -> dict[int, float]:
    """Weighted reciprocal-rank fusion of the passage, keyword and (optional) sentence legs."""
    fused: dict[int, float] = {}
    for i, r in enumerate(sorted(sent or {}, key=lambda r: -(sent or {})[r])):
        fused[r] = fused.get(r, 0.0) + sentence_weight / (k + i + 1)
    for i, r in enumerate(sorted(dense, key=lambda r: -dense[r])):
        fused[r] = fused.get(r, 0.0) + 1.0 / (k + i + 1)
    for i, r in enumerate(sorted(kw, key=lambda r: -kw[r])):
        fused[r] = fused.get(r, 0.0) + w_kw / (k + i + 1)
    return fused


def convex(
    dense: dict[int, float], kw: dict[int, float], w_kw: float, cosines: Callable[[list[int]], dict[int, float]]
) -> dict[int, float]:
    """Convex combination of min-max normalised scores over the union of both legs' candidates.

    Unlike rank fusion it keeps how far ahead a leg's best hit is: a passage that BM25 ranks
    far above the rest is not outvoted by passages that are mediocre in both legs. `cosines`
    gives the (corrected) cosines of keyword candidates the dense leg did not score.
    """
    rows = sorted(set(dense) | set(kw))
    if not rows:
        return {}
    d = dict(dense)
    d.update(cosines([r for r in rows if r not in dense]))
    lo = min(dense.values()) if dense else min(d.values())
    hi = max(d.values())
    span = max(hi - lo, 1e-6)
    kmax = max(kw.values()) if kw else 1.0
    return {r: max(0.0, (d[r] - lo) / span) + w_kw * kw.get(r, 0.0) / kmax for r in rows}


def boost_senders(fused: dict[int, float], named: list[str], owners: dict[int, Owner], bonus: float) -> None:
    """Add `bonus` per named sender word to the passages of documents whose sender has that word."""
    for t in named:
        for r in fused:
            sender = owners[r].sender
            if sender and t in sender_words(sender):
                fused[r] += bonus


def diversify(order: list[int], doc_ids: list[str], cap: int) -> list[int]:
    """Move every passage past the `cap`-th of its document behind the others (stable otherwise),
    so one long document cannot fill the whole result list when a question spans letters."""
    seen: dict[str, int] = {}
    first: list[int] = []
    rest: list[int] = []
    for r, d in zip(order, doc_ids, strict=True):
        seen[d] = seen.get(d, 0) + 1
        (first if seen[d] <= cap else rest).append(r)
    return first + rest


@lru_cache(maxsize=65536)
def shingles(text: str) -> frozenset[int]:
    """Hashed word 5-grams: two passages sharing half of theirs say the same thing."""
    words = _TOKEN_RE.findall(text.lower())
    return frozenset(hash(tuple(words[i : i + 5])) for i in range(len(words) - 4))


@lru_cache(maxsize=65536)
def numbers(text: str) -> Counter[str]:
    """The passage's figures (digit runs, "1.000" and "2,5" as one), each as often as it occurs."""
    return Counter(_NUMBER_RE.findall(text))


def duplicate_of(passage: Passage, document: Document, hits: list[Hit], overlap: float) -> Hit | None:
    """The kept hit of another document that says (nearly) what `passage` says, if any.

    Near-duplicate: the share of the shorter passage's word 5-grams found in the other is at
    least `overlap`, and every figure of `passage` is in the kept hit as often. Two letters that
    differ in one number ("400" or "500 vierkante kilometer") share nearly all their 5-grams,
    but folding one would hide the other figure. Passages of one document overlap by design (a
    sentence carried over at a split) and are kept apart by the per-document cap instead.
    """
    a = shingles(passage.text)
    if not a or overlap > 1.0:
        return None
    figures = numbers(passage.text)
    for h in hits:
        b = shingles(h.passage.text)
        if b and h.document.id != document.id and len(a & b) >= overlap * min(len(a), len(b)):
            if figures <= numbers(h.passage.text):
                return h
    return None


def empty_reason(mode: Mode, candidates: int, best_dense: float, threshold: float) -> str:
    """Why a search returned no hit, in the terms of its mode.

    Args:
        mode: the search mode.
        candidates: passages the legs put forward (for `keyword`, those holding a query term).
        best_dense: best dense cosine among the candidates looked at (-1.0 when none were).
        threshold: the dense-cosine threshold a hit must reach.
    """
    if mode == "keyword" and candidates == 0:
        # No cosine was computed at all, so a "best dense cosine 0.000" would point at the wrong cause.
        return "no passage contains any of the query's terms (keyword mode matches words, not meaning)"
    return (
        f"no passage is similar enough to the query (best dense cosine {max(best_dense, 0.0):.3f} "
        f"< threshold {threshold:.2f})"
    )
