"""Vectors that ship with the bundled corpus: a read-only layer under the embedding cache.

A fresh clone has no embedding cache, and embedding the bundled corpus with the 4-bit E5 engine
takes minutes on 2 cores. `data/vectors/` holds the passage and sentence vectors of that corpus,
one file per encoder, keyed like the cache (a hash of encoder name and text, never the text), so
`qa-service index build` embeds only what the file does not have. The file is ignored for any
other encoder or encoder version; texts it does not know (documents ingested or edited later)
are embedded as usual. `scripts/ship_vectors.py` regenerates it.

Format: an `.npz` (a zip of `.npy` arrays, deflate-compressed, no pickles):

    meta      0-d str: JSON {format, encoder, dim, count, codec}
    keys      (n, 8) uint8: the first 8 bytes of `EmbeddingCache.key(encoder, text)`
    hi, lo    (n, dim) uint8 each: high and low bytes of the float16 vectors; split into byte
              planes because the high bytes (sign, exponent) compress well and the low ones do not
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

FORMAT = 1
KEY_BYTES = 8


def file_for(folder: Path, encoder_name: str) -> Path:
    """Where the vectors of `encoder_name` live: one file per encoder name (its version included)."""
    return folder / (re.sub(r"[^A-Za-z0-9.-]+", "_", encoder_name).strip("_") + ".npz")


def short_key(cache_key: str) -> bytes:
    """The stored key: the first bytes of the cache's sha256 key (64 bits: no collision in 10^5 texts)."""
    return bytes.fromhex(cache_key[: 2 * KEY_BYTES])


class ShippedVectors:
    """Read-only vectors of one encoder, looked up by cache key. Vectors are L2-normalised float32."""

    def __init__(self, encoder_name: str, keys: np.ndarray, vectors: np.ndarray, path: Path | None = None) -> None:
        self.encoder_name = encoder_name
        self.path = path
        self._vectors = vectors
        self._rows = {bytes(k): i for i, k in enumerate(keys)}

    def __len__(self) -> int:
        return len(self._rows)

    @classmethod
    def open(cls, folder: Path | None, encoder_name: str) -> ShippedVectors | None:
        """The shipped vectors for `encoder_name` in `folder`, or None (no folder, no file, other encoder)."""
        if folder is None:
            return None
        path = file_for(folder, encoder_name)
        if not path.is_file():
            logger.debug("no shipped vectors for %s in %s", encoder_name, folder)
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(z["meta"].item())
                if meta.get("format") != FORMAT or meta.get("encoder") != encoder_name:
                    logger.info("ignoring %s: it holds vectors of %s", path, meta.get("encoder"))
                    return None
                hi, lo, keys = z["hi"], z["lo"], z["keys"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
            logger.warning("ignoring unreadable shipped vectors %s: %s", path, e)
            return None
        half = ((hi.astype(np.uint16) << 8) | lo).view(np.float16)
        vectors = half.astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        if vectors.shape[1] != meta["dim"] or len(keys) != len(vectors):
            logger.warning("ignoring inconsistent shipped vectors %s", path)
            return None
        logger.info("shipped vectors: %d of %s from %s", len(vectors), encoder_name, path)
        return cls(encoder_name, keys, vectors, path)

    def lookup(self, cache_keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors (dim,) float32 for the cache keys this file knows; the others are absent."""
        out: dict[str, np.ndarray] = {}
        for k in cache_keys:
            row = self._rows.get(short_key(k))
            if row is not None:
                out[k] = self._vectors[row]
        return out


def write_shipped(path: Path, encoder_name: str, cache_keys: Sequence[str], vectors: np.ndarray) -> dict[str, Any]:
    """Write vectors (n, dim) float32 keyed by their cache keys as float16; returns the file's meta."""
    vectors = np.asarray(vectors, dtype=np.float32)
    keys = np.frombuffer(b"".join(short_key(k) for k in cache_keys), dtype=np.uint8).reshape(-1, KEY_BYTES)
    if len({bytes(k) for k in keys}) != len(keys):
        raise ValueError("duplicate keys")  # the caller passes each text once
    bits = vectors.astype(np.float16).view(np.uint16)
    meta = {"format": FORMAT, "encoder": encoder_name, "dim": int(vectors.shape[1]), "count": len(keys)}
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "keys": keys,
        "hi": (bits >> 8).astype(np.uint8),
        "lo": (bits & 0xFF).astype(np.uint8),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # Deflate, as np.savez_compressed: LZMA is 2% smaller but takes 12 times as long to open (0.9 s).
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)
    tmp.replace(path)
    return meta
