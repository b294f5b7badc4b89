"""How likely an answer sentence is right: a small logistic model over signals of agreement.

A cosine alone says how close a sentence is to the question, not whether it answers it: a
sentence that restates the question scores as high as the one that answers it. What separates
them, measured on our evaluation sets (docs/evaluation.md), is agreement between signals: the
best sentence stands clearly above the next one of another passage, it lies in the passage search
ranks first, it holds an entity of the asked type (a date for "wanneer", a number for "hoeveel"),
it comes from the organisation the question names, and its document supports it with more of
the top passages.

The weights are fitted by `scripts/calibrate_answers.py` on our tuning questions (never on the
held-out set) and written here; `ANSWER_THRESHOLD` is the confidence an answer needs to be shown.
"""

from __future__ import annotations

import math
import re
from dataclasses import astuple, dataclass

from qa_service.questions import Wants

_MONTHS = (
    r"januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
    r"|january|february|march|june|july|august|october"
)
_DATE = re.compile(rf"(?i)\b(?:(?:19|20)\d\d|\d{{1,2}}[-/]\d{{1,2}}[-/]\d{{2,4}}|{_MONTHS})\b")
_NUMBER = re.compile(
    r"(?i)(?:\d|%|€|\b(?:een|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|twintig|dertig|veertig"
    r"|vijftig|honderd|duizend|miljoen|miljard|procent|helft|kwart|dubbel|verdubbel\w*|half|one|two|three|four"
    r"|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|percent|half)\b)"
)
_MONEY = re.compile(
    r"(?i)(?:€|\$|£|\beuros?\b|\beur\b|\b\d[\d.,]*\s*(?:miljoen|miljard|million|billion|mln|mld|bn|k)\b)"
)
_ORG = re.compile(
    r"(?:\b[A-Z][A-Za-z]*[A-Z]\w*\b|(?i:\b(?:vereniging|stichting|gemeente\w*|provincie|raad|federatie|ministerie"
    r"|kabinet|organisatie\w*|instituut|bond|coalitie|college|commissie|bank|fonds|partij\w*|sector|koepel)\b))"
)
_PERSON = re.compile(
    r"(?:(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+(?:van|de|der|den)\b)*\s+[A-Z][a-z]+\b"
    r"|(?i:\b(?:minister|staatssecretaris|burgemeester|wethouder|voorzitter|directeur|informateur|premier"
    r"|commissaris|ombudsman|rapporteur|gedeputeerde)\w*\b))"
)


def has_entity(text: str, wants: Wants) -> bool | None:
    """Does the sentence hold an entity of the asked type? None when the question asks no type."""
    if wants == "date":
        return bool(_DATE.search(text))
    if wants == "amount":
        return bool(_MONEY.search(text))
    if wants == "number":
        return bool(_NUMBER.search(text))
    if wants == "organisation":
        return bool(_ORG.search(text))
    if wants == "person":
        return bool(_PERSON.search(text) or _ORG.search(text))
    return None


@dataclass
class Features:
    similarity: float  # cosine of question and sentence
    margin: float  # ranking score above the best sentence of another passage
    first_passage: float  # 1 when the sentence stands in search's first passage
    top_dense: float  # the first passage's cosine with the question
    typed: float  # +1 holds the asked entity type, -1 lacks it, 0 no type asked
    named: float  # +1 from the organisation the question names, -1 from another, 0 none named
    support: float  # share of the top passages that come from the sentence's document
    english: float  # 1 for an English question (cross-lingual cosines run lower)
    lead: float  # how far search's first passage leads the second (relative fused-score gap)
    missing: float  # names in the question (capitalised words) that the sentence's document lacks

    def vector(self) -> tuple[float, ...]:
        return astuple(self)


# Fitted by scripts/calibrate_answers.py (see docs/evaluation.md for the data and the figures).
# Features are centred on these means before weighting, so the bias is the log-odds of the
# average item.
MEANS = (0.859, 0.034, 0.927, 0.859, 0.239, 0.156, 0.518, 0.266, 0.07, 0.266)
WEIGHTS = (27.187, 23.016, -0.115, 27.497, 0.554, -0.919, -1.337, 1.587, 3.228, -0.219)
BIAS = -0.751
ANSWER_THRESHOLD = 0.6  # the default of QA_ANSWER_CONFIDENCE
# A lookup ("wie ondertekende ...") that no document fact answers: its best sentence was right
# for 7 of 33 lookups of our sets, and for 2 of the 5 the model put at 0.6 or more (measured with
# facts switched off, `Answerer(fact_threshold=2.0)`, as calibrate_answers.py runs it). Such a
# sentence is a candidate, never the answer, and its confidence is capped here.
LOOKUP_SENTENCE = 0.4


# A sentence without a date cannot say when, one without a sum of money cannot say how much it
# costs, however close it is to the question (the letter's opening sentence, which names the
# organisation asked about, is the usual one): the model's probability is capped to a candidate's.
# Only for these two types: "een" counts as a number, so lacking a number says little.
TYPE_REQUIRED = frozenset({"date", "amount"})


def confidence(f: Features, wants: Wants | None = None) -> float:
    """How likely the sentence with features `f` is the right answer to a question wanting `wants`."""
    p = _model(f)
    if wants in TYPE_REQUIRED and f.typed < 0:
        return min(p, LOOKUP_SENTENCE)
    return p


def _model(f: Features) -> float:
    z = BIAS + sum(w * (x - m) for w, x, m in zip(WEIGHTS, f.vector(), MEANS, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


_NAME_WORD = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-ZÀ-Ý][\w'’-]{2,}")


def missing_names(question: str, text: str) -> int:
    """Capitalised words of the question (not its first word) that `text` does not contain.

    "Hoeveel kost een kerncentrale in Frankrijk?" is not answered by a sentence about Dutch
    nuclear plants: the name it asks about is absent.
    """
    low = text.lower()
    names = {m.group(0).strip("'’-").lower() for m in _NAME_WORD.finditer(question.strip())}
    return sum(n not in low for n in names)
