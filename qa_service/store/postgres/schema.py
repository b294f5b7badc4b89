"""PostgreSQL schema: versioned migrations, the connection pool, and the encoder check.

Tables (all prefixed `qa_`, so the store can share a database with other applications):

    qa_schema      applied migration versions
    qa_meta        one row: encoder, dim, vector type, chunking, format (a service started with
                   another encoder or chunking refuses to serve), and the live `generation`
                   with the BM25 statistics (passages N, total analysed length)
    qa_documents   one row per document: filter columns + the whole document as JSON
    qa_passages    one row per passage: filter columns (copied from the document, so that vector
                   search can filter in one table, also under an HNSW index), analysed length,
                   its words (for sender statistics), the vector
    qa_sentences   one row per sentence vector: passage row, span, the same filter columns
    qa_postings    (term, passage row, tf, impact): the BM25 index; qa_terms holds each term's df
    qa_words       passage frequency of plain (unstemmed) words, for the sender-name rule
    qa_sources     texts ingested through the service, and qa_deleted the bundled documents
                   deleted, so `index build` reproduces the live corpus (as the folder does)

The generation counter is bumped by every write, in the write's transaction.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from qa_service.errors import ConfigurationError, IndexNotFound, ReadOnlyStore, StoreUnavailable
from qa_service.store.postgres.sql import K1, B

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
# A fixed advisory-lock key: writers (build, ingest, delete) take it for their transaction, so
# they are serialised across every node, as the folder's file lock serialises processes.
WRITE_LOCK = 0x51A5_7043
MIGRATE_LOCK = WRITE_LOCK + 1


# A term's postings best first (ties by row, so the cut is deterministic), so the keyword leg
# reads a bounded number of them (sql.py); with tf included, from the index alone.
_IMPACT_INDEX = [
    "CREATE INDEX IF NOT EXISTS qa_postings_impact ON qa_postings (term, impact DESC, passage_row) INCLUDE (tf)"
]


# The keyword leg joins each posting it reads to its passage for the length and the default
# filters: from this index alone, not from heap rows that carry a vector each (at 1M passages,
# 40,000 such lookups took 250-600 ms; from the index, 110-190 ms). A performance index, not a
# schema change: a database built before it gets it from its next `index build`.
BM25_INDEX = ["CREATE INDEX IF NOT EXISTS qa_passages_bm25 ON qa_passages (row) INCLUDE (length, kind, envelope)"]


def _data_tables(dim: int, vtype: str) -> list[str]:
    return [
        """CREATE TABLE qa_documents (
            seq bigserial UNIQUE,
            id text PRIMARY KEY,
            kind text NOT NULL,
            sender text,
            date text,
            source_file text NOT NULL,
            parent_id text,
            content_hash text NOT NULL,
            sender_names text NOT NULL DEFAULT '',
            sender_shorts text[] NOT NULL DEFAULT '{}',
            data jsonb NOT NULL)""",
        "CREATE INDEX qa_documents_parent ON qa_documents (parent_id)",
        "CREATE INDEX qa_documents_hash ON qa_documents (content_hash)",
        f"""CREATE TABLE qa_passages (
            row bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text NOT NULL UNIQUE,
            doc_id text NOT NULL REFERENCES qa_documents (id) ON DELETE CASCADE,
            ord int NOT NULL,
            kind text NOT NULL,
            sender_lc text NOT NULL,
            sender_names text NOT NULL DEFAULT '',
            sender_shorts text[] NOT NULL DEFAULT '{{}}',
            date text NOT NULL,
            source_file text NOT NULL,
            english boolean NOT NULL,
            envelope boolean NOT NULL DEFAULT false,
            length int NOT NULL,
            words text[] NOT NULL,
            data jsonb NOT NULL,
            embedding {vtype}({dim}) NOT NULL)""",
        # Vectors stay in the row (a 384-dim float32 vector is 1.5 kB): TOASTed out of line, an
        # exact scan read three pages per row (measured: 18 ms instead of 2 for 2,000 rows).
        "ALTER TABLE qa_passages ALTER COLUMN embedding SET STORAGE PLAIN",
        "CREATE INDEX qa_passages_doc ON qa_passages (doc_id, ord)",
        "CREATE INDEX qa_passages_kind ON qa_passages (kind)",
        *BM25_INDEX,
        f"""CREATE TABLE qa_sentences (
            row bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            passage_row bigint NOT NULL REFERENCES qa_passages (row) ON DELETE CASCADE,
            start_char int NOT NULL,
            end_char int NOT NULL,
            english boolean NOT NULL,
            envelope boolean NOT NULL DEFAULT false,
            doc_id text NOT NULL,
            kind text NOT NULL,
            sender_lc text NOT NULL,
            sender_names text NOT NULL DEFAULT '',
            sender_shorts text[] NOT NULL DEFAULT '{{}}',
            date text NOT NULL,
            source_file text NOT NULL,
            embedding {vtype}({dim}) NOT NULL)""",
        "ALTER TABLE qa_sentences ALTER COLUMN embedding SET STORAGE PLAIN",
        "CREATE INDEX qa_sentences_passage ON qa_sentences (passage_row, start_char)",
        """CREATE TABLE qa_postings (
            term text NOT NULL,
            passage_row bigint NOT NULL REFERENCES qa_passages (row) ON DELETE CASCADE,
            tf int NOT NULL,
            impact real NOT NULL DEFAULT 0,
            PRIMARY KEY (term, passage_row))""",
        "CREATE INDEX qa_postings_row ON qa_postings (passage_row)",
        *_IMPACT_INDEX,
        "CREATE TABLE qa_terms (term text PRIMARY KEY, df int NOT NULL)",
        "CREATE TABLE qa_words (word text PRIMARY KEY, df int NOT NULL)",
    ]


DATA_TABLES = ("qa_postings", "qa_sentences", "qa_passages", "qa_documents", "qa_terms", "qa_words")

# Version -> statements. Version 1 is the schema above, for the dim of the first build; the data
# tables are re-created (in the build's transaction) when an encoder of another dim builds.
MIGRATIONS: dict[int, Callable[[int, str], list[str]]] = {
    1: lambda dim, vtype: [
        "CREATE EXTENSION IF NOT EXISTS vector",
        """CREATE TABLE qa_meta (
            id int PRIMARY KEY CHECK (id = 1),
            encoder text NOT NULL,
            dim int NOT NULL,
            vector_type text NOT NULL,
            chunking jsonb NOT NULL,
            format int NOT NULL,
            generation bigint NOT NULL DEFAULT 0,
            version text NOT NULL,
            built_at text,
            n_documents bigint NOT NULL DEFAULT 0,
            n_passages bigint NOT NULL DEFAULT 0,
            n_sentences bigint NOT NULL DEFAULT 0,
            total_length bigint NOT NULL DEFAULT 0,
            info jsonb NOT NULL DEFAULT '{}')""",
        *_data_tables(dim, vtype),
        """CREATE TABLE qa_sources (
            source_file text PRIMARY KEY,
            text text NOT NULL,
            meta jsonb NOT NULL)""",
        "CREATE TABLE qa_deleted (doc_id text PRIMARY KEY)",
    ],
    # Letter heads and signature tails became passages of their own ("envelope"), searched only
    # when a filter asks for them.
    2: lambda dim, vtype: [
        "ALTER TABLE qa_passages ADD COLUMN IF NOT EXISTS envelope boolean NOT NULL DEFAULT false",
        "ALTER TABLE qa_sentences ADD COLUMN IF NOT EXISTS envelope boolean NOT NULL DEFAULT false",
    ],
    # Bounded posting lists: each posting's BM25 tf factor, and an index to read them best first.
    3: lambda dim, vtype: [
        "ALTER TABLE qa_postings ADD COLUMN IF NOT EXISTS impact real NOT NULL DEFAULT 0",
        f"""UPDATE qa_postings po SET impact = po.tf / (po.tf + {K1} * (1 - {B} + {B} * p.length / coalesce(
                (SELECT greatest(total_length, 1)::float8 / greatest(n_passages, 1) FROM qa_meta), 1.0)))
            FROM qa_passages p WHERE p.row = po.passage_row""",
        *_IMPACT_INDEX,
    ],
    # The sender filter matches the organisations a document speaks for and their short names:
    # names joined by chr(31), short names whole. Rows of an older build keep their sender only
    # (its documents have no organisations) until `index build` parses the corpus again.
    4: lambda dim, vtype: [
        *(
            f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS sender_names text NOT NULL DEFAULT ''"
            for t in ("qa_documents", "qa_passages", "qa_sentences")
        ),
        *(
            f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS sender_shorts text[] NOT NULL DEFAULT '{{}}'"
            for t in ("qa_documents", "qa_passages", "qa_sentences")
        ),
        """UPDATE qa_documents SET sender_names = lower(concat_ws(chr(31), nullif(sender, ''),
            (SELECT string_agg(x, chr(31)) FROM jsonb_array_elements_text(
                coalesce(data->'organisations', '[]'::jsonb)) AS x)))""",
        """UPDATE qa_passages p SET sender_names = d.sender_names, sender_shorts = d.sender_shorts
            FROM qa_documents d WHERE d.id = p.doc_id""",
        """UPDATE qa_sentences s SET sender_names = d.sender_names, sender_shorts = d.sender_shorts
            FROM qa_documents d WHERE d.id = s.doc_id""",
    ],
}

SCHEMA_VERSION = max(MIGRATIONS)  # what this code reads; `index build` migrates a database to it


def hnsw_indexes(vtype: str) -> list[str]:
    """Approximate indexes for large tables (inner product on normalised vectors = cosine)."""
    ops = f"{vtype}_ip_ops"
    return [
        f"CREATE INDEX IF NOT EXISTS qa_passages_hnsw ON qa_passages USING hnsw (embedding {ops})",
        f"CREATE INDEX IF NOT EXISTS qa_sentences_hnsw ON qa_sentences USING hnsw (embedding {ops})",
    ]


DROP_HNSW = ["DROP INDEX IF EXISTS qa_passages_hnsw", "DROP INDEX IF EXISTS qa_sentences_hnsw"]


def recreate_data_tables(conn: Any, dim: int, vtype: str) -> None:
    """Drop and create the data tables for another dim or vector type (inside the caller's transaction)."""
    for t in DATA_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {t} CASCADE")
    for stmt in _data_tables(dim, vtype):
        conn.execute(stmt)


def migrate(conn: Any, dim: int, vtype: str) -> int:
    """Apply the migrations this database lacks, under an advisory lock. Returns the schema version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS qa_schema (version int PRIMARY KEY, applied_at timestamptz)")
        done = {r[0] for r in conn.execute("SELECT version FROM qa_schema").fetchall()}
        for version in sorted(MIGRATIONS):
            if version in done:
                continue
            for stmt in MIGRATIONS[version](dim, vtype):
                conn.execute(stmt)
            conn.execute("INSERT INTO qa_schema VALUES (%s, now())", (version,))
            logger.info("applied schema migration %d", version)
    return SCHEMA_VERSION


def schema_version(conn: Any) -> int | None:
    row = conn.execute("SELECT to_regclass('qa_schema') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    got = conn.execute("SELECT max(version) FROM qa_schema").fetchone()
    return int(got[0]) if got and got[0] is not None else None


READ_ONLY = (
    "this node reads from a read-only database (a streaming replica, or a read-only connection) and "
    "cannot write; send writes to a node whose QA_DATABASE_URL is the primary"
)


def require_writable(conn: Any) -> None:
    """Refuse a write at once on a read-only database, before any embedding or lock.

    A hot standby (`pg_is_in_recovery()`) or a session that is read-only by default would refuse
    the first write statement anyway (`guard` maps that too); asking first spares the work before it.
    """
    row = conn.execute("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')").fetchone()
    if row is not None and (row[0] or row[1] == "on"):
        raise ReadOnlyStore(READ_ONLY, details={"in_recovery": bool(row[0])})


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Database failures as the service's errors (a clear 4xx or 503, never a 500)."""
    import psycopg
    from psycopg_pool import PoolTimeout

    try:
        yield
    except psycopg.errors.UndefinedTable as e:
        raise IndexNotFound("the database has no qa-service tables; build it with `qa-service index build`") from e
    except psycopg.errors.ReadOnlySqlTransaction as e:
        raise ReadOnlyStore(READ_ONLY) from e
    except psycopg.errors.SerializationFailure as e:
        # Searches are read-only, so on a hot standby this is a query cancelled because replaying
        # the primary's changes needed what it read (see max_standby_streaming_delay): retry it.
        raise StoreUnavailable(f"the read was cancelled by replication on a replica; retry it: {e}") from e
    except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as e:
        raise StoreUnavailable(f"the database is unavailable: {str(e).strip() or type(e).__name__}") from e


def make_pool(url: str, size: int, timeout: float) -> Any:
    """A connection pool whose connections speak pgvector; raises ConfigurationError for a URL that
    is not one, StoreUnavailable for a database that cannot be reached."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
        from psycopg_pool import ConnectionPool
    except ImportError as e:  # pragma: no cover - the extra is part of dev
        raise ConfigurationError(
            f"QA_DATABASE_URL needs the postgres extra: pip install 'qa-service[postgres]' ({e})"
        ) from None
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as e:
        raise ConfigurationError(f"QA_DATABASE_URL is not a valid PostgreSQL URL: {e}") from None

    def configure(conn: Any) -> None:
        conn.autocommit = True
        has_vector = conn.execute("SELECT 1 FROM pg_type WHERE typname = 'vector'").fetchone()
        if has_vector:
            register_vector(conn)

    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=size,
        timeout=timeout,
        kwargs={"connect_timeout": max(1, int(timeout))},
        configure=configure,
        check=ConnectionPool.check_connection,
        open=False,
        name="qa-store",
    )
    try:
        pool.open(wait=True, timeout=timeout)
    except Exception as e:
        pool.close()
        raise StoreUnavailable(f"cannot reach the database at {redact(url)}: {e}") from None
    return pool


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        import psycopg

        parts = psycopg.conninfo.conninfo_to_dict(url)
    except Exception:
        return "<unparsable URL>"
    parts.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in parts.items()) or "<default>"
