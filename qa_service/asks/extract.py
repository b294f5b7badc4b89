"""Documents -> asks: the sentences, list items and headings in which a letter asks something.

Dutch letters to a formation ask in a few fixed shapes, and these rules read the shapes, not any
particular letter:

- a request verb with the writer as subject: "Wij vragen u ...", "De RSJ roept het kabinet op",
  "Wij pleiten voor ...", "beveelt aan", "Ons verzoek is ...", "wordt gevraagd";
- an imperative: "Investeer in ...", "Zorg dat ...", "Stel ... in", "Behoud ...": a first word
  that is the stem of a verb whose infinitive the corpus itself uses (no list of verbs);
- a necessity or obligation about what should change: "... moet ...", "is nodig", "is essentieel",
  "van groot belang", "zou ... moeten";
- a proposal: "Het voorstel is om ...", "Wij stellen voor ...";
- every item of a list that an ask introduces ("... via:", "Concreet betekent dit:") or that stands
  under a heading such as "Onze oproep" or "Aanbevelingen".

Not asks: the letter's head and signature, footnotes, questions, and offers to help or to meet
("Wij zijn graag bereid dit toe te lichten").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa_service.asks.models import Ask
from qa_service.chunking import envelope
from qa_service.corpus.models import Document, Paragraph
from qa_service.sentences import sentence_spans

ASKING_KINDS = ("letter", "attachment")
MAX_WORDS = 80  # a longer unit is a paragraph, not one ask
MIN_WORDS = 3
# A list item this short is one ask however many sentences it has ("Bekostiging ... bevordert de
# instroom. Zorg ervoor dat deze opleiding bekostigd wordt."); a longer one asks sentence by sentence.
SHORT_ITEM = 40

_I = re.IGNORECASE

# A request verb, in the forms a writer uses of itself or of its organisation.
_REQUEST = re.compile(
    r"\b(?:vragen|vraagt|vroegen|verzoeken|verzoekt|verzoek(?:en)?\s+(?:is|wij|we|ik)|pleiten|pleit|pleitte|pleitten"
    r"|roepen\b.{0,120}?\bop|roept\b.{0,120}?\bop|oproep(?:en)?|bevelen\b.{0,120}?\baan|beveelt\b.{0,120}?\baan"
    r"|aanbeveling(?:en)?|adviseren|adviseert|dringen\b.{0,80}?\baan|dringt\b.{0,80}?\baan"
    r"|(?:doen|doet) een (?:dringend |klemmend )?(?:beroep|appel)|rekenen op|nodigen u uit|nodigt u uit"
    r"|vragen wij|vraag ik|wordt gevraagd|wordt verzocht|wordt opgeroepen|stellen voor|stelt voor|voorstel is"
    r"|verzoek is|benadrukt|benadrukken|onderstreept|onderstrepen"
    r"|(?:vinden|vindt) het (?:belangrijk|van belang|essentieel|noodzakelijk))\b",
    _I,
)
# "wij vragen aandacht": asks for attention, which still names the issue raised.
_NECESSITY = re.compile(
    r"\b(?:moet|moeten|dient|dienen|zou(?:den)?\b.{0,60}?\bmoeten|zal\b.{0,40}?\bmoeten|is nodig|zijn nodig"
    r"|nodig is|nodig zijn|nodig om|het nodig|\b(?:is|zijn)\b.{0,60}?\bnodig\b|nodig\b.{0,40}?\bom"
    r"|(?:zou|is) het beter|beter zou zijn"
    r"|heeft\b.{0,40}?\bnodig|hebben\b.{0,40}?\bnodig|noodzakelijk|noodzaak|essentieel"
    r"|cruciaal|van (?:groot|essentieel|wezenlijk|belangrijk) belang|urgent|onontbeerlijk|onmisbaar|vereist|vereisen"
    r"|verdient|verdienen|het is (?:tijd|zaak|hoog tijd|het moment)|is het (?:tijd|zaak|moment)|wenselijk|gewenst"
    r"|pleidooi)\b",
    _I,
)
# What makes a necessity an ask and not a description: it is about policy, money or the cabinet.
_POLICY = re.compile(
    r"\b(?:kabinet\w*|regering|rijk|rijks\w*|\w*overheid|politiek|minister\w*|formatie|coalitie\w*|\w*beleid\w*"
    r"|wet|wetten|wetgeving|\w+wet|\w*regel\w*|\w*investe\w*|\w*financ\w*|\w*budget\w*|middelen|geld|bekostig\w*"
    r"|structure\w*|landelijk\w*|centraal|voorrang|prioriteit\w*"
    r"|nationa\w*|verplicht\w*|afspra\w*|akkoord\w*|programma\w*|maatregel\w*|zorg(?:en)? (?:voor|dat|ervoor)"
    r"|invoer\w*|afscha\w*|behoud\w*|versterk\w*|verbeter\w*|verhog\w*|verlag\w*|uitbrei\w*|mogelijk\s+maken|ruimte)\b",
    _I,
)
# A necessity in the past or tied to a date is a report of what happened, not an ask.
_FACTUAL = re.compile(
    r"\b(?:was|waren|werd|werden|had|hadden|moest|moesten|diende|dienden|rapporteerde\w*|in (?:19|20)\d\d|sinds)\b",
    _I,
)
# Offers and courtesies: the writer gives, the formation is not asked for anything.
_OFFER = re.compile(
    r"\b(?:graag bereid|zijn bereid|is bereid|ben bereid|gaan (?:wij |we )?graag|denken (?:wij |we )?graag"
    r"|lichten (?:wij |we )?graag|graag toe|staan klaar|staat klaar|(?:in|met u in) gesprek|toelichten|toe te lichten"
    r"|graag mee|komen graag|kom graag|dank u|danken u|bedankt|succes (?:met|bij|in)|feliciteren|wensen u"
    r"|nieuwsbrief|abonneer\w*|lees meer|meer informatie)\b",
    _I,
)
# Words that start a Dutch sentence but are no verb stem (articles, pronouns, prepositions, ...).
_NOT_VERBS = frozenset(
    "de het een dit dat deze die wij we ik u jij je zij ze hij er in op met voor als om door bij ook naast na zo nu"
    " daarom daarbij daarnaast daarmee dan maar en of want niet geen hier daar waar wie wat hoe alle veel meer minder"
    " onze ons mijn uw hun zijn haar elk elke iedere ieder sinds tot over uit van aan tegen zonder vanuit binnen"
    " buiten tijdens per ten ter juist vooral echter tevens bovendien kortom immers helaas gelukkig samen tot"
    " nederland zie lees bijvoorbeeld bijlage noot bron figuur tabel pagina".split()
)
_FIRST_WORD = re.compile(r"^[^\w\"“‘']*(?:\d{1,2}[.)]\s*|[a-z][.)]\s+)?([A-Za-zÀ-ÿ]+)\b")
# Headings over a list of demands: every item under them is an ask.
_ASK_HEADING = re.compile(
    r"\b(?:oproep\w*|aanbeveling\w*|voorstel\w*|verzoek\w*|vraag|vragen|wensen|eisen|actiepunt\w*"
    r"|recommendations?|asks?|demands?)\b",
    _I,
)
# "Als commissie hebben we de volgende aanbevelingen:" announces the asks below; it is none itself.
_ANNOUNCES = re.compile(r"\b(?:de volgende|hieronder|onderstaande|als volgt)\b[^.!?]{0,60}:\s*$", _I)
_ANNOUNCES_ASKS = re.compile(
    r"\b(?:aanbeveling\w*|voorstel\w*|oproep\w*|verzoek\w*|actiepunt\w*|wensen|eisen|prioriteiten|speerpunten"
    r"|maatregelen|recommendations?)\b",
    _I,
)
# "Dit vraagt om ...": a demand stated about the issue itself.
_DEMAND = re.compile(
    r"\b(?:vraagt|vragen)\s+(?:\w+\s+){0,2}?om\b|\b(?:vergt|vergen|vereist|vereisen)\b|^(?:dit|dat)\s+vraagt\b", _I
)
# "de sprong die nodig is", "wat er nodig is": a necessity inside a description.
_RELATIVE_NEED = re.compile(r"\b(?:die|dat|wat)\s+(?:er\s+)?(?:\w+\s+){0,2}?nodig\s+(?:is|zijn|was|waren)\b", _I)
# Separable verbs put their particle last in the imperative ("Roep ... op"): a first word made
# of such a particle and a verb is a noun ("Oproep aan het kabinet", "Bijdrage").
_PARTICLES = ("op", "aan", "af", "uit", "mee", "toe", "terug", "weg", "samen", "bij")
_WORDS = re.compile(r"\w+")


@dataclass
class Unit:
    """A candidate: one sentence, list item or heading, as absolute offsets in the document."""

    start: int
    end: int
    kind: str  # the paragraph kind it comes from


def verb_vocabulary(documents: Iterable[Document]) -> frozenset[str]:
    """Every lower-cased word of the documents: an imperative's infinitive must be among them."""
    vocab: set[str] = set()
    for d in documents:
        vocab.update(w.lower() for w in _WORDS.findall(d.text))
        vocab.update(f"te {m.group(1).lower()}" for m in _TE_INF.finditer(d.text))
    return frozenset(vocab)


