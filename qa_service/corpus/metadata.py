"""Letter metadata read from the text: registration numbers, dates, subjects, salutations, closings.

The patterns describe how Dutch letters are written (label blocks such as `Datum`/`Betreft`,
`<Plaats>, 26 november 2025`, `Met vriendelijke groet`), so they apply to any new bundle.
"""

from __future__ import annotations

import re
from datetime import date

from qa_service.corpus.markup import clean_inline

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "januari februari maart april mei juni juli augustus september oktober november december".split()
    )
}
_MONTH_RE = "|".join(MONTHS)
DATE_WORDS = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\s+(\d{{4}})\b", re.I)
DATE_NUMERIC = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")
MONTH_ONLY = re.compile(rf"\b({_MONTH_RE})\s+(\d{{4}})\b", re.I)

# A registration number stands alone on its line: yyyy + 5 digits, sometimes with a stray space.
REGISTRATION_LINE = re.compile(r"^\s*((?:19|20)\d{2}\d{2}\s?\d{3})\s*$")
KENMERK_LINE = re.compile(r"^\s*Kenmerk:\s*((?:19|20)\d{7})\s*$")
# "Mevrouw"/"Mijnheer" also open an address line ("Mevrouw drs. J. Tielen"): as a salutation they
# end with a comma.
SALUTATION = re.compile(
    r"^\s*(?:\*\*)?(?:(?:Geachte|Hooggeachte|Zeer geachte|Geacht|Beste|Lieve)\b|(?:Mijnheer|Mevrouw|Dear)\b.*,\s*$)",
    re.I,
)
CLOSING = re.compile(
    r"^\s*(?:\*\*)?(Met (?:vriendelijke|hartelijke|collegiale|beleefde|evenzo beleefde) groet(?:en)?"
    r"|Met de meeste hoogachting|Hoogachtend|Ho\w{2,8}end\b|Vriendelijke groet(?:en)?|Kind regards)",
    re.I,
)
ADDRESS_TO_PARLIAMENT = re.compile(r"^\s*(?:\*\*)?(?:aan\s+)?(?:de\s+)?tweede kamer|t\.a\.v\.\s+bureau\s+wo\w*", re.I)
_LABEL = r"(?:onderwerp|betreft|subject|inzake)"
SUBJECT_LABEL = re.compile(rf"^\s*(?:#+\s*)?(?:\*\*)?{_LABEL}(?:\*\*)?\s*:?\s*(?:\*\*)?\s*(.*)$", re.I)
DATE_LABEL = re.compile(r"^\s*(?:\*\*)?(?:datum|date)(?:\*\*)?\s*:?\s*(?:\*\*)?\s*(.*)$", re.I)


def parse_date(text: str) -> tuple[str | None, str | None]:
    """Find the first date in `text`. Returns (ISO date or None, raw matched text or None)."""
    candidates = []
    for m in DATE_WORDS.finditer(text):
        candidates.append((m.start(), m.group(0), int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1))))
    for m in DATE_NUMERIC.finditer(text):
        candidates.append((m.start(), m.group(0), int(m.group(3)), int(m.group(2)), int(m.group(1))))
    for _, raw, y, mo, d in sorted(candidates):
        try:
            return date(y, mo, d).isoformat(), raw
        except ValueError:
            continue
    month = MONTH_ONLY.search(text)
    if month:
        return None, month.group(0)
    return None, None


def normalise_registration(raw: str) -> str:
    return re.sub(r"\s+", "", raw)


_NEXT_LABEL = re.compile(r"(?i)^(?:bijlagen?|datum|kenmerk|ons kenmerk|uw kenmerk|telefoon|e-?mail|aan)\b")


