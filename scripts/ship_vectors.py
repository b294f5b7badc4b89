"""Regenerate the vectors that ship with the bundled corpus (data/vectors/<encoder>.npz).

    QA_CACHE_DIR=/work/cache python scripts/ship_vectors.py [--out data/vectors] [--no-shipped]

Parses and chunks the corpus folder exactly as `qa-service index build` does (same settings:
QA_CORPUS_DIR, QA_ENCODER, QA_CHUNK_*, QA_PASSAGE_CONTEXT), takes every passage and sentence
vector from the embedding cache, then from the file being replaced (float16 survives a round trip
unchanged), and embeds only what neither has. With a warm cache it takes seconds; after a
chunking change it embeds just the new texts. `--no-shipped` recomputes everything the cache
does not hold. Files of other versions of the same encoder are removed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from qa_service.asks.extract import extract_asks, verb_vocabulary
from qa_service.chunking import TokenCounter, chunk_documents, chunking_of
from qa_service.config import Settings
from qa_service.corpus import load_corpus
from qa_service.encoders import EmbeddingCache, make_encoder
from qa_service.progress import Progress
from qa_service.store.prepare import cached_counter, embedding_text, sentence_rows
from qa_service.store.shipped import ShippedVectors, file_for, write_shipped


def corpus_texts(settings: Settings, count: TokenCounter) -> tuple[list[str], list[str], list[str]]:
    """(passage embedding texts, sentence texts, ask texts) of the corpus folder, in index order."""
    documents = load_corpus(settings.corpus_dir)
    vocab = verb_vocabulary(documents)
    ask_texts = [a.text for d in documents for a in extract_asks(d, vocab)]
    passages = chunk_documents(documents, count, chunking_of(settings))
    by_id = {d.id: d for d in documents}
    context = settings.passage_context
    passage_texts = [embedding_text(by_id[p.doc_id], p, context) for p in passages]
    sentence_texts, _ = sentence_rows(by_id, passages)
    return passage_texts, sentence_texts, ask_texts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="folder of the shipped vectors (default: QA_VECTORS_DIR)")
    ap.add_argument("--no-shipped", action="store_true", help="do not reuse the vectors of the file being replaced")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    settings = Settings()
    out_dir: Path = args.out or settings.vectors_dir
    encoder = make_encoder(settings.encoder, settings.encoder_threads)
    passage_texts, sentence_texts, ask_texts = corpus_texts(settings, cached_counter(encoder))
    texts = list(dict.fromkeys([*passage_texts, *sentence_texts, *ask_texts]))
    shipped = None if args.no_shipped else ShippedVectors.open(out_dir, encoder.name)
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite", shipped)
    progress = Progress("embedding", log=lambda line: print(line, file=sys.stderr, flush=True))
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        progress(done, len(texts))

    try:
        vectors = cache.encode_passages(encoder, texts, progress=tick)
    finally:
        progress.close()
        cache.close()
    path = file_for(out_dir, encoder.name)
    meta = write_shipped(path, encoder.name, [EmbeddingCache.key(encoder.name, t) for t in texts], vectors)
    family = encoder.name.rsplit(":", 1)[0]
    for other in out_dir.glob("*.npz"):
        if other != path and other.name.startswith(file_for(out_dir, family).stem + "_"):
            other.unlink()
            print(f"removed {other} (another version of {family})", file=sys.stderr)
    report = {
        "file": str(path),
        "bytes": path.stat().st_size,
        "passages": len(passage_texts),
        "sentences": len(sentence_texts),
        "asks": len(ask_texts),
        "vectors": meta["count"],
        "sources": cache.stats,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