_TE_INF = re.compile(r"\bte\s+([a-zà-ÿ]{4,}en)\b", _I)


def leads_with_infinitive(text: str, vocab: frozenset[str]) -> bool:
    """ "kopposities versterken in ...", "vereenvoudigen van de toegang ...": an infinitive among the
    first three words (the writer's `te`-infinitives are in `vocab` as "te <verb>")."""
    first = _WORDS.findall(text)[:3]
    return any(w.lower() in vocab and w.lower().endswith("en") and f"te {w.lower()}" in vocab for w in first)


def _infinitives(stem: str) -> set[str]:
    """Dutch infinitives a verb stem can have: investeer -> investeren, zorg -> zorgen,
    stel -> stellen, geef -> geven, kies -> kiezen, stop -> stoppen."""
    out = {stem + "en", stem + stem[-1] + "en"}
    base = stem
    if len(stem) >= 3 and stem[-2] == stem[-3] and stem[-2] in "aeou":  # long vowel in a closed syllable
        base = stem[:-2] + stem[-1]
        out.add(base + "en")
    if stem.endswith("ier"):  # intervenier -> interveniëren
        out.add(stem[:-3] + "iëren")
    if stem.endswith("f"):
        out |= {stem[:-1] + "ven", base[:-1] + "ven"}
    if stem.endswith("s"):
        out |= {stem[:-1] + "zen", base[:-1] + "zen"}
    return out


