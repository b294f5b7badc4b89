"""Retrieval legs over a `Store`: passage vectors, sentence vectors, BM25.

Each leg returns candidate rows with the score it ranks them by; filters are the store's to
apply, before ranking. Cosines of texts in the query's language are lowered by `language_bias`
for ranking: E5 scores a pair of texts in the same language about 0.01 higher than a pair across
languages (measured in docs/evaluation.md), and an English question then prefers the few English
passages of a Dutch corpus over the Dutch passage that answers it. Thresholds use raw cosines.
"""

from __future__ import annotations

import numpy as np

from qa_service.retrieval.store import KeywordHits, Store
from qa_service.retrieval.types import Filters


def dense_leg(
    store: Store,
    qvec: np.ndarray,
    filters: Filters,
    n: int,
    english: bool,
    language_bias: float,
    sentence_weight: float,
) -> tuple[dict[int, float], dict[int, tuple[float, int]]]:
    """Dense candidates: passage cosines, and the best sentence of each passage.

    Returns ({row: passage cosine}, {row: (best sentence cosine, sentence row)}); the second is
    empty when the sentence leg is off.
    """
    pscores, prows = store.search_passages(qvec, n, filters)
    pscores = pscores - language_bias * (store.passage_english(prows) == english)
    pcos = {int(r): float(c) for r, c in zip(prows.tolist(), pscores.tolist(), strict=True)}
    if sentence_weight <= 0:
        return pcos, {}
    sscores, srows, sprows = store.search_sentences(qvec, n * 3, filters)
    if len(srows) == 0:
        return pcos, {}
    sscores = sscores - language_bias * (store.sentence_english(srows) == english)
    best: dict[int, tuple[float, int]] = {}
    for i in np.argsort(-sscores, kind="stable").tolist():
        prow = int(sprows[i])
        if prow not in best:
            best[prow] = (float(sscores[i]), int(srows[i]))
    pcos.update(passage_cosines(store, [r for r in best if r not in pcos], qvec, english, language_bias))
    return pcos, best


def passage_cosines(
    store: Store, rows: list[int], qvec: np.ndarray, english: bool, language_bias: float
) -> dict[int, float]:
    """Ranking cosines of passages no leg scored yet, with the same-language correction."""
    if not rows:
        return {}
    arr = np.array(rows, dtype=np.int64)
    cos = store.passage_vectors(arr) @ qvec - language_bias * (store.passage_english(arr) == english)
    return {r: float(c) for r, c in zip(rows, cos.tolist(), strict=True)}


def keyword_leg(store: Store, terms: list[str], n: int, filters: Filters) -> KeywordHits:
    """BM25 candidates (only passages sharing a term), and the score of any other passage."""
    return store.keyword(terms, n, filters)
