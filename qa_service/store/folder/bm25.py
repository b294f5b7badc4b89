"""The folder's keyword index: bm25s over the Dutch analysis of keyword.py."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from qa_service.store.keyword import analyze


class KeywordIndex:
    """BM25 scores for every passage; row i is passage i."""

    DIR = "bm25"

    def __init__(self, retriever: bm25s.BM25, n: int) -> None:
        self._bm25 = retriever
        self._n = n
        self._vocab: dict[str, int] = dict(retriever.vocab_dict)
        self._idf_max = np.log(1 + (n - 0.5) / 1.5) if n else 1.0

    @classmethod
    def build(cls, texts: list[str]) -> KeywordIndex:
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        tokens = [analyze(t) or ["\x00empty"] for t in texts]
        retriever.index(tokens, show_progress=False)
        return cls(retriever, len(texts))

    def __len__(self) -> int:
        return self._n

    def known_terms(self, query: str) -> tuple[list[str], list[str]]:
        """The query's analysed terms, split into (in the vocabulary, unknown)."""
        return self.split_terms(analyze(query))

    def split_terms(self, terms: list[str]) -> tuple[list[str], list[str]]:
        """Analysed terms split into (in the vocabulary, unknown), duplicates kept."""
        return [t for t in terms if t in self._vocab], [t for t in terms if t not in self._vocab]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for `query`, shape (n,) float32 (zeros when no term is known)."""
        return self.term_scores(analyze(query))

    def term_scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for analysed `terms`, shape (n,) float32."""
        known, _ = self.split_terms(terms)
        if not known or not self._n:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder / self.DIR), show_progress=False)

    @classmethod
    def load(cls, folder: Path, n: int) -> KeywordIndex:
        return cls(bm25s.BM25.load(str(folder / cls.DIR), show_progress=False), n)
