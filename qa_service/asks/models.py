"""An ask: a sentence (or list item, or heading) in which a letter's writer asks something of the
formation, the cabinet or politics, and what the coalition agreement does with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["addressed", "related", "absent"]
STATUSES: tuple[Status, ...] = ("addressed", "related", "absent")


@dataclass
class AgreementMatch:
    """One agreement passage that bears on an ask, with the sentence that matters most."""

    passage_id: str
    doc_id: str
    score: float  # fused ranking score, comparable within one ask only
    similarity: float  # cosine of the ask and the passage's best sentence
    sentence_start: int  # the best sentence, as char offsets in the agreement document's text
    sentence_end: int
    commitment: str  # "commits", "hedges", "rejects" or "states": what that sentence does

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Ask:
    """One ask of one document; `text == document.text[char_start:char_end]`."""

    id: str
    doc_id: str
    ordinal: int
    text: str
    char_start: int
    char_end: int
    topic: str
    cue: str  # the rule that found it: "request", "imperative", "necessity", "proposal", "list", ...
    status: Status = "absent"
    confidence: float = 0.0  # how likely `status` is right (calibrated, see asks/status.py)
    probabilities: dict[str, float] = field(default_factory=dict)  # every status's probability
    agreement: list[AgreementMatch] = field(default_factory=list)  # best first
    features: list[float] = field(default_factory=list)  # the status model's inputs (asks/status.py)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ask:
        fields = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        fields["agreement"] = [AgreementMatch(**m) for m in d.get("agreement", [])]
        return cls(**fields)