def is_imperative(text: str, vocab: frozenset[str]) -> bool:
    """Does the unit start with a verb stem (an imperative), e.g. "Investeer in ..."?"""
    m = _FIRST_WORD.match(text)
    if not m:
        return False
    word = m.group(1)
    low = word.lower()
    if not word[0].isupper() or low in _NOT_VERBS or len(low) < 3 or low.endswith(("en", "ing", "heid", "isch", "e")):
        return False
    for particle in _PARTICLES:
        rest = low[len(particle) :]
        if low.startswith(particle) and len(rest) >= 3 and any(inf in vocab for inf in _infinitives(rest)):
            return False
    return any(inf in vocab for inf in _infinitives(low))


def word_count(text: str) -> int:
    """Words as the evaluation counts them (runs of letters and digits)."""
    return len(_WORDS.findall(text))


_QUOTES = "\"“”‘’'„«"
# A short ask that points back ("Zorg ervoor dat deze opleiding bekostigd wordt") needs the
# sentence it points to.
_ANAPHOR = re.compile(r"\b(?:deze|dit|dat|die|hiervoor|daarvoor|hierbij|daarbij|hiermee|daarmee|hierin|daarin)\b", _I)
_MARKER_ONLY = re.compile(r"^\s*(?:\d{1,2}|[a-z])[.)]\s*$")
_END = re.compile(r"[.!?:;…\"”’)]\s*$")


