"""The store protocol for writes and lifecycle: what every backend implements.

`Store` (retrieval/store.py) is what a search reads; a `Backend` is where that store comes from:
it opens it, builds it from the corpus, applies changes to it and follows new versions of it.
`backend.py` chooses one from the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from qa_service.encoders import Encoder
    from qa_service.retrieval.store import Store

# An upload: (name, text, metadata given with it).
Upload = tuple[str, str, dict[str, Any]]
ProgressFn = Callable[[int, int], None]


@dataclass
class Change:
    """The outcome of a write: what was added and removed, and the version it produced."""

    added: list[str]
    removed: list[str]
    version: str | None
    unchanged: bool = False


class Watcher(Protocol):
    """Calls its `on_change` with a newly opened store when another version of the corpus goes live."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def check(self) -> bool:
        """Publish the live version now if it changed. Returns True when it did."""
        ...


class Backend(Protocol):
    """One store's writes and lifecycle; the settings it was made from hold everything it needs."""

    where: str  # for messages: the index folder, or "the database"

    def open(self, encoder_name: str | None) -> Store:
        """The store, checked against the encoder and chunking (IndexMismatch otherwise);
        `encoder_name` None opens it for listing only, unchecked."""
        ...

    def build(self, encoder: Encoder, progress: ProgressFn | None = None) -> dict[str, Any]:
        """Rebuild from the corpus folder plus ingested texts, minus deleted documents, atomically.

        Returns the build's manifest: version, built_at, encoder, counts, embedded,
        vector_sources, timings (seconds per stage), build_seconds.
        """
        ...

    def apply_changes(
        self,
        encoder: Encoder,
        *,
        add_text: Upload | None = None,
        remove: set[str] | None = None,
        before_commit: Callable[[], None] | None = None,
        progress: ProgressFn | None = None,
    ) -> Change:
        """Add one text and/or remove documents, as one unit.

        Removing a document removes its attachments too; content already in the corpus is not
        added again (`unchanged`); an unknown id to remove raises NotFound; a text without a
        paragraph of content raises EmptyDocument. `before_commit` runs when everything is
        ready and nothing is published yet (tests kill a writer there).
        """
        ...

    def watch(self, encoder_name: str, on_change: Callable[[Store], None], current: str | None) -> Watcher:
        """A watcher that opens and hands over each new live version after `current`
        (the folder's; PostgreSQL has nothing to watch: every request reads the database)."""
        ...

    def describe(self) -> dict[str, Any]:
        """What `qa-service index info` prints: the live version's manifest."""
        ...
