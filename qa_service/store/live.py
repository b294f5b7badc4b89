"""A living corpus: add, replace and delete documents in place, and follow new index versions.

Writers (CLI or HTTP) take the index's file lock for the whole read-modify-write, embed only the
new passages, and publish a complete new version by switching `CURRENT`; readers keep serving the
version they hold until the watcher has loaded the new one, then swap in one assignment. A crash
at any moment leaves the last complete version live.

What was ingested is also kept as text under `<index_dir>/ingested/` (and deletions of bundled
documents in `deleted.json`), so a full `qa-service index build` reproduces the live corpus.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.chunking import ChunkingSettings, Passage, chunk_documents
from qa_service.corpus import Document
from qa_service.corpus.loader import parse_text
from qa_service.corpus.organisations import set_sender
from qa_service.encoders import Encoder
from qa_service.errors import EmptyDocument, IndexMismatch, NotFound
from qa_service.store.index import (
    LoadedIndex,
    _atomic_write,
    cached_counter,
    commit_version,
    current_version,
    embedding_text,
    load_index,
    write_lock,
)

logger = logging.getLogger(__name__)

OVERRIDABLE = ("kind", "sender", "date", "subject", "signatory", "registration_number")


def ingested_dir(index_dir: Path) -> Path:
    return index_dir / "ingested"


def deleted_ids(index_dir: Path) -> set[str]:
    try:
        return set(json.loads((index_dir / "deleted.json").read_text()))
    except FileNotFoundError:
        return set()


def load_ingested(index_dir: Path) -> list[Document]:
    """Documents ingested earlier, re-parsed from their stored text with their stored overrides."""
    out: list[Document] = []
    folder = ingested_dir(index_dir)
    if not folder.is_dir():
        return out
    for text_file in sorted(folder.glob("*.txt")):
        meta_file = text_file.with_suffix(".json")
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        out.extend(documents_from_text(text_file.read_text(encoding="utf-8"), meta["source_file"], meta))
    return out


def documents_from_text(text: str, source_file: str, meta: dict[str, Any]) -> list[Document]:
    """Parse text by the corpus rules, then apply explicit metadata (it wins over what was read)."""
    docs = parse_text(text, source_file)
    for d in docs:
        for key in OVERRIDABLE:
            if key == "sender" and meta.get(key):
                set_sender(d, meta[key])
            elif meta.get(key):
                setattr(d, key, meta[key])
        if meta.get("date"):
            d.date_raw = None  # the date as written in the text is not the date the document has now
        if meta.get("title"):
            d.title = meta["title"]
        elif any(meta.get(k) for k in ("kind", "sender", "subject")):
            d.title = ""
            d.finalize()
    return docs


def require_content(name: str, passages: list[Passage]) -> None:
    """Refuse an upload that would be indexed without a passage of content.

    A text of a salutation and a signature parses as a letter whose body is empty: stored, it
    would be listed but never found, which reads as a broken search.
    """
    if not any(p.role != "envelope" for p in passages):
        raise EmptyDocument(f"{name} has no paragraph of content to index (only a letterhead, salutation or signature)")


def safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem).strip("-._")[:60] or "document"
    return stem


@dataclass
class Change:
    """The outcome of a write: what was added and removed, and the version it produced."""

    added: list[str]
    removed: list[str]
    version: str | None
    unchanged: bool = False


def _known_vectors(live: LoadedIndex, chunking: ChunkingSettings) -> dict[str, np.ndarray]:
    """Embedded text -> vector of the live version, so unchanged passages are not embedded again."""
    known: dict[str, np.ndarray] = {}
    pvec = live.vectors.vectors(np.arange(len(live.passages)))
    for p, v in zip(live.passages, pvec, strict=True):
        known[embedding_text(live.documents[p.doc_id], p, chunking.context)] = v
    if len(live.sentence_table):
        svec = live.sentence_vectors.vectors(np.arange(len(live.sentence_table)))
        for (prow, a, b), v in zip(live.sentence_table.tolist(), svec, strict=True):
            known[live.documents[live.passages[prow].doc_id].text[a:b]] = v
    return known


def apply_changes(
    index_dir: Path,
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path | None,
    *,
    add_text: tuple[str, str, dict[str, Any]] | None = None,
    remove: set[str] | None = None,
    before_commit: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Change:
    """Add one text (name, text, metadata) and/or remove documents, as one new version.

    Removing a document removes its attachments too. Content already in the index is not added
    again (`unchanged`). Raises NotFound for an unknown id to remove.
    """
    remove = set(remove or ())
    with write_lock(index_dir):
        live = load_index(index_dir, encoder.name, chunking)
        unknown = remove - set(live.documents)
        if unknown:
            raise NotFound(f"no document with id {sorted(unknown)[0]!r}")
        cascade = {d.id for d in live.documents.values() if d.parent_id in remove}
        remove |= cascade
        new_docs: list[Document] = []
        text_file: Path | None = None
        if add_text is not None:
            name, text, meta = add_text
            new_docs, text_file, meta = _prepare(index_dir, name, text, meta)
            existing = {d.content_hash: d.id for d in live.documents.values() if d.id not in remove}
            fresh = [d for d in new_docs if d.content_hash not in existing]
            if not fresh and not remove:
                return Change([existing[d.content_hash] for d in new_docs], [], live.version, unchanged=True)
            new_docs = fresh
        kept = [d for d in live.documents.values() if d.id not in remove]
        clash = {d.id for d in kept} & {d.id for d in new_docs}
        if clash:
            raise IndexMismatch(f"document id {sorted(clash)[0]!r} already exists")
        passages = [p for p in live.passages if p.doc_id not in remove]
        added = chunk_documents(new_docs, cached_counter(encoder), chunking)
        if add_text is not None:
            require_content(add_text[0], added)
        passages += added
        known = _known_vectors(live, chunking)
        if before_commit is not None:
            before_commit()
        # Persist the source of the change first: a crash after this point is healed by the next
        # `index build`; a crash before it changes nothing.
        if add_text is not None and new_docs and text_file is not None:
            _atomic_write(text_file, add_text[1])
            _atomic_write(text_file.with_suffix(".json"), json.dumps(meta, ensure_ascii=False))
        _record_removals(index_dir, remove)
        manifest = commit_version(
            index_dir,
            kept + new_docs,
            passages,
            encoder,
            chunking,
            cache_dir,
            known,
            progress,
            corpus_sha256=live.manifest.get("corpus_sha256"),
            lock=False,
        )
        return Change([d.id for d in new_docs], sorted(remove), manifest["version"])


def _prepare(
    index_dir: Path, name: str, text: str, meta: dict[str, Any]
) -> tuple[list[Document], Path, dict[str, Any]]:
    import hashlib

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    source_file = f"{safe_name(name)}-{digest}{Path(name).suffix.lower() or '.txt'}"
    meta = {**{k: v for k, v in meta.items() if v}, "source_file": source_file, "original_name": name}
    folder = ingested_dir(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    docs = documents_from_text(text, source_file, meta)
    return docs, folder / f"{Path(source_file).stem}.txt", meta


def _record_removals(index_dir: Path, removed: set[str]) -> None:
    if not removed:
        return
    folder = ingested_dir(index_dir)
    ingested_files = {}
    if folder.is_dir():
        for meta_file in folder.glob("*.json"):
            src = json.loads(meta_file.read_text()).get("source_file", "")
            ingested_files[Path(src).stem] = meta_file
    bundled = set()
    for doc_id in removed:
        stem = doc_id.rsplit("-L", 1)[0]
        if stem in ingested_files:
            continue  # handled below: the stored text goes when all its documents go
        bundled.add(doc_id)
    if bundled:
        _atomic_write(index_dir / "deleted.json", json.dumps(sorted(deleted_ids(index_dir) | bundled)))
    for stem, meta_file in ingested_files.items():
        if any(d.rsplit("-L", 1)[0] == stem for d in removed):
            # Removing one document of an ingested file removes the file's text from the sources.
            meta_file.with_suffix(".txt").unlink(missing_ok=True)
            meta_file.unlink(missing_ok=True)


class IndexWatcher:
    """Polls `CURRENT` and calls `on_change(new LoadedIndex)` when another version goes live.

    Every server worker runs one, so all workers move to a new version within `interval`
    seconds of its publication, without a restart.
    """

    def __init__(
        self,
        index_dir: Path,
        load: Callable[[], LoadedIndex],
        on_change: Callable[[LoadedIndex], None],
        current: str | None,
        interval: float = 0.5,
    ) -> None:
        self.index_dir, self._load, self._on_change = index_dir, load, on_change
        self.version = current
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> bool:
        """Load and publish the live version if it changed. Returns True when it did."""
        v = current_version(self.index_dir)
        if v is None or v == self.version:
            return False
        try:
            idx = self._load()
        except Exception as e:  # a version being pruned or half-visible: try again next tick
            logger.warning("could not load index version %s: %s", v, e)
            return False
        self.version = idx.version
        self._on_change(idx)
        logger.info("now serving index version %s", idx.version)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