def is_title(text: str) -> bool:
    """A short line without closing punctuation: a heading, whatever its markup said."""
    return word_count(text) <= 10 and not _END.search(text)


def _sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """Sentence spans, a bare list marker ("3.") kept with the sentence after it."""
    spans: list[tuple[int, int]] = []
    for a, b in sentence_spans(text):
        if spans and _MARKER_ONLY.match(text[spans[-1][0] - offset : spans[-1][1] - offset]):
            spans[-1] = (spans[-1][0], offset + b)
        else:
            spans.append((offset + a, offset + b))
    return spans


def _units(doc: Document) -> list[tuple[Unit, Paragraph]]:
    head, tail = envelope(doc)
    skip = {id(p) for p in head + tail}
    paras = [p for p in doc.paragraphs if id(p) not in skip and p.kind not in ("block", "footnote")]
    out: list[tuple[Unit, Paragraph]] = []
    i = 0
    while i < len(paras):
        p = paras[i]
        i += 1
        kind: str = p.kind
        start, end = p.char_start, p.char_end
        if kind == "list" and is_title(p.text) and i < len(paras) and paras[i].kind == "prose":
            # "4. Een geïntegreerd Dienmodel" over the paragraph that says what it means: one item.
            nxt = paras[i]
            if word_count(doc.text[start : nxt.char_end]) <= MAX_WORDS:
                end = nxt.char_end
                i += 1
        elif kind == "prose" and is_title(p.text):
            kind = "heading"
        n = word_count(doc.text[start:end])
        if kind == "heading" or (kind == "list" and n <= SHORT_ITEM):
            if n <= MAX_WORDS:
                out.append((Unit(start, end, kind), p))
            continue
        for a, b in _sentences(doc.text[start:end], start):
            out.append((Unit(a, b, kind), p))
    return out


def writer_names(doc: Document) -> list[str]:
    """How a letter names its own side: its organisations and the abbreviations it defines."""
    names: list[str] = [*doc.organisations, *doc.aliases] + ([doc.sender] if doc.sender else [])
    names += [org for s in doc.signatories if (org := s.get("organisation"))]
    names += [m.group(1) for m in _DEFINED.finditer(doc.text)]
    words = {w for n in names for w in _WORDS.findall(n) if len(w) >= 3 and w.lower() not in _GENERIC}
    return sorted(words, key=len, reverse=True)


# "(hierna: de RSJ)", "(NUWWC)": a short name the writer gives itself.
_DEFINED = re.compile(r"\((?:hierna:?\s*(?:de|het)?\s*)?([A-Z][\w&-]{1,12})\)")
_GENERIC = frozenset("van voor het der den nederland nederlandse stichting vereniging gemeente raad".split())
# The writer (or the reader, asked directly) in the sentence: "wij vragen", "vraag ik u", "roept u op".
_PRONOUN = re.compile(r"\b(?:wij|we|ik|ons|onze|mij|u|uw)\b", _I)
_PASSIVE = re.compile(r"\b(?:wordt|worden)\s+(?:\w+\s+){0,3}?(?:gevraagd|verzocht|opgeroepen|aanbevolen)\b", _I)


def _writer_speaks(text: str, names: Sequence[str]) -> bool:
    if _PRONOUN.search(text) or _PASSIVE.search(text):
        return True
    return any(re.search(rf"\b{re.escape(n)}\b", text) for n in names)


