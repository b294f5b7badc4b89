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

from qa_service.asks.book import AskBook, matches_sender, organisations_of
from qa_service.asks.models import Ask
from qa_service.retrieval.types import Filters
from qa_service.store.keyword import analyze

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


# "Wat vraagt de NVZ?", "Wat wil VluchtelingenWerk veranderen aan ...?", "What does the VNG ask
# for?": the question names the asker and asks what it asks. Answered from that organisation's
# asks when the question names an organisation the letters know (else it is a plain question).
WHAT_ASKS = re.compile(
    r"^\s*(?:wat|what)\s+(?:(?:\w+\s+){0,6}?(?:vraagt|vragen|wil|willen|eist|eisen|bepleit|bepleiten|wenst|wensen"
    r"|verlangt|verlangen)|(?:does|do|did)\s+(?:\w+\s+){1,8}?(?:ask|want|request|demand|propose|urge|call)\w*)\b",
    _I,
)
# Words of such a question that are not its topic: the asking, and whom it is asked of.
_FRAME_WORDS = frozenset(
    "wat vraagt vragen wil willen eist eisen bepleit bepleiten wenst wensen verlangt verlangen nieuwe nieuw kabinet "
    "kabinetten regering formatie informateur formateur formerende partijen coalitie politiek organisatie van het "
    "de een aan om what does do did ask asks asked want wants request requests demand propose urge call for from "
    "new government cabinet formation coalition parties organisation organization the a an of to".split()
)
_WORD = re.compile(r"[\w'’()-]+")


def asks_what(question: str) -> bool:
    """Whether the question asks what someone asks ("Wat vraagt X ...?"); who is for the caller to find."""
    return WHAT_ASKS.match(question.strip()) is not None


def topic_text(question: str, names: list[str]) -> str:
    """What a "what does X ask" question is about, without its frame and X's names: "" for "Wat
    vraagt de NVZ van het nieuwe kabinet?", "internships" for "... want for internships?"."""
    named = {w.lower().strip("()") for n in names for w in _WORD.findall(n)}
    kept = [w for w in _WORD.findall(question) if w.lower().strip("()") not in named | _FRAME_WORDS]
    topic = " ".join(kept)
    return topic if analyze(topic) else ""


def representative(book: AskBook, organisation: str, k: int) -> list[Ask]:
    """An organisation's asks that stand for the rest, best first: of its own letters (not those it
    co-signed) when it wrote any, those nearest the centre of all of them (a letter's main line,
    not a side remark)."""
    rows = [i for i, a in enumerate(book.asks) if matches_sender(book.documents[a.doc_id], organisation)]
    own = [i for i in rows if organisations_of(book.documents[book.asks[i].doc_id])[:1] == [organisation]]
    rows = own or rows
    if not rows:
        return []
    vecs = book.vectors[rows]
    centre = vecs.mean(0)
    order = np.argsort(-(vecs @ centre), kind="stable")[:k]
    return [book.asks[rows[int(j)]] for j in order]


def own_asks(book: AskBook, organisation: str, qvec: np.ndarray, query: str, k: int) -> list[tuple[Ask, float]]:
    """One organisation's asks closest to a topic, best first (cosine and BM25, as `askers`)."""
    return book.search(qvec, query, k, Filters(sender=organisation))
