""" "Who asks for X?": questions about which organisations ask something, answered from the asks.

"Wie wil een functionaris toegankelijkheid?", "Welke organisaties pleiten voor ...?", "Who asks
for ...?": the question names an act of asking and leaves the asker open. The answer names every
organisation whose ask matches (several when several ask it), each with its ask and citation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qa_service.asks.book import AskBook, organisations_of
from qa_service.asks.models import Ask
from qa_service.retrieval.types import Filters

_I = re.IGNORECASE
_ASKER = (
    r"(?:wie|welke\s+(?:\w+\s+)?\w*(?:organisaties?|partij(?:en)?|instanties?|gemeenten?|vereniging(?:en)?|koepels?|overheid|overheden"
    r"|afzenders?|briefschrijvers?|burgemeesters?|raad|raden|commissies?|coalities?|federaties?|stichting(?:en)?)"
    r"|who|(?:which|what)\s+(?:\w+\s+)?\w*(?:organi[sz]ations?|groups?|bodies|parties|senders?|municipality"
    r"|municipalities|mayors?|associations?|councils?|coalitions?|federations?|foundations?))"
)
_ASKING = (
    r"(?:vraagt|vragen|vroeg|vroegen|wil|willen|wilde|pleit|pleiten|pleitte|roept|roepen|riep|verzoekt|verzoeken"
    r"|eist|eisen|wenst|wensen|bepleit|bepleiten|stelt\s+voor|stellen\s+voor|beveelt|bevelen|adviseert|adviseren"
    r"|dringt|dringen|maakt\s+zich\s+sterk|maken\s+zich\s+sterk|asks?|asked|asking|calls?|called|wants?|wanted"
    r"|urges?|urged|advocates?|demands?|requests?|requested|proposes?|proposed|recommends?|recommended|pushes|lobbies"
    r"|vindt|vinden|zegt|zeggen|stelt|stellen|meent|menen|says|said|argues?|believes?|thinks?|opposes?|insists?"
    r"|pleads?|suggests?)"
)
WHO_ASKS = re.compile(rf"^\s*{_ASKER}\b(?:\s+\w+){{0,3}}?\s+{_ASKING}\b\s*(?P<what>.*)$", _I)
_LEAD = re.compile(
    r"^(?:(?:er\s+)?(?:om|op|voor|aan|dat|for|that|to|on|the\s+cabinet\s+to|het\s+kabinet\s+om)\s+)+", _I
)

# An ask this close to the question (cosine, E5) names the same concrete demand; measured on our
# "who asks" questions (docs/evaluation.md). Organisations within WHO_BAND of the best ask are
# named together: they ask the same.
WHO_MIN_SIMILARITY = 0.815
WHO_BAND = 0.015


def who_confidence(similarity: float, margin: float) -> float:
    """How likely an organisation really asks what the question names: its ask's cosine with the
    question, and its lead over the next organisation's (negative for one behind the first).

    Set by hand from our 40 "who asks" questions (docs/evaluation.md): every first organisation at
    0.82 or more was right but one, the two below it were wrong.
    """
    z = 1.5 + 60.0 * (similarity - 0.83) + 15.0 * margin
    return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), 3)


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
