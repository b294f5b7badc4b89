"""Follow the folder's live version: every server worker moves to a new version without a restart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from qa_service.retrieval.store import Store
from qa_service.store.folder.index import current_version

logger = logging.getLogger(__name__)


class IndexWatcher:
    """Polls `CURRENT` and calls `on_change(new store)` when another version goes live.

    Every server worker runs one, so all workers move to a new version within `interval`
    seconds of its publication; a writer's own worker calls `check()` at once.
    """

    def __init__(
        self,
        index_dir: Path,
        load: Callable[[], Store],
        on_change: Callable[[Store], None],
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
            store = self._load()
        except Exception as e:  # a version being pruned or half-visible: try again next tick
            logger.warning("could not load index version %s: %s", v, e)
            return False
        self.version = store.info().version
        self._on_change(store)
        logger.info("now serving index version %s", self.version)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
