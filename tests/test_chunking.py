"""Chunking invariants on the real corpus with the real tokenizer of the default model."""

from __future__ import annotations

from qa_service.chunking import ChunkingSettings, chunk_documents
from qa_service.corpus import load_corpus
from qa_service.encoders import make_encoder
from qa_service.sentences import sentence_spans
from tests.conftest import CORPUS


def test_passages_fit_the_window_map_back_and_stay_in_their_document() -> None:
    enc = make_encoder("e5")
    docs = load_corpus(CORPUS)
    cs = ChunkingSettings()
    passages = chunk_documents(docs, enc.count_tokens, cs)
    by_id = {d.id: d for d in docs}
    assert 800 < len(passages) < 3000
    assert len({p.id for p in passages}) == len(passages)
    for p in passages:
        doc = by_id[p.doc_id]
        assert doc.text[p.char_start : p.char_end] == p.text
        assert enc.count_tokens(p.text) <= cs.max_tokens
        assert not doc.duplicate_of


def test_sentences_keep_abbreviations_together() -> None:
    text = "Geachte mr. S. van Haersma Buma, dit is o.a. een test. Tweede zin! Derde."
    parts = [text[a:b] for a, b in sentence_spans(text)]
    assert parts == ["Geachte mr. S. van Haersma Buma, dit is o.a. een test.", "Tweede zin!", "Derde."]
