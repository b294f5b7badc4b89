"""What a question asks for: the type of its answer, and whether it asks a document's own facts.

"Wie ondertekende de brief van X?" asks for a person and for a fact the parsed metadata holds;
"Wanneer werd de politie opgericht?" asks for a date that only the text holds. Rules on Dutch
and English question words, no table of any corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qa_service.retrieval.terms import REFERENCE_NUMBER

Wants = Literal["person", "organisation", "date", "amount", "number", "other"]
Fact = Literal["signatory", "role", "date", "reply", "registration", "organisations", "chapter", "subject"]

_I = re.IGNORECASE
_WHO = re.compile(r"^\s*(?:wie|who|whom)\b", _I)
_ORG = re.compile(r"\b(?:welke|which|what)\s+(?:\w+\s+)?(?:organisaties?|organi[sz]ations?|partij(?:en)?)\b", _I)
_WHEN = re.compile(
    r"^\s*(?:wanneer|when|sinds wanneer|since when|by when|until when|tot wanneer|uiterlijk wanneer|before when)\b"
    r"|\b(?:op welke datum|welke datum|what date|which date"
    r"|in welk jaar|what year|which year|per wanneer|vanaf wanneer|in welke maand)\b",
    _I,
)
# A sum of money: "welk bedrag", "wat kost", "how much money", "how much does X ask for".
_AMOUNT = re.compile(
    r"\b(?:welk(?:e)? bedrag(?:en)?|hoeveel (?:geld|euro|miljoen|miljard)|hoe(?:veel)? duur|wat kost\w*|hoeveel kost\w*"
    r"|what amount|which amount|how much (?:money|funding|euros?)|what (?:does|do|will|would) .{1,60}\bcost"
    r"|how much (?:does|do|will|would) .{1,60}\b(?:cost|ask|request|want|need)\w*|welk budget|what budget"
    r"|hoeveel (?:subsidie|budget|financiering|investering)\w*)\b",
    _I,
)
_HOW_MUCH = re.compile(
    r"^\s*(?:hoeveel|how (?:many|much))\b|\b(?:welk bedrag|what amount|hoe hoog|hoe groot|hoe veel|welk percentage"
    r"|what percentage|what share|hoeveel procent|how high|how large|tot hoeveel|how old|hoe oud|welke leeftijd"
    r"|what age)\b",
    _I,
)

# A document's own facts: the question names the letter (or its reply, or the agreement's
# structure) as the thing asked about, not a topic inside it.
_DOC = r"(?:\w*brief|\w*brieven|letter|letters|schrijven|position paper|manifest|reactie|oproep|inbreng)"
_SIGNED = re.compile(
    r"\b(?:onderteken\w*|ondertekend\w*|tekende|getekend|signed|co-signed|signator\w*|sign|staan achter|stonden achter"
    r"|steunen|steunden|support\w*|back(?:ed|s)?)\b",
    _I,
)
_ROLE = re.compile(
    r"\b(?:wie is|wie was|who is|who was|wie zijn|who are)\s+(?:de|het|the)?\s*(?:\w+\s+)?"
    r"(?P<role>(?:co-|vice-)?voorzitter"
    r"|directeur(?:-bestuurder)?|bestuurder|burgemeester|wethouder|gedeputeerde|secretaris|president|ceo|chair\w*"
    r"|director|mayor|head|leader|rapporteur)\b"
    r"|\b(?:who|wie)\s+(?P<verb>chairs|heads|leads|directs|leidt|voorzit)\b",
    _I,
)
_VERB_ROLE = {"chairs": "voorzitter", "heads": "voorzitter", "leads": "voorzitter", "leidt": "voorzitter"}
_ROLE_EN = {"chair": "voorzitter", "director": "directeur", "mayor": "burgemeester", "head": "voorzitter"}
_REPLY = re.compile(
    r"\binformateur\b.*\b(?:antwoord\w*|beantwoord\w*|reageer\w*|reageerde|reactie|repl\w+|respond\w*|answer\w*)\b"
    r"|\b(?:antwoord\w*|beantwoord\w*|reageerde|repl\w+|respond\w*|answer\w*)\b.*\binformateur\b",
    _I,
)
# The reply itself named as the thing asked about: "wie ondertekende het antwoord aan de NVZ".
_REPLY_DOC = re.compile(
    r"\b(?:het|de|dat|die|the|its|their)\s+(?:\w+\s+)?(?:antwoord(?:brief)?|ontvangstbevestiging|reactie van de"
    r" informateur|repl(?:y|ies)|response|acknowledge?ment)\b",
    _I,
)
# ... and as a document sent to someone, not "het antwoord op de woningnood".
_TO_A_SENDER = re.compile(
    rf"\b(?:aan|to|for)\s+(?:de\s+|het\s+|the\s+)?[A-Z]|\b(?:{_DOC})\b|\b(?:onderteken\w*|tekende|getekend|signed"
    r"|sign|schreef|verstuurde|stuurde|wrote|sent)\b"
)
_REGISTRATION = re.compile(
    r"\b(?:kenmerk|registratienummer|registratie-nummer|referentienummer|registration number|reference number"
    r"|reference|registration)\b",
    _I,
)
_SENT = re.compile(
    rf"\b(?:{_DOC})\b.*\b(?:gestuurd|verstuurd|geschreven|gedateerd|verzonden|dated|sent|written)\b"
    rf"|\b(?:stuurde|stuurden|schreef|schreven|verstuurde|verstuurden|verzond|sent|wrote|send|write)\b.*\b(?:{_DOC})\b"
    rf"|\b(?:datum|date)\s+(?:van|of)\s+(?:de|het|the)?\s*(?:{_DOC})\b"
    # "Wanneer schreef de NVZ (aan) de informateur?": writing to the formation is sending the letter.
    r"|\b(?:stuurde|stuurden|schreef|schreven|wrote|write|send|sent)\b.*\b(?:informateur|formateur)\b",
    _I,
)
_CHAPTER = re.compile(
    r"\b(?:welk|welke|which|what)\s+(?:hoofdstuk|onderdeel|deel|paragraaf|chapter|section|part)\b"
    r"|\b(?:onder welk|under which)\b.*\b(?:kopje|hoofdstuk|heading|chapter)\b",
    _I,
)
_SUBJECT = re.compile(
    rf"\b(?:onderwerp|subject)\s+(?:van|of)\s+(?:de|het|the)?\s*(?:{_DOC})\b"
    rf"|\b(?:waarover|what about)\b.*\b(?:{_DOC})\b|\bwhat is the (?:{_DOC}) (?:from|of) .* about\b",
    _I,
)
_DOC_WORD = re.compile(rf"\b{_DOC}\b", _I)


# The coalition agreement as the source asked about ("wat zegt het coalitieakkoord over ...",
# "how does the coalition plan to ..."), not as a topic ("belooft de hackathon een regeerakkoord").
_THE_AGREEMENT = r"(?:het\s+|de\s+|the\s+)(?:coalitieakkoord|regeerakkoord|coalitie|coalition(?:\s+agreement)?)"
_AGREEMENT = re.compile(
    rf"\b(?:volgens|in|uit|zegt|staat|regelt|belooft|wil|gaat|does|do|will|according to|in|under)\s+{_THE_AGREEMENT}\b"
    rf"(?!\s+(?:van|of)\b)"
    rf"|\b{_THE_AGREEMENT}\s+(?:zegt|wil|gaat|belooft|regelt|stelt|noemt|doet|say|says|want|wants|plan|plans"
    r"|promise|promises|propose|proposes)\b",
    _I,
)


@dataclass(frozen=True)
class Question:
    text: str
    wants: Wants
    fact: Fact | None = None
    role: str | None = None  # the role a "who is the chair of X" question asks for, in Dutch
    about_agreement: bool = False  # asks what the coalition (agreement) says or plans

    @property
    def is_lookup(self) -> bool:
        return self.fact is not None


def classify(text: str) -> Question:
    """The expected answer type of a question and, if it asks one, the document fact."""
    t = " ".join(text.split())
    if _ORG.search(t):
        wants: Wants = "organisation"
    elif _WHO.search(t):
        wants = "person"
    elif _WHEN.search(t):
        wants = "date"
    elif _AMOUNT.search(t):
        wants = "amount"
    elif _HOW_MUCH.search(t):
        wants = "number"
    else:
        wants = "other"
    fact: Fact | None = None
    role: str | None = None
    # "de brief met kenmerk 202500736" names the letter by its number: the question asks another fact.
    if (
        _REGISTRATION.search(t)
        and not REFERENCE_NUMBER.search(t)
        and (_DOC_WORD.search(t) or re.search(r"\b(?:wat|what|welk)\b", t, _I))
    ):
        fact = "registration"
    elif (_REPLY.search(t) or (_REPLY_DOC.search(t) and _TO_A_SENDER.search(t))) and wants in ("date", "person"):
        fact = "reply"
    elif wants == "organisation" and (_SIGNED.search(t) or _SENT.search(t)):
        fact = "organisations"
    elif (wants == "person" or re.match(r"\s*(?:welke|which)\b", t, _I)) and (_SIGNED.search(t) or _SENT.search(t)):
        fact, wants = "signatory", "person"
    elif (m := _ROLE.search(t)) is not None:
        if m.group("verb"):
            role = _VERB_ROLE.get(m.group("verb").lower(), "directeur")
        else:
            word = m.group("role").lower()
            role = next((nl for en, nl in _ROLE_EN.items() if word.startswith(en)), word)
        fact = "role"
        wants = "person"
    elif wants == "date" and _SENT.search(t):
        fact = "date"
    elif _CHAPTER.search(t) and re.search(r"\b(?:akkoord|coalitieakkoord|regeerakkoord|agreement)\b", t, _I):
        fact = "chapter"
    elif _SUBJECT.search(t):
        fact = "subject"
    return Question(t, wants, fact, role, bool(_AGREEMENT.search(t)))
