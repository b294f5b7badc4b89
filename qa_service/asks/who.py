""" "Who asks for X?": questions about which organisations ask something, answered from the asks.

"Wie wil een functionaris toegankelijkheid?", "Welke organisaties pleiten voor ...?", "Who asks
for ...?": the question names an act of asking and leaves the asker open. The answer names every
organisation whose ask matches (several when several ask it), each with its ask and citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa_service.asks.book import AskBook, organisations_of
from qa_service.asks.models import Ask
from qa_service.retrieval.types import Filters

_I = re.IGNORECASE
_ASKER = (
    r"(?:wie|welke\s+(?:\w+\s+)?(?:organisaties?|partij(?:en)?|instanties?|gemeenten?|verenigingen?|koepels?|afzenders?"
    r"|briefschrijvers?)|who|which\s+(?:\w+\s+)?(?:organi[sz]ations?|groups?|bodies|parties|senders?)"
    r"|what\s+(?:\w+\s+)?(?:organi[sz]ations?|groups?))"
)
_ASKING = (
    r"(?:vraagt|vragen|vroeg|vroegen|wil|willen|wilde|pleit|pleiten|pleitte|roept|roepen|riep|verzoekt|verzoeken"
    r"|eist|eisen|wenst|wensen|bepleit|bepleiten|stelt\s+voor|stellen\s+voor|beveelt|bevelen|adviseert|adviseren"
    r"|dringt|dringen|maakt\s+zich\s+sterk|maken\s+zich\s+sterk|asks?|asked|asking|calls?|called|wants?|wanted"
    r"|urges?|urged|advocates?|demands?|requests?|requested|proposes?|proposed|recommends?|recommended|pushes|lobbies)"
)
WHO_ASKS = re.compile(rf"^\s*{_ASKER}\b(?:\s+\w+){{0,3}}?\s+{_ASKING}\b\s*(?P<what>.*)$", _I)
_LEAD = re.compile(
    r"^(?:(?:er\s+)?(?:om|op|voor|aan|dat|for|that|to|on|the\s+cabinet\s+to|het\s+kabinet\s+om)\s+)+", _I
)

# An ask this close to the question (cosine, E5) names the same concrete demand; measured on our
# "who asks" questions (docs/evaluation.md). Organisations within WHO_BAND of the best ask are
# named together: they ask the same.
WHO_MIN_SIMILARITY = 0.84
WHO_BAND = 0.015


def who_confidence(similarity: float, best: float) -> float:
    """How likely an organisation really asks what the question names (fitted, docs/evaluation.md)."""
    import math

    z = 40.0 * (similarity - 0.86) + 10.0 * (similarity - best)
    return round(1.0 / (1.0 + math.exp(-z)), 3)


def who_asks(question: str) -> str | None:
    """The X of "who asks for X", or None when the question is not of that form."""
    m = WHO_ASKS.match(question.strip())
    if not m:
        return None
    what = _LEAD.sub("", m.group("what").strip().rstrip("?").strip())
    return what or None


@dataclass
class Asker:
    """One organisation's best matching ask."""

    organisation: str
    ask: Ask
    similarity: float


def askers(book: AskBook, qvec: np.ndarray, query: str, filters: Filters | None = None, k: int = 5) -> list[Asker]:
    """Organisations whose asks match the query best first, one (their best ask) per organisation."""
    out: list[Asker] = []
    seen: set[str] = set()
    for ask, sim in book.search(qvec, query, k * 8, filters):
        orgs = organisations_of(book.documents[ask.doc_id])
        name = orgs[0] if orgs else "onbekende afzender"
        if name in seen:
            continue
        seen.add(name)
        out.append(Asker(name, ask, sim))
        if len(out) == k:
            break
    return out
