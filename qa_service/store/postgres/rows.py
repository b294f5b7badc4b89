"""Rows of documents for the PostgreSQL store: insert prepared documents with statistics, delete.

Inserting or deleting keeps the BM25 statistics exact: term document frequencies (qa_terms),
plain-word passage frequencies (qa_words) and the totals in qa_meta change with the rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np

from qa_service.retrieval.terms import words
from qa_service.store.keyword import analyze, looks_english
from qa_service.store.postgres.sql import impact, sender_columns
from qa_service.store.prepare import Prepared


def insert(conn: Any, prep: Prepared, vtype: str) -> dict[str, int]:
    """Insert prepared documents and update the statistics. Returns the counts added."""
    from psycopg.types.json import Jsonb

    if not prep.documents:
        return {"documents": 0, "passages": 0, "sentences": 0, "length": 0}
    try:
        conn.adapters.types["vector"]
    except KeyError:  # a connection opened before the first migration created the extension
        from pgvector.psycopg import register_vector

        register_vector(conn)
    if vtype == "halfvec":
        from pgvector import HalfVector

        def vec_of(v: np.ndarray) -> Any:
            return HalfVector(v)
    else:

        def vec_of(v: np.ndarray) -> Any:
            return v

    by_id = {d.id: d for d in prep.documents}
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO qa_documents (id, kind, sender, date, source_file, parent_id, content_hash, "
            "sender_names, sender_shorts, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    d.id,
                    d.kind,
                    d.sender or "",
                    d.date or "",
                    d.source_file,
                    d.parent_id,
                    d.content_hash,
                    *sender_columns(d),
                    Jsonb({**d.to_dict(), "paragraphs": [asdict(p) for p in d.paragraphs]}),
                )
                for d in prep.documents
            ],
        )
    ords: Counter[str] = Counter()
    lengths: list[int] = []
    postings: list[Counter[str]] = []
    word_sets: list[list[str]] = []
    prows: list[tuple[Any, ...]] = []
    for p, text, vec in zip(prep.passages, prep.texts, prep.vectors, strict=True):
        d = by_id[p.doc_id]
        terms = analyze(text)
        lengths.append(len(terms) or 1)  # bm25s indexes an empty text as one placeholder token
        postings.append(Counter(terms))
        ws = sorted(words(p.text))
        word_sets.append(ws)
        prows.append(
            (
                p.id,
                p.doc_id,
                ords[p.doc_id],
                d.kind,
                (d.sender or "").lower(),
                *sender_columns(d),
                d.date or "",
                d.source_file,
                looks_english(p.text),
                p.role == "envelope",
                lengths[-1],
                ws,
                Jsonb(p.to_dict()),
                vec_of(vec),
            )
        )
        ords[p.doc_id] += 1
    cols = (
        "id, doc_id, ord, kind, sender_lc, sender_names, sender_shorts, date, source_file, english, envelope, "
        "length, words, data, embedding"
    )
    types = ["text", "text", "int4", "text", "text", "text", "text[]", "text", "text", "bool", "bool", "int4"]
    types += ["text[]", "jsonb", vtype]
    copy_rows(conn, "qa_passages", cols, types, prows)
    ids = [p.id for p in prep.passages]
    row_of = dict(conn.execute("SELECT id, row FROM qa_passages WHERE id = ANY(%s)", [ids]).fetchall())
    rows = [int(row_of[i]) for i in ids]
    srows = []
    for (pi, a, b), vec in zip(prep.sentences.tolist(), prep.sentence_vectors, strict=True):
        p = prep.passages[pi]
        d = by_id[p.doc_id]
        srows.append(
            (
                rows[pi],
                a,
                b,
                looks_english(d.text[a:b]),
                p.role == "envelope",
                d.id,
                d.kind,
                (d.sender or "").lower(),
                *sender_columns(d),
                d.date or "",
                d.source_file,
                vec_of(vec),
            )
        )
    cols = (
        "passage_row, start_char, end_char, english, envelope, doc_id, kind, sender_lc, sender_names, sender_shorts, "
        "date, source_file, embedding"
    )
    types = ["int8", "int4", "int4", "bool", "bool", "text", "text", "text", "text", "text[]", "text", "text", vtype]
    copy_rows(conn, "qa_sentences", cols, types, srows)
    stats = conn.execute("SELECT n_passages, total_length FROM qa_meta").fetchone() or (0, 0)
    avgdl = (int(stats[1]) + sum(lengths)) / max(1, int(stats[0]) + len(lengths))
    copy_rows(
        conn,
        "qa_postings",
        "term, passage_row, tf, impact",
        ["text", "int8", "int4", "float4"],
        [
            (t, r, n, impact(n, ln, avgdl))
            for r, ln, c in zip(rows, lengths, postings, strict=True)
            for t, n in c.items()
        ],
    )
    add_counts(conn, "qa_terms", "term", Counter(t for c in postings for t in c), 1)
    add_counts(conn, "qa_words", "word", Counter(w for ws in word_sets for w in ws), 1)
    return {
        "documents": len(prep.documents),
        "passages": len(prep.passages),
        "sentences": len(srows),
        "length": sum(lengths),
    }


def copy_rows(conn: Any, table: str, cols: str, types: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for r in rows:
            copy.write_row(r)


def add_counts(conn: Any, table: str, key: str, counts: Counter[str], sign: int) -> None:
    """Add (sign=1) or take away (sign=-1) document frequencies; drop keys that reach 0, as a
    rebuilt vocabulary would not hold them."""
    if not counts:
        return
    keys, values = list(counts), [sign * v for v in counts.values()]
    conn.execute(
        f"INSERT INTO {table} ({key}, df) SELECT * FROM unnest(%s::text[], %s::int[]) "
        f"ON CONFLICT ({key}) DO UPDATE SET df = {table}.df + excluded.df",
        [keys, values],
    )
    if sign < 0:
        conn.execute(f"DELETE FROM {table} WHERE {key} = ANY(%s) AND df <= 0", [keys])


def delete(conn: Any, doc_ids: set[str]) -> dict[str, int]:
    """Delete documents (passages, sentences and postings go by cascade) and their statistics."""
    if not doc_ids:
        return {"documents": 0, "passages": 0, "sentences": 0, "length": 0}
    ids = sorted(doc_ids)
    prow = conn.execute("SELECT row, length, words FROM qa_passages WHERE doc_id = ANY(%s)", [ids]).fetchall()
    rows = [int(r[0]) for r in prow]
    terms = Counter(
        dict(
            conn.execute(
                "SELECT term, count(*) FROM qa_postings WHERE passage_row = ANY(%s) GROUP BY term", [rows]
            ).fetchall()
        )
    )
    n_sent = conn.execute("SELECT count(*) FROM qa_sentences WHERE passage_row = ANY(%s)", [rows]).fetchone()
    add_counts(conn, "qa_terms", "term", terms, -1)
    add_counts(conn, "qa_words", "word", Counter(w for r in prow for w in r[2]), -1)
    cur = conn.execute("DELETE FROM qa_documents WHERE id = ANY(%s)", [ids])
    return {
        "documents": cur.rowcount,
        "passages": len(rows),
        "sentences": int(n_sent[0]) if n_sent else 0,
        "length": sum(int(r[1]) for r in prow),
    }
