"""PostgreSQL + pgvector: every node reads and writes one database.

backend.py   PostgresBackend: the `Backend` of this store, and the per-process connection pools
schema.py    versioned migrations, the pool, database errors as the service's errors
sql.py       filters as WHERE clauses, BM25 over the postings
rows.py      insert prepared documents (store/prepare.py) with their statistics, delete them
writes.py    a full build and changes, each one transaction
store.py     PostgresStore: reads behind `Store`
"""
