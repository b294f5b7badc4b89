"""The Document: one letter, attachment, reply or agreement section, with its clean text."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DocKind = Literal["letter", "attachment", "reply", "agreement_section"]
ParaKind = Literal["prose", "list", "heading", "block", "footnote"]


@dataclass
class Paragraph:
    """A unit of clean text; `char_start`/`char_end` index the document's `text`."""

    text: str
    kind: ParaKind
    char_start: int = 0
    char_end: int = 0


@dataclass
class Document:
    """A real document cut from a corpus file.

    `line_start`/`line_end` are 1-based, inclusive lines of `source_file`; `text` is the clean
    text (paragraphs separated by a blank line) that passages and citations point into.
    """

    id: str
    kind: DocKind
    source_file: str
    line_start: int
    line_end: int
    paragraphs: list[Paragraph] = field(default_factory=list)
    sender: str | None = None
    signatory: str | None = None
    signatory_role: str | None = None
    # Everyone who signed, in order: [{"name", "role", "organisation"}] (a joint letter has many).
    signatories: list[dict[str, str | None]] = field(default_factory=list)
    date: str | None = None
    date_raw: str | None = None
    registration_number: str | None = None
    registration_raw: str | None = None
    subject: str | None = None
    addressee: str | None = None
    heading_path: list[str] = field(default_factory=list)
    parent_id: str | None = None
    reply_id: str | None = None
    in_reply_to: str | None = None
    # On a letter the informateur answered: the reply's date and signatory.
    reply_date: str | None = None
    reply_signatory: str | None = None
    duplicate_of: str | None = None
    # The organisations the document speaks for, sender first: signatories' organisations, a
    # closing's "namens X", a joint letter's list (an attachment: its letter's; a reply: the informateur).
    organisations: list[str] = field(default_factory=list)
    # Other names of those organisations: short names ("VNG"), or the full name of one the text
    # calls by its short name. A sender filter matches these whole.
    aliases: list[str] = field(default_factory=list)
    # The sender's own reference ("Kenmerk COS/U202500738", "Ons kenmerk 6786413"): not a registration.
    reference: str | None = None
    title: str = ""
    _text: str | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        # Cached once the document is final: search and answers read it on hot paths.
        if self._text is not None:
            return self._text
        return "\n\n".join(p.text for p in self.paragraphs)

    def finalize(self) -> None:
        """Assign paragraph offsets into `text` and a display title."""
        pos = 0
        for p in self.paragraphs:
            p.char_start, p.char_end = pos, pos + len(p.text)
            pos = p.char_end + 2
        if not self.title:
            self.title = self._default_title()
        self._text = "\n\n".join(p.text for p in self.paragraphs)

    @property
    def sender_short(self) -> str | None:
        """The sender for titles and citations: a joint letter's long list cut to three names."""
        if not self.sender:
            return None
        parts = self.sender.split(", ")
        if len(parts) <= 3:
            return self.sender
        return f"{', '.join(parts[:3])} en {len(parts) - 3} andere organisaties"

    def _default_title(self) -> str:
        if self.kind == "agreement_section":
            return " > ".join(self.heading_path) or "Coalitieakkoord"
        who = self.sender_short or "onbekende afzender"
        if self.kind == "reply":
            return f"Antwoord van de informateur aan {self.addressee or 'de afzender'}"
        if self.kind == "attachment":
            return f"Brief van {who}, bijlage" + (f": {self.subject}" if self.subject else "")
        return f"Brief van {who}" + (f": {self.subject}" if self.subject else "")

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        d = asdict(self)
        d.pop("paragraphs")
        d.pop("_text")
        if with_text:
            d["text"] = self.text
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        paras = [Paragraph(**p) for p in d.get("paragraphs", [])]
        fields = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and k != "paragraphs"}
        fields.pop("_text", None)
        doc = cls(**fields, paragraphs=paras)
        doc._text = "\n\n".join(p.text for p in paras)
        return doc
