"""Answers from a document's own facts: who signed, in which role, when, its kenmerk, the reply.

The parsed metadata already holds these facts; a sentence search can only stumble on them. The
question names an organisation ("... van de Vereniging Groninger Monument Eigenaren"); the
document is the letter whose sender, signatories' organisations or their abbreviations are all
named in the question. Abbreviations come from the corpus text itself ("Nederlandse Vereniging
van Ziekenhuizen (NVZ)"), so a question may use either form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from qa_service.chunking import Passage
from qa_service.confidence import missing_names
from qa_service.corpus import Document
from qa_service.corpus.metadata import dutch_date, parse_date
from qa_service.corpus.organisations import abbreviations, initials
from qa_service.corpus.signatures import Signatory
from qa_service.questions import Question
from qa_service.retrieval.store import Store
from qa_service.retrieval.terms import REFERENCE_NUMBER
from qa_service.store.keyword import _STOP, _STOP_EN

# Words that name no organisation in particular: a name is matched by its other words.
_GENERIC = frozenset(
    {"nederland", "nederlandse", "stichting", "vereniging", "gemeente", "de", "het", "van", "en", "voor", "der", "den"}
    | {"raad", "commissie", "federatie", "bond", "platform", "netwerk", "coalitie", "instituut", "college", "bureau"}
    | {"organisatie", "organisaties", "brief", "letter", "informateur"}
)
# "... van (de) X", "from (the) X", "namens X": the sender a question names, up to the next clause.
_SENDER_PHRASE = re.compile(
    r"(?i)\b(?:van|from|by|namens)\s+(?:de\s+|het\s+|the\s+|een\s+|an?\s+)?(?P<name>[^?!.,;]+?)"
    r"(?=\s+(?:aan|over|to|about|op|in|met|with|sent|gestuurd|verstuurd|haar|zijn|hun|de brief|the letter)\b|[?!.,;]|$)"
)
_WORD = re.compile(r"[\w()&]+", re.UNICODE)


def _tokens(text: str) -> set[str]:
    words = set()
    for w in _WORD.findall(text.lower().replace("-", " ")):
        words.add(w.strip("()"))
    return {w for w in words if w}


def _key_tokens(name: str) -> frozenset[str]:
    toks = _tokens(name)
    return frozenset(t for t in toks if t not in _GENERIC and t not in _STOP and t not in _STOP_EN and len(t) >= 2)


# How often a fact answer is right, by how its document was found (measured on the lookups of
# eval/answers_tune.jsonl and eval/answers_test.jsonl, `scripts/evaluate_answers.py`): named by the
# question, nearly always; search's first hit when nothing is named (or the agreement passage
# for "which chapter"), 7 of 9 (shrunk towards 0.5 for so few); a letter further down, a guess
# kept below the answer threshold.
NAMED, SEARCHED, GUESSED = 0.9, 0.7, 0.3


@dataclass
class FactAnswer:
    text: str
    document: Document  # the document the citation names
    passage: Passage | None  # where the fact stands (a letter's head or tail, the reply)
    confidence: float


class FactBook:
    """The names each letter and reply goes by, and the passages that show their facts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        docs: list[Document] = []
        for kind in ("letter", "reply"):
            docs += store.documents(kind, None, None, 0, 1_000_000)[1]
        self.documents = {d.id: d for d in docs}
        attachments = store.documents("attachment", None, None, 0, 1_000_000)[1]
        self.aliases = abbreviations((d.text for d in docs + attachments), key=_key_tokens)
        self._names: list[tuple[Document, frozenset[str], bool]] = []
        for d in docs:
            if d.duplicate_of:
                continue
            for name, own in self._doc_names(d):
                key = _key_tokens(name)
                if key:
                    self._names.append((d, key, own))

    def _doc_names(self, d: Document) -> set[tuple[str, bool]]:
        """(name, is the sender's own) for every name a document goes by; a co-signatory's
        organisation names the letter less surely than its sender does."""
        if d.kind == "reply":
            answered = self.documents.get(d.in_reply_to or "")
            own = [d.addressee or ""] + ([answered.sender or ""] if answered else [])
            others: list[str] = []
        else:
            own = (d.sender or "").split(", ")
            others = [s.get("organisation") or "" for s in d.signatories] + d.organisations
        names = {(n, True) for n in own if n} | {(n, False) for n in others if n and n not in own}
        for n, is_own in list(names):
            names |= {(a, is_own) for a in self.aliases.get(_key_tokens(n), set())}
        # The document's own short names ("VNG" used in its text for its sender).
        sender_short = {a for n in own for a in self.aliases.get(_key_tokens(n), set())} | {initials(n) for n in own}
        names |= {(a, a in sender_short) for a in d.aliases}
        return names

    def passage(self, doc: Document, which: str) -> Passage | None:
        ps = self.store.passages_of(doc.id)
        return next((p for p in ps if p.id.endswith(f"-{which}")), ps[0] if ps else None)

    def named(self, question: str) -> list[tuple[float, Document]]:
        """Documents whose name the question holds whole, scored by the name words matched
        (half a word less when only a co-signatory's organisation matched, a quarter when the
        organisation is one of a joint letter's senders: "de brief van de NVB" is the NVB's own
        letter before the one it signed with sixteen others; a tenth when the sender wrote on
        behalf of others too: the VNG's member letter before the joint letter it sent; a little
        less for a letter enclosed with another: "de brief van de RSJ" is the one it sent)."""
        q = _tokens(question)
        found: dict[str, tuple[float, Document]] = {}
        for d, key, own in self._names:
            if key <= q:
                joint = d.kind == "letter" and len((d.sender or "").split(", ")) > 1
                shared = d.kind == "letter" and len(d.organisations) > 1
                n = len(key) - (0.0 if own else 0.5) - (0.25 if own and joint else 0.1 if own and shared else 0.0)
                if d.parent_id:
                    n -= 0.05  # a letter it enclosed names the sender less surely than the one it sent
                if n > found.get(d.id, (0.0, d))[0]:
                    found[d.id] = (n, d)
        return sorted(found.values(), key=lambda t: -t[0])

    def answer(
        self,
        q: Question,
        ranked_docs: list[str],
        hits_agreement: list[tuple[Passage, Document, float]],
        admits: Callable[[Document], bool] = lambda d: True,
    ) -> FactAnswer | None:
        """The fact the question asks for, or None when the documents do not hold it.

        `ranked_docs` are document ids in search order (to break ties between letters of one
        sender); `hits_agreement` the agreement passages found, for "which chapter"; `admits`
        the search filters: the document answered from must pass them.
        """
        if q.fact == "chapter":
            if not hits_agreement:
                return None
            p, doc, dense = hits_agreement[0]
            return FactAnswer(" > ".join(doc.heading_path), doc, p, SEARCHED if dense >= 0.83 else GUESSED)
        named = self.named(q.text)
        order = {doc_id: i for i, doc_id in enumerate(ranked_docs)}
        references = REFERENCE_NUMBER.findall(q.text)
        if references:
            # "de brief met kenmerk 202500736": the number names the document, nothing else does.
            if q.fact == "registration":
                return None  # the question already holds the answer
            by_number = [d for d in self.documents.values() if d.registration_number in references]
            if not by_number:
                return None
            named = [(float(len(references)), d) for d in by_number if not d.duplicate_of]
        if not named:
            # No organisation named ("the joint letter about elderly care"): the letter search
            # ranks first is the one meant, as often as not.
            top = self._top_letter(ranked_docs)
            if top is None or missing_names(q.text, top.title + " " + top.text) or not self._may_be(q.text, top):
                # A name the letter does not hold ("de brief van Greenpeace") asks for another
                # letter, one the corpus does not have.
                return None
            # Search's first hit is that letter (or its attachment): likely the one meant. A letter
            # further down is a guess, kept below the display threshold.
            first = self._top_letter(ranked_docs[:1])
            named, base_confidence = [(0.0, top)], SEARCHED if first is top else GUESSED
        else:
            base_confidence = NAMED
        wants_reply = q.fact == "reply" or (
            q.fact == "registration"
            and re.search(r"\b(?:antwoord|reply|response)\b|\b(?:van|from|by) (?:de |the )?informateur\b", q.text, re.I)
            is not None
        )
        # The best named document of the kind asked about (a reply that names the organisation
        # as its addressee does not hide the organisation's letter, nor the other way round).
        pool: list[tuple[float, Document]] = []
        for n, d in named:
            target = self._reply_of(d) if wants_reply else (d if d.kind == "letter" else None)
            if target is not None and admits(target):
                pool.append((n, target))
        if not pool:
            return None
        best = max(n for n, _ in pool)
        tied = list({d.id: d for n, d in pool if n == best}.values())
        tied.sort(key=lambda d: order.get(d.id, len(order)))
        senders = {(d.sender or d.addressee or "").lower() for d in tied}
        confidence = base_confidence if len(senders) == 1 else min(base_confidence, 0.6)
        doc = tied[0]
        if q.fact == "role":
            return self._role(q, [(n, d) for n, d in named if admits(d)], confidence)
        text = self._fact_text(q, doc)
        if not text:
            return None
        which = "tail" if q.fact in ("signatory", "organisations") else "head"
        return FactAnswer(text, doc, self.passage(doc, which), confidence)

    def _may_be(self, question: str, doc: Document) -> bool:
        """Can `doc` be the letter the question means by "van X" / "from X", when no known name matched?

        "de brief van de Sport- & Cultuur Verenigingen Raad" is the letter whose head reads
        "Studenten Sport- en Cultuurverenigingen Raad"; "de brief van D66", "van het COA" or "from
        the banks" is no letter whose sender, title or head holds those words. A sender phrase of
        generic words only ("van de Vereniging", "van de informateur") names no letter at all; one
        that is a date ("van 26 november 2025") must be the letter's date.
        """
        m = _SENDER_PHRASE.search(question)
        if m is None:
            return True  # described by its topic ("the joint letter about elderly care")
        phrase = m.group("name")
        iso, _ = parse_date(phrase)
        if iso:
            return doc.date == iso
        words = {w for w in _key_tokens(phrase) if not w.isdigit()}
        if not words:
            return False
        head = self.passage(doc, "head")
        orgs = " ".join([*(s.get("organisation") or "" for s in doc.signatories), *doc.organisations, *doc.aliases])
        seen = " ".join([doc.sender or "", doc.title, orgs, head.text if head else ""]).lower()
        return 2 * sum(w in seen for w in words) >= len(words)

    def _top_letter(self, ranked_docs: list[str]) -> Document | None:
        for doc_id in ranked_docs:
            d = self.documents.get(doc_id)
            if d is None:
                d = self.store.document(doc_id)
            if d is not None and d.kind == "attachment" and d.parent_id:
                d = self.documents.get(d.parent_id)
            if d is not None and d.kind in ("letter", "reply"):
                return d
        return None

    def _reply_of(self, d: Document) -> Document | None:
        if d.kind == "reply":
            return d
        return self.documents.get(self._sent_with(d).reply_id or "")

    def _sent_with(self, d: Document) -> Document:
        """The letter `d` was sent with: an enclosed letter was registered and answered with its cover."""
        seen = {d.id}
        while d.kind == "letter" and not d.reply_id and not d.registration_number and d.parent_id:
            parent = self.documents.get(d.parent_id)
            if parent is None or parent.id in seen:
                break
            d = parent
            seen.add(d.id)
        return d

    def _fact_text(self, q: Question, doc: Document) -> str | None:
        if q.fact == "signatory":
            signed = [Signatory(**s) for s in doc.signatories]  # type: ignore[arg-type]
            if signed:
                return "; ".join(s.describe() for s in signed)
            return doc.signatory
        if q.fact == "organisations":
            orgs = [(s.get("organisation"), s.get("name")) for s in doc.signatories if s.get("organisation")]
            if len({o for o, _ in orgs}) > 1:
                return "; ".join(f"{o} ({n})" for o, n in orgs)
            if len(doc.organisations) > 1:  # "namens de betrokken partijen" and a list of them
                return ", ".join(doc.organisations)
            return doc.sender
        if q.fact == "date":
            return dutch_date(doc.date)
        if q.fact == "reply":
            when = dutch_date(doc.date)
            if not when:
                return None
            if q.wants == "person" and doc.signatory:  # "who signed the reply": the person first
                return f"{doc.signatory}, {when}"
            return f"{when}, door {doc.signatory}" if doc.signatory else when
        if q.fact == "registration":
            return self._sent_with(doc).registration_number
        if q.fact == "subject":
            return doc.subject
        return None

    def _role(self, q: Question, named: list[tuple[float, Document]], confidence: float) -> FactAnswer | None:
        """The signatory with the asked role, of the organisation the question names."""
        role = (q.role or "").lower()
        q_tokens = _tokens(q.text)
        for _, doc in named:
            for s in doc.signatories:
                org = s.get("organisation") or doc.sender or ""
                names = {org} | self.aliases.get(_key_tokens(org), set())
                # A letter signed by one person: naming the letter's sender names its organisation.
                own = len(doc.signatories) == 1 or any(_key_tokens(n) <= q_tokens for n in names)
                if role and role in (s.get("role") or "").lower() and own:
                    sig = Signatory(**s)  # type: ignore[arg-type]
                    return FactAnswer(sig.describe(), doc, self.passage(doc, "tail"), confidence)
            # No signature block parsed, but the reply addressed the signer with the role
            # ("T.a.v. burgemeester Van den Belt").
            if role and not doc.signatories and doc.signatory and role in doc.signatory.lower():
                return FactAnswer(doc.signatory, doc, self.passage(doc, "tail"), confidence)
        return None