def find_subject(lines: list[str]) -> str | None:
    """The value of the first `Onderwerp`/`Betreft` label; the value may sit on the next lines."""
    for i, line in enumerate(lines):
        m = SUBJECT_LABEL.match(line)
        if not m:
            continue
        value = clean_inline(m.group(1))
        parts: list[str] = [value] if value else []
        j = i + 1
        # Value on the following lines (after blanks), possibly wrapped over 2-3 hard-broken lines.
        while j < len(lines) and j <= i + 6:
            nxt = lines[j]
            if not nxt.strip():
                if parts:
                    break
                j += 1
                continue
            if SALUTATION.match(nxt) or DATE_LABEL.match(nxt) and not parts:
                break
            if parts and _NEXT_LABEL.match(clean_inline(nxt)):
                break  # "Betreft X" / "Bijlage Y": the next label ends a wrapped value
            if parts and not lines[j - 1].endswith("  "):
                break
            cleaned = clean_inline(nxt)
            if not cleaned or (len(cleaned) > 160 and parts):
                break
            parts.append(cleaned)
            j += 1
        subject = " ".join(parts).strip(" :")
        if subject:
            return subject
    return None


# The sender's own reference: "Ons kenmerk 6786413", "**Kenmerk**" / "COS/U202500738", "Onze
# referentie" / "14108". Not "Uw kenmerk" (the addressee's), never a registration number.
_REFERENCE_LABEL = re.compile(
    r"(?i)(?:^|\s)(?:\*\*)?(?<!uw )(?:ons\s+kenmerk|onze\s+referentie|kenmerk|ref\.?\s*no\.?)"
    r"(?:\*\*)?\s*:?\s*(?:\*\*)?(.*)$"
)


def find_reference(lines: list[str]) -> str | None:
    """The sender's reference in a letter's head: the first token with a digit after the label."""
    for i, line in enumerate(lines):
        m = _REFERENCE_LABEL.search(line)
        if not m:
            continue
        candidates = [clean_inline(m.group(1))] + [clean_inline(x) for x in lines[i + 1 : i + 4] if x.strip()][:1]
        for value in candidates:
            token = value.split()[0] if value.split() else ""
            if token and token[0].isalnum() and any(ch.isdigit() for ch in token) and len(token) <= 40:
                return token.rstrip(".,;")
            if value:
                break
    return None


_NOT_SUBJECT = re.compile(r"(?i)^(?:aan|datum|date|kenmerk|ons kenmerk|telefoon|bijlagen?|t\.a\.v)\b|@|www\.|\d")


def subject_line(header: list[str]) -> str | None:
    """A letter without a subject label: the one-line block right above the salutation, when it
    reads as a title ("Gezamenlijke brief namens een brede coalitie ...") rather than an address."""
    k = len(header) - 1
    while k >= 0 and not header[k].strip():
        k -= 1
    if k < 0 or (k > 0 and header[k - 1].strip()):
        return None
    line = clean_inline(header[k]).lstrip("# ").strip()
    words = line.split()
    if not 4 <= len(words) <= 20 or line.endswith((",", ";")) or _NOT_SUBJECT.search(line):
        return None
    if ADDRESS_TO_PARLIAMENT.match(line) or parse_date(line)[1]:
        return None
    return line


def header_date(lines: list[str]) -> tuple[str | None, str | None]:
    """The letter's date: a `Datum` label value first, otherwise the first date in the header."""
    for i, line in enumerate(lines):
        m = DATE_LABEL.match(line)
        if m:
            window = " ".join([m.group(1)] + lines[i + 1 : i + 4])
            iso, raw = parse_date(clean_inline(window))
            if iso or raw:
                return iso, raw
    return parse_date(clean_inline(" ".join(lines)))


_MONTH_NAMES = {v: k for k, v in MONTHS.items()}


def dutch_date(iso: str | None) -> str | None:
    """ "2025-11-26" -> "26 november 2025", as citations and document facts write dates."""
    if not iso:
        return None
    y, mo, d = (int(x) for x in iso.split("-"))
    return f"{d} {_MONTH_NAMES[mo]} {y}"
