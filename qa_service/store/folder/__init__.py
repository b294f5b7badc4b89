"""The index folder: versioned FAISS + bm25s + JSONL on disk, changed in place, followed by a watcher.

backend.py   FolderBackend: the `Backend` of this store
index.py     the versions on disk: write one, switch `CURRENT`, load and verify
build.py     a new version from the shared stages (store/prepare.py) + BM25 and writing
changes.py   add, replace, delete documents as one new version
ingested.py  texts ingested and bundled documents deleted, kept for a full rebuild
watcher.py   follows `CURRENT`, so every worker serves the new version
store.py     EmbeddedStore: a loaded version behind `Store`
bm25.py, vectors.py   bm25s and FAISS
"""
