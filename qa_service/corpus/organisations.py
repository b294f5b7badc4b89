"""The organisations a letter speaks for, and the short names they go by.

A letter speaks for its sender and for everyone in its signature: the signatories'
organisations, a closing "namens X" or "mede namens de wethouders A (Plaats), ...", a list of
organisations under "namens de betrokken partijen". Organisations define their short names in
running text ("Vereniging van Nederlandse Gemeenten (VNG)", "(hierna: de RSJ)") or simply use
the initials of their name ("De VNG herkent ..."). Rules of Dutch correspondence, no names of
this corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from qa_service.corpus.markup import clean_inline
from qa_service.corpus.metadata import CLOSING
from qa_service.corpus.models import Document
from qa_service.corpus.signatures import ORG_WORD, looks_like_name, org_name

# "Long Name (LN)": a short name defined in brackets after the name.
_ABBREV = re.compile(r"([A-Z][\w'’-]*(?:\s+(?:(?:[a-z]{1,4}|&)\s+)*[A-Z][\w'’-]*){1,8})\s+\(([A-Z][\w&-]{1,12})\)")
# "Long Name (hierna: de LN)" / "(hierna te noemen: LN)".
_HIERNA = re.compile(
    r"([A-Z][\w'’-]*(?:\s+(?:(?:[a-z]{1,4}|&)\s+)*[A-Z][\w'’-]*){1,8})\s+"
    r"\(hierna(?:\s+te\s+noemen)?\s*:?\s*(?:de\s+|het\s+)?([A-Z][\w&-]{1,12})\)"
)
# "LN (Long Name)": the short name first.
_ABBREV_FIRST = re.compile(r"\b([A-Z][A-Z0-9&-]{1,11})\s+\(([A-Z][\w'’-]*(?:\s+[\w'’&-]+){1,8})\)")
_WORD = re.compile(r"[\w()&]+", re.UNICODE)
_UPPER_WORD = re.compile(r"\b[A-Z][A-Z0-9&-]{2,11}\b")
_PARTICLES = frozenset({"van", "de", "der", "den", "het", "voor", "en", "in", "op", "of", "and", "for", "the", "te"})
# Words that name no organisation in particular: names are compared by their other words.
GENERIC = frozenset(
    {"nederland", "nederlandse", "stichting", "vereniging", "gemeente", "de", "het", "van", "en", "voor", "der", "den"}
    | {"raad", "commissie", "federatie", "bond", "platform", "netwerk", "coalitie", "instituut", "college", "bureau"}
    | {"organisatie", "organisaties", "brief", "letter", "informateur", "in", "op", "of", "te", "the", "and", "for"}
)

# "namens (de) X" at the start of a line, or at the end of a closing formula.
_NAMENS = re.compile(r"(?i)^(?:.*?,\s*)?(?:mede\s+)?namens\b\s*(?P<target>.*)$")
# "de wethouders A (Eemsdelta), B (Het Hogeland) en C (Oldambt)": office holders of places.
_OFFICE_HOLDERS = re.compile(r"(?i)^(?:de\s+)?(?P<office>wethouders?|burgemeesters?|gedeputeerden?|colleges?)\b")
_IN_BRACKETS = re.compile(r"\(([^()]{2,40})\)")
# A group, not an organisation: "de betrokken partijen", "de ondertekenaars", "Hulpverleningsorganisaties";
# or the sender's own board ("namens het bestuur").
_GROUP = re.compile(
    r"(?i)^(?:de\s+|het\s+|alle\s+|onze\s+|ons\s+)*(?:betrokken\s+|ondertekende\s+|onderstaande\s+|volgende\s+)*"
    r"(?:\w*organisaties|\w*partijen|ondertekenaars|partners|leden|allen"
    r"|(?:algemeen\s+|dagelijks\s+)?bestuur|directie|college|raad van bestuur)$"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-•◆▪]\s+|\d{1,2}[.)]\s+)")


def key_tokens(name: str) -> frozenset[str]:
    """The words that make a name itself ("Vereniging van Nederlandse Gemeenten" -> {gemeenten})."""
    toks = {w.strip("()") for w in _WORD.findall(name.lower().replace("-", " "))}
    return frozenset(t for t in toks if t and t not in GENERIC and len(t) >= 2)


def initials(name: str) -> str:
    """ "Vereniging van Nederlandse Gemeenten" -> "VNG" (capitalised words only)."""
    return "".join(w[0] for w in re.split(r"[\s-]+", name) if w[:1].isupper() and w.lower() not in _PARTICLES)


def abbreviations(
    texts: Iterable[str], key: Callable[[str], frozenset[str]] = key_tokens
) -> dict[frozenset[str], set[str]]:
    """Short names defined in running text, both ways: the long name's key words map to its short
    names, the short name's to its long names ("Long Name (LN)", "(hierna: de LN)", "LN (Long Name)").
    `key`: how a name is reduced to the words compared."""
    out: dict[frozenset[str], set[str]] = {}

    def add(long_words: list[str], short: str) -> None:
        while long_words and long_words[0][0].lower() != short[0].lower():
            long_words = long_words[1:]  # "Brief Nederlandse Vereniging (NV)": the name starts at its initial
        long = " ".join(long_words)
        if len(long_words) < 2:
            return
        caps = "".join(w[0] for w in long_words if w[:1].isupper()).lower()
        # Only a real abbreviation of the words next to it, not any aside in brackets.
        if not short.isupper() or not set(short.lower()) <= set(caps + "".join(long.lower().split())):
            return
        if short.lower()[0] != caps[:1]:
            return
        out.setdefault(key(long), set()).add(short)
        out.setdefault(key(short), set()).add(long)

    for text in texts:
        for m in _ABBREV.finditer(text):
            add(m.group(1).split(), m.group(2))
        for m in _HIERNA.finditer(text):
            add(m.group(1).split(), m.group(2))
        for m in _ABBREV_FIRST.finditer(text):
            add(m.group(2).split(), m.group(1))
    return out


def _strip_brackets(name: str) -> tuple[str, str | None]:
    """ "Nederlandse Vereniging van Ziekenhuizen (NVZ)" -> (name, "NVZ")."""
    m = re.fullmatch(r"(.+?)\s*\(([A-Z][\w&-]{1,12})\)", name)
    if m and m.group(2).isupper():
        return m.group(1).strip(), m.group(2)
    return name, None


def _same(a: str, b: str) -> bool:
    norm = re.compile(r"^(?:de|het)\s+|\W+")
    return norm.sub("", a.lower()) == norm.sub("", b.lower())


def _contains(longer: str, shorter: str) -> bool:
    return re.search(rf"(?i)(?<!\w){re.escape(shorter)}(?!\w)", longer) is not None


def _namens_targets(block: list[str]) -> list[str]:
    """Organisations named by one "namens" block of a signature (raw lines, one block)."""
    cleaned = [clean_inline(x).strip(" ,.;:") for x in block]
    m = _NAMENS.match(cleaned[0]) if cleaned else None
    if not m:
        return []
    target = m.group("target").strip(" ,.;:")
    rest = cleaned[1:]
    # A bold or italic span runs over several lines: "**Namens de VNG-commissie / Bestuurlijke Aanpak / Mensenhandel**".
    emphasis = re.match(r"^\s*(\*+|_+)", block[0]) and not re.search(r"(\*+|_+)\s*$", block[0])
    if emphasis:
        n = next((k for k, x in enumerate(block[1:], 1) if re.search(r"(\*+|_+)\s*$", x)), 0)
        target = " ".join([target, *cleaned[1 : n + 1]]).strip()
        rest = cleaned[n + 1 :]
    else:
        while rest and (re.search(r"(?i)\b(?:de|het|van|en|voor)$", target) or rest[0][:1].islower()):
            target, rest = f"{target} {rest[0]}".strip(), rest[1:]
    if not target:
        return []
    holders = _OFFICE_HOLDERS.match(target)
    if holders:
        # "mede namens de wethouders Usmany-Dallinga (Eemsdelta), ...": the places are gemeenten.
        kind = "Provincie" if holders.group("office").lower().startswith("gedeputeerde") else "Gemeente"
        return [f"{kind} {p.strip()}" for p in _IN_BRACKETS.findall(target)]
    if looks_like_name(target):
        # "mede namens Femke Brenninkmeijer" / "Economic Board Zuid-Holland": the person's organisation.
        return [rest[0]] if rest and ORG_WORD.search(rest[0]) and not looks_like_name(rest[0]) else []
    name = org_name(target)
    if not name or _GROUP.match(name) or len(name.split()) > 10:
        return []
    return [name]


def _blocks(lines: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    cur: list[str] = []
    for x in [*lines, ""]:
        if x.strip():
            cur.append(x)
        elif cur:
            out.append(cur)
            cur = []
    return out


def namens_organisations(body: list[str]) -> list[str]:
    """Organisations a letter's closing speaks for: "namens X" lines around the closing formula,
    and the list of organisations under "namens de betrokken partijen"."""
    closing = next((i for i, x in enumerate(body) if CLOSING.match(x)), None)
    if closing is None:
        return []
    # The line before the closing may hold "Mede namens ..." (it ends with a comma and leads into it).
    before = [i for i in range(max(0, closing - 6), closing) if body[i].strip()][-2:]
    start = before[0] if before else closing
    out: list[str] = []
    blocks = _blocks(body[start:])
    for n, block in enumerate(blocks):
        for k in range(len(block)):
            if not _NAMENS.match(clean_inline(block[k])) or (k and not CLOSING.match(clean_inline(block[k - 1]))):
                continue
            out += _namens_targets(block[k:])
            target = _NAMENS.match(clean_inline(block[k]))
            generic = target is not None and (
                not target.group("target").strip(" ,.;:") or _GROUP.match(target.group("target").strip(" ,.;:"))
            )
            # "namens de betrokken partijen" followed by a bulleted list of organisations.
            if generic and n + 1 < len(blocks) and all(_LIST_ITEM.match(x) for x in blocks[n + 1]):
                for item in blocks[n + 1]:
                    name = org_name(_LIST_ITEM.sub("", clean_inline(item)))
                    if name and len(name.split()) <= 10:
                        out.append(name)
            break
    return out


def merge_organisations(names: Iterable[str | None]) -> tuple[list[str], list[str]]:
    """(organisations, short names in brackets) in order, each once: a name another one holds
    ("Strategisch Overleg" in "Strategisch Overleg Mensenhandel") is the same organisation; the
    first name (the sender's) is kept as it is written."""
    out: list[str] = []
    shorts: list[str] = []
    for raw in names:
        if not raw:
            continue
        name, short = _strip_brackets(raw.strip())
        if short:
            shorts.append(short)
        if not name or any(_same(name, o) for o in out):
            continue
        # "Nederlandse Vereniging van Banken (NVB)" or "Vereniging Gehandicaptenzorg Nederland" after
        # "NVB"/"VGN": the same organisation by its short name.
        init = initials(name) if len(initials(name)) >= 3 else None
        if any(o in (short, init) or (len(initials(o)) >= 3 and initials(o) == name) for o in out):
            shorts.append(name)
            continue
        if any(_contains(o, name) for o in out):
            continue
        if out and _contains(name, out[0]):
            shorts.append(name)  # "Afdeling advisering van de RSJ": a part of the sender, not another one
            continue
        # A longer name of an organisation already listed replaces it (never the sender's).
        longer = next((k for k, o in enumerate(out) if k > 0 and _contains(name, o)), None)
        if longer is not None:
            out[longer] = name
            continue
        out.append(name)
    return out, shorts


def sender_parts(sender: str | None, signatory_orgs: list[str]) -> list[str]:
    """The sender as organisations: a joint letter's sender lists its signatories' organisations."""
    if not sender:
        return []
    parts = sender.split(", ")
    known = {o.lower() for o in signatory_orgs}
    if len(parts) >= 3 and all(p.lower() in known for p in parts):
        return parts
    return [sender]


def short_names(
    organisations: list[str], text: str, defined: dict[frozenset[str], set[str]], extra: Iterable[str] = ()
) -> list[str]:
    """Other names the organisations go by: short names defined anywhere (`defined`, by key
    words), initials used as a word in `text` ("De VNG herkent ..."), and the full name of an
    organisation the letter calls by its short name."""
    out: list[str] = list(extra)
    upper_words = set(_UPPER_WORD.findall(text))
    for org in organisations:
        key = key_tokens(org)
        if key:
            out += sorted(defined.get(key, set()))
        init = initials(org)
        if len(init) >= 3 and init != org and init in upper_words:
            out.append(init)
    seen = {o.lower() for o in organisations}
    result: list[str] = []
    for a in out:
        if a.lower() not in seen:
            seen.add(a.lower())
            result.append(a)
    return result


def assign_organisations(doc: Document, body: list[str]) -> None:
    """Set a letter's organisations from its sender, signatories and "namens" lines (`body`:
    the letter's raw lines); short names written in brackets after a name become aliases."""
    sig_orgs = [s.get("organisation") or "" for s in doc.signatories]
    names = [*sender_parts(doc.sender, sig_orgs), *sig_orgs, *namens_organisations(body)]
    doc.organisations, shorts = merge_organisations(names)
    doc.aliases = list(dict.fromkeys([*doc.aliases, *shorts]))


def assign_aliases(docs: list[Document], defined: dict[frozenset[str], set[str]] | None = None) -> None:
    """Give every document the other names of its organisations. `defined`: short names defined
    in the text (default: those of `docs` themselves); initials count when the letter, its
    enclosures or its attachments use them as a word."""
    if defined is None:
        defined = abbreviations(d.text for d in docs if d.kind != "agreement_section")
    family: dict[str, list[str]] = {}
    by_id = {d.id: d for d in docs}
    for d in docs:
        root = d
        while root.parent_id and root.parent_id in by_id and root.parent_id != root.id:
            root = by_id[root.parent_id]
        family.setdefault(root.id, []).append(d.text)
    for d in docs:
        if not d.organisations:
            continue
        root = d
        while root.parent_id and root.parent_id in by_id and root.parent_id != root.id:
            root = by_id[root.parent_id]
        text = "\n".join(family.get(root.id, [d.text]))
        d.aliases = short_names(d.organisations, text, defined, d.aliases)


def sender_names(doc: Document) -> tuple[list[str], list[str]]:
    """What a sender filter looks at, lower-cased: (names a needle may be part of: the sender,
    the organisations and their long names; short names a needle must equal whole)."""
    names = [doc.sender or "", *doc.organisations, *(a for a in doc.aliases if " " in a.strip())]
    shorts = [a for a in doc.aliases if " " not in a.strip()]
    return [n.lower() for n in names if n], [a.lower() for a in shorts]


def matches_sender(doc: Document, needle: str) -> bool:
    """Does a sender filter admit `doc`? The needle is a case-insensitive part of the sender's or
    an organisation's name, or one of their short names whole ("VNG", not "V")."""
    n = needle.lower()
    names, shorts = sender_names(doc)
    return any(n in x for x in names) or n in shorts


def set_sender(doc: Document, sender: str) -> None:
    """A sender given by hand replaces the one read: it heads the organisations."""
    rest = [o for o in doc.organisations if o != doc.sender]
    doc.sender = sender
    doc.organisations = merge_organisations([sender, *rest])[0]
