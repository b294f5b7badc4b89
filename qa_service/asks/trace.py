"""Asks -> the agreement passages that bear on them, and what the agreement does with each ask.

Three legs rank the agreement's passages for one ask: the cosine of the ask and the passage's
best sentence, the cosine of the ask and the whole passage, and Dutch BM25 over the agreement
alone; reciprocal-rank fusion merges them (measured on the dev asks and our own, see
docs/evaluation.md: fusion beat every single leg). Every vector comes from the index (passages
and sentences are embedded already) or the embedding cache; nothing here calls the encoder.

The status is read from signals of the best sentence (asks/status.py): how close it is, which
specific terms it shares with the ask, and whether the agreement commits ("we investeren",
"we voeren ... in"), only explores ("we onderzoeken", "we verkennen") or turns it down.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from qa_service.asks.models import AgreementMatch, Ask
from qa_service.asks.status import Signals, features, judge
from qa_service.chunking import Passage
from qa_service.store.folder.bm25 import KeywordIndex
from qa_service.store.keyword import analyze

FUSION_K = 60
# Passage-sentence, passage and keyword legs, equal weights (dev and own asks, docs/evaluation.md).
LEG_WEIGHTS = (1.0, 1.0, 1.0)
MATCHES = 5  # agreement passages kept per ask
POOL = 40  # candidates per leg


@dataclass
class Agreement:
    """The agreement side, held in memory: its passages, sentences, vectors and a BM25 index.

    `passage_vectors` (P, dim) and `sentence_vectors` (S, dim) are float32, L2-normalised;
    `sentence_passage` (S,) maps each sentence to its passage; `sentence_spans` (S, 2) are the
    sentence's char offsets in its document's text.
    """

    passages: list[Passage]
    texts: list[str]  # each passage's text
    sentence_text: list[str]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_passage: np.ndarray
    sentence_spans: np.ndarray
    keyword: KeywordIndex
    df: dict[str, int]  # stem -> number of agreement passages holding it
    fingerprint: str = ""  # changes when any agreement passage does: traces of it are then stale
    _by_id: dict[str, Passage] | None = None

    @classmethod
    def build(
        cls,
        passages: list[Passage],
        passage_vectors: np.ndarray,
        sentences: list[tuple[int, int, int, str]],
        sentence_vectors: np.ndarray,
        headings: list[str],
    ) -> Agreement:
        """`sentences`: (passage index, start, end, text); `headings`: each passage's heading path."""
        texts = [p.text for p in passages]
        keyword = KeywordIndex.build([f"{h}\n{t}" for h, t in zip(headings, texts, strict=True)])
        df: dict[str, int] = {}
        for t in texts:
            for stem in set(analyze(t)):
                df[stem] = df.get(stem, 0) + 1
        digest = hashlib.sha256("\x00".join(f"{p.id}\x01{p.text}" for p in passages).encode()).hexdigest()
        return cls(
            passages,
            texts,
            [s[3] for s in sentences],
            passage_vectors.astype(np.float32),
            sentence_vectors.astype(np.float32),
            np.asarray([s[0] for s in sentences], dtype=np.int64),
            np.asarray([(s[1], s[2]) for s in sentences], dtype=np.int64).reshape(-1, 2),
            keyword,
            df,
            digest,
        )

    def __len__(self) -> int:
        return len(self.passages)

    def passage(self, passage_id: str) -> Passage | None:
        if self._by_id is None:
            self._by_id = {p.id: p for p in self.passages}
        return self._by_id.get(passage_id)


def _rrf(scores: list[np.ndarray], weights: tuple[float, ...], n: int) -> np.ndarray:
    fused = np.zeros(n, dtype=np.float64)
    for s, w in zip(scores, weights, strict=True):
        order = np.argsort(-s, kind="stable")[:POOL]
        fused[order] += w / (FUSION_K + 1 + np.arange(len(order)))
    return fused


_NUMBER = re.compile(r"\d[\d.,]*")


def specific_terms(text: str, agreement: Agreement) -> set[str]:
    """The ask's stems that are rare in the agreement (in at most 3% of its passages) or numbers:
    names of laws, funds, programmes, compounds. Common words ("zorg", "kabinet") say little."""
    limit = max(2, int(0.03 * len(agreement)))
    return {t for t in analyze(text) if len(t) >= 4 and agreement.df.get(t, 0) <= limit} | set(_NUMBER.findall(text))


def trace(asks: list[Ask], vectors: np.ndarray, agreement: Agreement) -> None:
    """Fill in each ask's agreement matches (best first), status, confidence and probabilities.

    `vectors` (len(asks), dim): the asks' embeddings, L2-normalised.
    """
    if not asks:
        return
    if len(agreement) == 0:
        for a in asks:
            a.agreement = []
            a.status, a.probabilities = judge(None)
            a.confidence = a.probabilities[a.status]
        return
    n = len(agreement)
    sent_sims = vectors @ agreement.sentence_vectors.T  # (asks, S)
    pass_sims = vectors @ agreement.passage_vectors.T  # (asks, P)
    for i, ask in enumerate(asks):
        best_sent = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(best_sent, agreement.sentence_passage, sent_sims[i])
        keyword = agreement.keyword.term_scores(analyze(ask.text))
        fused = _rrf([best_sent, pass_sims[i], keyword], LEG_WEIGHTS, n)
        order = [int(j) for j in np.argsort(-fused, kind="stable")[:MATCHES] if fused[j] > 0]
        terms = specific_terms(ask.text, agreement)
        matches: list[AgreementMatch] = []
        signals: list[Signals] = []
        for j in order:
            rows = np.flatnonzero(agreement.sentence_passage == j)
            k = int(rows[np.argmax(sent_sims[i, rows])]) if len(rows) else -1
            sentence = agreement.sentence_text[k] if k >= 0 else agreement.texts[j]
            start, end = (
                (int(agreement.sentence_spans[k, 0]), int(agreement.sentence_spans[k, 1]))
                if k >= 0
                else (agreement.passages[j].char_start, agreement.passages[j].char_end)
            )
            sig = Signals.of(
                ask.text,
                sentence,
                agreement.texts[j],
                float(sent_sims[i, k]) if k >= 0 else float(pass_sims[i, j]),
                float(pass_sims[i, j]),
                terms,
                float(keyword[j]),
            )
            signals.append(sig)
            p = agreement.passages[j]
            matches.append(
                AgreementMatch(
                    p.id, p.doc_id, round(float(fused[j]), 5), round(sig.similarity, 4), start, end, sig.stance
                )
            )
        ask.agreement = matches
        # How far the best sentence stands above the ask's usual closeness to the agreement: a
        # generic ask ("investeer in de zorg") is close to many sentences, a specific one to few.
        typical = float(np.sort(sent_sims[i])[-20:].mean())
        share = len(terms & signals[0].terms) / max(1, len(terms)) if signals else 0.0
        ask.features = features(signals, typical, share) if signals else []
        ask.status, ask.probabilities = judge(ask.features or None)
        ask.confidence = ask.probabilities[ask.status]
