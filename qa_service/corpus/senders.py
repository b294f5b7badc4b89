"""Who sent a letter when no reply names it: `namens ...`, the signature, the letterhead.

Rules of Dutch correspondence: a role word before an organisation in the signature
("Voorzitter Vereniging X"), a joint letter's list of "Name, role Organisation" lines, the
letterhead above the date, and as a last resort the organisation's website in its contact block.
"""

from __future__ import annotations

import re

from qa_service.corpus.markup import clean_inline, is_noise_line
from qa_service.corpus.metadata import ADDRESS_TO_PARLIAMENT, CLOSING, parse_date

_ROLE_WORDS = re.compile(
    r"^(?:algemeen\s+)?(?:voorzitter|directeur|bestuurder|secretaris|penningmeester|burgemeester"
    r"|wethouder|president|ceo|namens)\b[\w\s-]*?(?:van\s+(?:de|het)\s+|,\s*)?",
    re.I,
)

_ORG_HINT = re.compile(
    r"(?i)\b(vereniging|stichting|gemeente|provincie|raad|federatie|coalitie|commissie|bureau|bank"
    r"|instituut|college|koepel|bond|platform|netwerk|organisatie|nederland|ministerie|fonds|unie"
    r"|genootschap|alliantie|samenwerking|\w*(?:bank|raad|federatie))\b"
)


def org_line(text: str) -> str | None:
    """An organisation name in a signature line: `Voorzitter Vereniging X` -> `Vereniging X`."""
    stripped = _ROLE_WORDS.sub("", text).strip(" ,")
    if stripped and len(stripped.split()) <= 10 and stripped[:1].isupper() and _ORG_HINT.search(stripped):
        return stripped
    return None


# One line of a list of signatories: "Anneke Westerlaken, voorzitter ActiZ".
_SIGNATORY = re.compile(
    r"^[A-Z][\w.'\- ]{2,60},\s*(?:\S*(?:voorzitter|directeur|bestuurder|bestuurslid|secretaris|president"
    r"|ceo|lid|wethouder|burgemeester)\S*\s+)+(?:van\s+(?:de|het)\s+)?(?P<org>\S.{1,80})$",
    re.I,
)


def signatory_orgs(lines: list[str]) -> list[str]:
    """The organisations of a joint letter's list of signatories (three or more), in order."""
    orgs = [m.group("org").strip(" .,") for t in lines if (m := _SIGNATORY.match(t))]
    return list(dict.fromkeys(orgs)) if len(orgs) >= 3 else []


def sender_from_text(item_lines: list[str], letterhead: list[str]) -> str | None:
    """Best-effort sender when no reply names it: `namens ...`, the signature, or the letterhead.

    A joint letter signed by a list of people "Name, role Organisation" gets all organisations,
    comma-separated (titles and citations shorten the list).
    """
    text_lines = [clean_inline(x) for x in item_lines]
    for t in text_lines:
        m = re.search(r"\bnamens\s+(?:de\s+|het\s+)?([A-Z][\w()&.\- ]{1,60})", t)
        if m and CLOSING.match(t):
            return m.group(1).strip()
    closing = next((i for i, t in enumerate(text_lines) if CLOSING.match(t)), None)
    if closing is not None:
        orgs = signatory_orgs([t for t in text_lines[closing + 1 : closing + 80] if t])
        if orgs:
            return ", ".join(orgs)
        for t in [t for t in text_lines[closing + 1 : closing + 10] if t][:5]:
            org = org_line(t)
            if org:
                return org
    head = [
        h
        for h in letterhead
        if h
        and not parse_date(h)[0]
        and not re.search(r"\d{4}\s?[A-Z]{2}\b|postbus|t\.a\.v\.", h, re.I)
        and not ADDRESS_TO_PARLIAMENT.match(h)
        and not is_noise_line(h)
    ]
    if head:
        return " ".join(head[:4]).strip()
    # Last resort: the organisation's own website in its contact block (`www.nvb.nl` -> NVB).
    for t in text_lines:
        m = re.fullmatch(r"(?:https?://)?www\.([a-z0-9-]+)\.(?:nl|org|eu|com|net)/?", t.strip().lower())
        if m:
            name = m.group(1)
            return name.upper() if len(name) <= 6 else name
    return None
