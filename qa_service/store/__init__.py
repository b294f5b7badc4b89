"""Where the corpus lives: one `Backend` per store, chosen once from the settings.

protocol.py   `Backend`: open the store for reads, build it, apply changes, follow versions
backend.py    `backend_for(settings)`, the only place that knows which backend serves
prepare.py    the backend-neutral part of every write: corpus files -> documents ->
              passages -> embedding texts -> vectors -> sentence rows
sources.py    texts ingested through the service: parsed, named and checked alike by both
shipped.py    vectors that ship with the bundled corpus, looked up before the encoder
keyword.py    the Dutch keyword analysis both stores' BM25 share
folder/       the index folder: FAISS + bm25s + JSONL versions, live changes, the watcher
postgres/     PostgreSQL + pgvector: schema, SQL, rows, writes, the store
"""
