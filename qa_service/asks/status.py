"""What the agreement does with an ask: `addressed`, `related` or `absent`, with calibrated odds.

The signals are read from the agreement passages that tracing ranked first:

- `similarity`: the cosine of the ask and the passage's best sentence (E5 puts unrelated text
  around 0.75-0.80 and a paraphrase of the same measure above ~0.86);
- `shared`: how many of the ask's specific terms (rare in the agreement, or numbers) the passage
  holds: the name of a law, a fund, a compound such as "noodopvang";
- `stance`: what the best sentence does: `commits` ("we investeren", "we voeren ... in", "komt
  er"), `hedges` ("we onderzoeken", "we verkennen", "we bezien") or `rejects` (a negation of the
  measure, "we schaffen ... af"); `states` otherwise.

A small multinomial logistic model turns the signals of the best match (and how many of the top
three commit) into the three probabilities. Its weights are fitted by `scripts/calibrate_asks.py`
on the dev asks and our own labelled asks (never on a held-out set) and written below. A wrong
"addressed" misleads a reader most, so the model is fitted with that in mind and `addressed` is
only given above its own threshold (ADDRESSED_MIN); otherwise the better of the other two.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from qa_service.asks.models import STATUSES, Status
from qa_service.store.keyword import analyze

_I = re.IGNORECASE
_COMMITS = re.compile(
    r"\b(?:we|wij|het kabinet|de overheid|de regering)\s+(?:\w+\s+){0,2}?(?:investeren|investeert|zorgen|zorgt|voeren|"
    r"maken|gaan|verhogen|verlagen|verlengen|versterken|verbeteren|schaffen|breiden|ondersteunen|houden|richten|"
    r"creëren|bouwen|stellen|zetten|nemen|brengen|geven|komen|trekken|bieden|beperken|verkorten|vergroten|verminderen|"
    r"regelen|leggen|verplichten|introduceren|realiseren|garanderen|borgen|handhaven|behouden|financieren|starten|"
    r"verdubbelen|intensiveren|verruimen|vereenvoudigen|stimuleren|helpen|kiezen|schrappen|herstellen|hervormen|"
    r"vernieuwen|ontwikkelen|werken|pakken|continueren|voorkomen)\b"
    r"|\b(?:komt|komen) er\b|\bwordt (?:verhoogd|verlaagd|ingevoerd|afgeschaft|verlengd|uitgebreid|verplicht|"
    r"gegarandeerd|structureel)\b|\b(?:extra|structureel)\s+(?:\w+\s+)?(?:miljoen|miljard|middelen|geld)\b",
    _I,
)
_HEDGES = re.compile(
    r"\b(?:onderzoeken|onderzoekt|verkennen|verkent|bezien|bekijken|kijken of|kijken we|overwegen|streven naar"
    r"|verkenning|onderzoek naar|in gesprek|gaan na|nagaan|evalueren|evalueert|denkbaar|mogelijk maken om te)\b",
    _I,
)
_REJECTS = re.compile(
    r"\b(?:niet langer|geen (?:\w+\s+)?meer|afschaffen|schaffen\b.{0,60}?\baf|stoppen met|beëindigen|beperken"
    r"|onverkort uit|terugdringen|niet meer)\b",
    _I,
)


def stance(sentence: str) -> str:
    if _HEDGES.search(sentence):
        return "hedges"
    if _REJECTS.search(sentence):
        return "rejects"
    if _COMMITS.search(sentence):
        return "commits"
    return "states"


@dataclass
class Signals:
    """What one agreement passage says to one ask."""

    similarity: float  # cosine of the ask and the passage's best sentence
    passage_similarity: float  # cosine of the ask and the whole passage
    shared: int  # the ask's specific terms the passage holds
    shared_sentence: int  # ... that the best sentence holds
    overlap: float  # share of the ask's stems the best sentence holds
    keyword: float  # BM25 score of the passage for the ask
    stance: str
    terms: frozenset[str] = frozenset()  # the ask's specific terms the passage holds

    @classmethod
    def of(
        cls,
        ask: str,
        sentence: str,
        passage: str,
        similarity: float,
        passage_similarity: float,
        terms: set[str],
        keyword: float,
    ) -> Signals:
        passage_stems = set(analyze(passage)) | set(re.findall(r"\d[\d.,]*", passage))
        sentence_stems = set(analyze(sentence)) | set(re.findall(r"\d[\d.,]*", sentence))
        ask_stems = set(analyze(ask))
        return cls(
            similarity,
            passage_similarity,
            len(terms & passage_stems),
            len(terms & sentence_stems),
            len(ask_stems & sentence_stems) / max(1, len(ask_stems)),
            keyword,
            stance(sentence),
            frozenset(terms & passage_stems),
        )


def features(signals: list[Signals], typical: float, share: float) -> list[float]:
    """The model's inputs for one ask, from its matches best first.

    Measured on our labelled asks (docs/evaluation.md), three signals carried what the others
    (passage cosine, the stance of the sentence, the cosine's lead over the ask's usual closeness
    `typical`, the share of specific terms `share`) could add without overfitting 158 asks: how
    close the best sentence of the first three passages is, how many specific terms it shares with
    the ask, and what share of the ask's stems it holds.
    """
    top3 = signals[:3]
    best = max(top3, key=lambda s: s.similarity)
    return [best.similarity, min(3.0, float(best.shared_sentence)), best.overlap]


FEATURES = ("similarity", "shared_sentence", "overlap")
# Fitted by scripts/calibrate_asks.py (docs/evaluation.md): rows addressed, related, absent.
MEANS = (0.8967, 0.7911, 0.1514)
WEIGHTS = (
    (14.87, -0.02112, 1.82),
    (-6.237, 0.2019, 0.09623),
    (-8.635, -0.1808, -1.916),
)
BIAS = (0.2041, 0.3665, -0.5706)
# "addressed" only at this probability or more: a wrong "addressed" misleads most.
ADDRESSED_MIN = 0.5
# "absent" at this probability or more (the rarest status; argmax alone never gave it).
ABSENT_MIN = 0.3


def probabilities(x: list[float]) -> dict[str, float]:
    z = [
        b + sum(w * (v - m) for w, v, m in zip(ws, x, MEANS, strict=True)) for ws, b in zip(WEIGHTS, BIAS, strict=True)
    ]
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return {s: round(v / total, 4) for s, v in zip(STATUSES, e, strict=True)}


def decide(p: dict[str, float]) -> Status:
    if p["addressed"] >= ADDRESSED_MIN:
        return "addressed"
    return "absent" if p["absent"] >= ABSENT_MIN else "related"


def judge(x: list[float] | None) -> tuple[Status, dict[str, float]]:
    """The status and every status's probability from the features; none (no agreement) is `absent`."""
    if not x:
        return "absent", {"addressed": 0.0, "related": 0.0, "absent": 1.0}
    p = probabilities(x)
    return decide(p), p
