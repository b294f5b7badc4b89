"""Signature blocks -> who signed a letter, in which role, for which organisation.

Dutch letters close with a formula ("Met vriendelijke groet,") followed by one or more
signatures in a few fixed shapes:

    Derk K. Kremer                      name, then role (and organisation) on the next line
    Voorzitter Vereniging X

    Anneke Westerlaken, voorzitter ActiZ    one line per signatory of a joint letter

    Sociale Verzekeringsbank            organisation above the name
    Mw. drs. D. I. H. Starmans
    Voorzitter Raad van Bestuur

The rules below read those shapes; they know no sender of any corpus.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

# A role: the function word, with the qualifiers Dutch letters put around it.
_ROLE_CORE = (
    r"(?:algemeen\s+|wetenschappelijke?\s+|nationaal\s+|nationale\s+|co-?|vice-?|bestuurs|plaatsvervangend\s+"
    r"|waarnemend\s+)*"
    r"(?:voorzitter|directeur|bestuurder|bestuurslid|secretaris|penningmeester"
    r"|burgemeester|wethouder|gedeputeerde|president|ceo|cfo|coördinator|coordinator|programmamanager"
    r"|manager|adviseur|medewerker|rapporteur|commissaris|ombudsman|kinderombudsman|hoogleraar|lid)"
    # Double functions: "voorzitter-bestuurder", "directeur-bestuurder", "secretaris-generaal".
    r"(?:-(?:bestuurder|directeur|voorzitter|generaal|penningmeester|secretaris))?"
)
_ROLE_TAIL = (
    r"(?:\s+(?:van\s+)?(?:de\s+)?(?:raad\s+van\s+bestuur|algemeen\s+bestuur|dagelijks\s+bestuur|bestuur|directie))?"
)
ROLE = re.compile(rf"(?i)^(?P<role>{_ROLE_CORE}{_ROLE_TAIL})\b[\s,]*(?:van\s+(?:de|het)\s+)?(?P<rest>.*)$")
# "Name, role Organisation" on one line (joint letters) or "Name, role".
_NAME_ROLE = re.compile(rf"(?i)^(?P<name>[^,]{{3,60}}?),\s*(?P<tail>{_ROLE_CORE}.*)$")
_TITLE = r"(?:prof\.?|dr\.?|mr\.?|drs\.?|ir\.?|ing\.?|mw\.?|dhr\.?|mevr\.?|mevrouw|de heer|bc\.?|msc|ma|ba|phd)"
_PARTICLE = r"(?:van|der|den|de|ten|ter|te|het|la|le|du|von|di|da|el|al|'t)"
# Titles in any case ("Mw. drs."), the name's own words capitalised: "Seksueel Geweld tegen
# Kinderen" is no person.
_NAME = re.compile(
    rf"^(?:{_TITLE}\s*)*(?-i:(?:[A-ZÀ-Ý][\w'’.-]*\.?\s*)+(?:(?:{_PARTICLE})\s+)*[A-ZÀ-Ý][\w'’-]+)$",
    re.I,
)
_STOP_LINE = re.compile(
    r"(?i)^(?:#|---|kopie|cc\b|c\.c\.|afschrift|bijlagen?\b|postbus|bureau\b|t\.a\.v|de tweede kamer|tweede kamer"
    r"|aan\b|datum\b|betreft\b|onderwerp\b|contactpersoon|port\s|\[|<|\d)"
)
# "4 Inzetten op gezondheid ...": a footnote (a postcode "2500 EA" has four digits).
_FOOTNOTE = re.compile(r"^\d{1,2}\s+[A-Za-zÀ-ÿ\[]")
_NAMENS = re.compile(r"(?i)^(?:mede\s+)?namens\b")
ORG_WORD = re.compile(
    r"(?i)\b(?:vereniging|stichting|gemeente|provincie|raad|federatie|coalitie|commissie|bank|instituut|college"
    r"|koepel|bond|platform|netwerk|organisatie|nederland|ministerie|fonds|unie|genootschap|alliantie|board"
    r"|universiteit(?:en)?|branchevereniging|ggd|rapporteur|\w+(?:bank|raad|federatie|instituut|fonds|bond))\b|(?-i:\([A-Z]{2,}\)|^[A-Z][A-Z0-9&-]+\b)"
)


@dataclass
class Signatory:
    name: str
    role: str | None = None
    organisation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """ "Derk K. Kremer, voorzitter Vereniging X" (role lower-cased, as in running text)."""
        parts = [self.name]
        role = " ".join(x for x in (_lower_role(self.role), self.organisation) if x)
        return ", ".join([*parts, role] if role else parts)


def _lower_role(role: str | None) -> str | None:
    if not role or role.isupper():
        return role
    return role[:1].lower() + role[1:]


def _clean(line: str) -> str:
    return re.sub(r"[*_]+", "", line).strip(" ,.;:")


def looks_like_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 7 or any(ch.isdigit() for ch in text):
        return False
    if ROLE.match(text) or ORG_WORD.search(text) or _NAMENS.match(text):
        return False
    return bool(_NAME.match(text))


# "namens (allen van) de", "het bestuur van de", "de leden en waarnemers van het": who speaks for X is X.
_ORG_LEAD = re.compile(
    r"(?i)^(?:(?:mede\s+)?namens\s+)?(?:allen\s+van\s+)?(?:de\s+|het\s+)?"
    r"(?:(?:bestuur|directie|college|leden(?:\s+en\s+\w+)?)\s+van\s+(?:de\s+|het\s+)?)?"
)


def org_name(text: str) -> str | None:
    """An organisation's name as a signature writes it, without "namens de", "het bestuur van"
    or brackets around it; an all-lowercase name ("provincie groningen") is capitalised."""
    rest = _clean(_ORG_LEAD.sub("", _clean(text), count=1))
    if re.fullmatch(r"\(([^()]+)\)", rest):  # "voorzitter (NIP)": the organisation in brackets
        rest = rest[1:-1]
    if rest.islower():
        small = ("van", "de", "der", "het", "en", "voor")
        rest = " ".join(w if w in small else w[:1].upper() + w[1:] for w in rest.split())
    return rest if rest and len(rest.split()) <= 12 else None


_org_of = org_name


_OPEN_END = re.compile(r"(?i)\b(?:voor|van|en|de|der|het|voor de|van de|op|in)$")


def _wrapped(block: list[str], j: int, most: int = 3) -> tuple[str, int]:
    """An organisation's name from line j on, joined with the lines it wraps onto ("Raad voor" /
    "Strafrechtstoepassing" / "en Jeugdbescherming"); returns the name and the lines it took."""
    name, used = block[j], 1
    while used < most and j + used < len(block):
        nxt = block[j + used]
        continues = nxt[:1].islower() or (_OPEN_END.search(name) and not looks_like_name(nxt))
        if not continues or ROLE.match(nxt):
            break
        name, used = f"{name} {nxt}", used + 1
    return name, used


# An office that is its own organisation: "Nationaal Rapporteur Mensenhandel", "Kinderombudsman".
_OFFICE = re.compile(r"(?i)^(?:nationaal\s+|nationale\s+)?(?:rapporteur|ombudsman|kinderombudsman)$")


def _tail(block: list[str], j: int, gaps: set[int], most: int = 4) -> list[str]:
    """The lines below a role line, in its own block, up to the next person."""
    out: list[str] = []
    while j < len(block) and len(out) < most and j not in gaps:
        x = block[j]
        m = _NAME_ROLE.match(x)
        if looks_like_name(x) or _NAMENS.match(x) or ROLE.match(x) or (m and looks_like_name(_clean(m.group("name")))):
            break
        out.append(x)
        j += 1
    return out


def _role_and_org(block: list[str], i: int, r: re.Match[str], gaps: set[int]) -> tuple[str, str | None, int]:
    """(role, organisation, lines used below the role line at `i`) of one signature."""
    role, rest = _clean(r.group("role")), _clean(r.group("rest"))
    tail = _tail(block, i + 1, gaps)
    if rest and not ORG_WORD.search(rest):
        # "Gedeputeerde Haven en Industrie" / "Provincie Zuid-Holland": the role's portfolio words
        # are no organisation when a line below names one.
        k = next((k for k, x in enumerate(tail) if ORG_WORD.search(x) and not looks_like_name(x)), None)
        if k is not None:
            name, used = _wrapped(tail, k)
            portfolio = " ".join([rest, *tail[:k]]).strip(" ,")
            return f"{role} {portfolio}", org_name(name), k + used
    if rest:
        # "Nationaal Rapporteur Mensenhandel en" / "Seksueel Geweld tegen Kinderen": the name wraps.
        joined, used = _wrapped([rest, *tail], 0)
        if _OFFICE.match(role):
            return role, org_name(f"{role} {joined}"), used - 1
        org = org_name(joined)
        if org and role.lower() == "burgemeester" and not ORG_WORD.search(org):
            org = f"Gemeente {org}"  # a burgemeester speaks for the gemeente of the place
        return role, org, used - 1
    # No organisation on the role line: the next line names it, in the same block or not
    # ("Gedeputeerde" / "" / "provincie" / "groningen").
    after = block[i + 1] if i + 1 < len(block) else ""
    if after and ORG_WORD.search(after) and not looks_like_name(after):
        name, used = _wrapped(block, i + 1)
        return role, org_name(name), used
    return role, None, 0


def parse_signatures(lines: list[str], max_lines: int = 60) -> list[Signatory]:
    """Signatories in the lines after a closing formula, in order of appearance.

    Reads until the first line that cannot be part of a signature block (an address, a
    heading, a long line of prose). A name with no role line is still a signatory.
    """
    block: list[str] = []
    gaps: set[int] = set()  # lines with a blank line above them: the end of a signature's own block
    for raw in lines[:max_lines]:
        t = _clean(raw)
        if not t:
            gaps.add(len(block))
            continue
        if re.fullmatch(r"\[[^\]]*\]", t):  # "[redacted]": the signature's place, not its end
            continue
        if _FOOTNOTE.match(t):  # a page's footnote between two signatories, not the block's end
            continue
        if "|" in t:  # "Name | Role" laid out on one line
            block.extend(_clean(x) for x in t.split("|") if _clean(x))
            continue
        if _STOP_LINE.match(t) or len(t) > 110:
            break
        block.append(t)
    out: list[Signatory] = []
    i = 0
    while i < len(block):
        t = block[i]
        m = _NAME_ROLE.match(t)
        person = looks_like_name(t) or bool(m and looks_like_name(_clean(m.group("name"))))
        if i in gaps and out and out[-1].organisation and not (person or ROLE.match(t) or _NAMENS.match(t)):
            break  # a block that is no signature after a complete one: a business card, an envelope
        if m and looks_like_name(_clean(m.group("name"))):
            r = ROLE.match(m.group("tail"))
            role = _clean(r.group("role")) if r else None
            org = _org_of(r.group("rest")) if r else None
            out.append(Signatory(_clean(m.group("name")), role, org))
            i += 1
            continue
        lead = ROLE.match(t)
        if lead and not out and looks_like_name(_clean(lead.group("rest"))):
            # "burgemeester Van den Belt": the role before the name
            out.append(Signatory(_clean(lead.group("rest")), _clean(lead.group("role"))))
            i += 1
            continue
        nxt = block[i + 1] if i + 1 < len(block) else ""
        r = ROLE.match(nxt)
        # A name without a role line counts only as the first signature: further down, a
        # capitalised pair of words is as often a heading or a team as a person.
        if looks_like_name(t) and (r or not out):
            sig = Signatory(t)
            prev = block[i - 1] if i else ""
            if r:
                i += 1
                sig.role, sig.organisation, used = _role_and_org(block, i, r, gaps)
                i += used
            if not sig.organisation and prev and ORG_WORD.search(prev) and not looks_like_name(prev):
                sig.organisation = _org_of(prev)  # the organisation stands above the name
            out.append(sig)
        i += 1
    return out