def classify(text: str, kind: str, vocab: frozenset[str], names: Sequence[str] = ()) -> str | None:
    """The cue that makes a unit an ask, or None."""
    words = word_count(text)
    if words < MIN_WORDS or words > MAX_WORDS or text.rstrip().endswith("?"):
        return None
    if _OFFER.search(text) or _ANNOUNCES.search(text) or text.lstrip()[:1] in _QUOTES:
        return None  # an offer, an announcement of asks below, or a quotation (a motto, a title)
    sentences = [text[a:b] for a, b in sentence_spans(text)] or [text]
    if any(is_imperative(s, vocab) for s in sentences):
        return "imperative"
    if kind == "heading":
        return None  # "Onze oproep aan het kabinet" announces asks; it asks nothing itself
    if _REQUEST.search(text) and _writer_speaks(text, names):
        return "request"
    if _NECESSITY.search(text) and not _FACTUAL.search(text) and not _RELATIVE_NEED.search(text):
        return "necessity"
    if _DEMAND.search(text) and not _FACTUAL.search(text):
        return "necessity"
    return None


def _group_sentences(units: list[tuple[str | None, int, int]], text: str) -> list[tuple[str, int, int]]:
    """Within one long list item, a sentence that only gives context joins the ask after it."""
    out: list[tuple[str, int, int]] = []
    pending: int | None = None
    for cue, a, b in units:
        if cue is None:
            if pending is None:
                pending = a
            continue
        start = pending if pending is not None and word_count(text[pending:b]) <= MAX_WORDS * 3 // 4 else a
        out.append((cue, start, b))
        pending = None
    return out


def extract_asks(doc: Document, vocab: frozenset[str]) -> list[Ask]:
    """The asks of one incoming letter or attachment, in text order (none for other kinds)."""
    if doc.kind not in ASKING_KINDS or doc.duplicate_of:
        return []
    text = doc.text
    names = writer_names(doc)
    found: list[tuple[int, int, str]] = []
    intro = False  # the previous unit introduced a list of demands
    under_heading = False  # the last heading announces demands
    item: list[tuple[str | None, int, int]] = []  # sentences of the current long list item
    item_para: Paragraph | None = None
    previous: tuple[Unit, Paragraph, str | None] | None = None
    colon_before = False  # the last prose unit ended with a colon

    def flush() -> None:
        nonlocal item, item_para
        found.extend((a, b, cue) for cue, a, b in _group_sentences(item, text))
        item, item_para = [], None

    for unit, para in _units(doc):
        s = text[unit.start : unit.end]
        cue = classify(s, unit.kind, vocab, names)
        if para is not item_para:
            flush()
        if unit.kind == "heading":
            under_heading = bool(_ASK_HEADING.search(s)) and cue is None
            intro = False
        whole_item = unit.kind == "list" and unit.start == para.char_start and unit.end >= para.char_end
        first_of_item = unit.kind == "list" and unit.start == para.char_start
        if first_of_item and cue is None and word_count(s) >= MIN_WORDS and not is_title(s):
            if intro or under_heading:
                cue = "list"
            elif colon_before and leads_with_infinitive(s, vocab):
                cue = "list"  # "... realiseren door:" + "nieuwe technologieën breed toegankelijk maken ..."
        if unit.kind == "list" and not whole_item:
            item.append((cue, unit.start, unit.end))
            item_para = para
        elif cue is not None:
            start = unit.start
            prev = previous[0] if previous and previous[1] is para and previous[2] is None else None
            if (
                prev is not None
                and word_count(s) <= 15
                and _ANAPHOR.search(s)
                and word_count(text[prev.start : unit.end]) <= MAX_WORDS * 3 // 4
            ):
                start = prev.start
            found.append((start, unit.end, cue))
        previous = (unit, para, cue)
        if unit.kind not in ("list", "heading"):
            colon_before = s.rstrip().endswith(":")
            # Only an explicit ask or an announcement of asks makes the list below asks: after
            # "De investeringen moeten zich richten op de knelpunten:" come problems, not asks.
            intro = s.rstrip().endswith(":") and (
                cue in ("request", "imperative") or bool(_ANNOUNCES_ASKS.search(s)) or under_heading
            )
    flush()
    asks: list[Ask] = []
    for n, (a, b, cue) in enumerate(sorted(found)):
        asks.append(Ask(f"{doc.id}-a{n}", doc.id, n, text[a:b], a, b, topic="", cue=cue))
    return asks
