"""The vector store interface, and FAISS behind it.

Search code talks to `VectorStore` only, so a distributed engine (an OpenSearch or Qdrant
cluster) can later take FAISS's place for a corpus that outgrows one machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np


class VectorStore(Protocol):
    """Inner-product search over L2-normalised vectors; row i is passage i."""

    dim: int

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top `k` rows for one query vector (dim,), restricted to the row ids in `allowed`.

        Returns (scores, rows), both of shape (<=k,), best first.
        """
        ...

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of `rows`, (len(rows), dim) float32."""
        ...


class FaissVectorStore:
    """Exact inner-product search (IndexFlatIP): at 10^3-10^5 passages it is faster than building
    an approximate index, and it is exact, so retrieval quality never depends on index tuning."""

    FILE = "vectors.faiss"

    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        self.dim = int(index.d)
        # A view on FAISS's own storage (IndexFlat), so reading stored vectors copies nothing.
        xb = index.get_xb()  # type: ignore[attr-defined]
        self._matrix = faiss.rev_swig_ptr(xb, index.ntotal * index.d).reshape(index.ntotal, index.d)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray) -> FaissVectorStore:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1] if vectors.ndim == 2 else 1)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            k = min(k, len(allowed))
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            scores, rows = self._index.search(q, k, params=params)
        else:
            k = min(k, len(self))
            if k == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            scores, rows = self._index.search(q, k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self._matrix[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def save(self, folder: Path, name: str = FILE) -> None:
        faiss.write_index(self._index, str(folder / name))

    @classmethod
    def load(cls, folder: Path, name: str = FILE) -> FaissVectorStore:
        return cls(faiss.read_index(str(folder / name)))
