"""The Dutch keyword analysis both stores' BM25 share: Snowball Dutch stemmer, Dutch stopwords."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("dutch")


_STOP = frozenset(STOPWORDS_DUTCH)
STOPWORDS = _STOP
_STOP_EN = frozenset(STOPWORDS_EN) - _STOP


def looks_english(text: str) -> bool:
    """More English than Dutch function words: the Dutch keyword leg cannot help such a query."""
    words = _TOKEN.findall(text.lower())
    en = sum(w in _STOP_EN for w in words)
    nl = sum(w in _STOP for w in words)
    return en > nl


@lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a passage, kept for the passages every search looks at again."""
    return frozenset(analyze(text))


def analyze(text: str) -> list[str]:
    """Lower-case, drop Dutch stopwords, stem: the terms BM25 indexes and queries with."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOP]
    return list(_stemmer().stemWords(words))
