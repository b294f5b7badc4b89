"""What was ingested into the folder (its text under `<index_dir>/ingested/`) and which bundled
documents were deleted (`deleted.json`), so a full `qa-service index build` reproduces the live
corpus."""

from __future__ import annotations

import json
from pathlib import Path

from qa_service.store.folder.index import atomic_write
from qa_service.store.sources import Source


def ingested_dir(index_dir: Path) -> Path:
    return index_dir / "ingested"


def deleted_ids(index_dir: Path) -> set[str]:
    try:
        return set(json.loads((index_dir / "deleted.json").read_text()))
    except FileNotFoundError:
        return set()


def load_ingested(index_dir: Path) -> list[Source]:
    """Texts ingested earlier, with their stored metadata, in the order of their file names."""
    out: list[Source] = []
    folder = ingested_dir(index_dir)
    if not folder.is_dir():
        return out
    for text_file in sorted(folder.glob("*.txt")):
        meta_file = text_file.with_suffix(".json")
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        out.append((meta["source_file"], text_file.read_text(encoding="utf-8"), meta))
    return out


def save_source(index_dir: Path, source: Source) -> None:
    source_file, text, meta = source
    folder = ingested_dir(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    text_file = folder / f"{Path(source_file).stem}.txt"
    atomic_write(text_file, text)
    atomic_write(text_file.with_suffix(".json"), json.dumps(meta, ensure_ascii=False))


def record_removals(index_dir: Path, removed: set[str]) -> None:
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
        atomic_write(index_dir / "deleted.json", json.dumps(sorted(deleted_ids(index_dir) | bundled)))
    for stem, meta_file in ingested_files.items():
        if any(d.rsplit("-L", 1)[0] == stem for d in removed):
            # Removing one document of an ingested file removes the file's text from the sources.
            meta_file.with_suffix(".txt").unlink(missing_ok=True)
            meta_file.unlink(missing_ok=True)
