"""Words of queries and sender names, and which words name a sender (a corpus statistic)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from qa_service.store.keyword import STOPWORDS

_WORD = re.compile(r"\w[\w()-]*\w|\w")


# A registration number (kenmerk) as letters and replies carry it: it stands in a letter's head.
REFERENCE_NUMBER = re.compile(r"\b\d{6,12}\b")


def has_words(text: str) -> bool:
    """Any letter or digit: zero-width spaces, control characters or "???" ask nothing."""
    return any(ch.isalnum() for ch in text)


def words(text: str) -> set[str]:
    """Lower-cased words of two or more characters (hyphens and brackets kept inside a word)."""
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 2}


@lru_cache(maxsize=65536)
def sender_words(sender: str) -> frozenset[str]:
    return frozenset(words(sender))


def sender_candidates(senders: Iterable[str]) -> set[str]:
    """Words in few of the senders' names (at most a tenth of them): candidates for naming one."""
    senders = set(senders)
    freq: dict[str, int] = {}
    for s in senders:
        for w in words(s):
            freq[w] = freq.get(w, 0) + 1
    limit = max(1, len(senders) // 10)
    return {w for w, n in freq.items() if n <= limit and w not in STOPWORDS and len(w) >= 3 and not w.isdigit()}


def sender_terms(
    senders: Iterable[str], passage_frequency: dict[str, int], n_passages: int, max_passage_share: float = 0.02
) -> frozenset[str]:
    """Words that identify a sender: in few senders' names and in few passages.

    A word of a sender's name that stands in more than 1 in 50 passages ("kinderen", "water",
    "werk") names a topic as often as the sender, and a query using it is not about that sender.

    Args:
        senders: the distinct senders of searchable documents (replies excluded).
        passage_frequency: for (at least) every candidate word, the passages whose `words()` hold it.
        n_passages: all passages.
    """
    cap = max(1.0, max_passage_share * n_passages)
    return frozenset(w for w in sender_candidates(senders) if passage_frequency.get(w, 0) <= cap)
