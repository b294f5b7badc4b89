"""Documents and passages by id from PostgreSQL: the listing and lookup half of `PostgresStore`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import AbstractContextManager
from typing import Any

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.store.postgres.sql import sender_clause


def passage_of(d: dict[str, Any]) -> Passage:
    d = dict(d)
    d["sentences"] = [tuple(x) for x in d.get("sentences", [])]
    return Passage(**d)


class DocumentReads:
    """Documents, a document's passages and a passage's neighbours; documents are cached per node."""

    def __init__(self) -> None:
        self._docs: OrderedDict[tuple[str, str], Document] = OrderedDict()
        self._docs_lock = threading.Lock()

    def _conn(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _documents(self, conn: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Document]:
        """Documents by (id, content hash), from a node-local LRU: a document never changes under
        its id and hash (a replacement is a new document), so the cache cannot go stale."""
        out: dict[tuple[str, str], Document] = {}
        with self._docs_lock:
            for key in keys:
                doc = self._docs.get(key)
                if doc is not None:
                    self._docs.move_to_end(key)
                    out[key] = doc
        missing = [k for k in keys if k not in out]
        if missing:
            got = conn.execute(
                "SELECT id, content_hash, data FROM qa_documents WHERE id = ANY(%s)", [[k[0] for k in missing]]
            ).fetchall()
            with self._docs_lock:
                for i, h, data in got:
                    doc = Document.from_dict(data)
                    out[(i, h)] = doc
                    self._docs[(i, h)] = doc
                while len(self._docs) > 2048:
                    self._docs.popitem(last=False)
        return out

    # -- documents ---------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document | None:
        with self._conn() as conn:
            row = conn.execute("SELECT id, content_hash FROM qa_documents WHERE id = %s", [doc_id]).fetchone()
            if row is None:
                return None
            return self._documents(conn, {(row[0], row[1])}).get((row[0], row[1]))

    def documents(
        self, kind: str | None, sender: str | None, source_file: str | None, offset: int, limit: int
    ) -> tuple[int, list[Document]]:
        clauses, params = ["true"], []
        if kind:
            clauses.append("kind = %s")
            params.append(kind)
        if sender:
            clause, values = sender_clause("qa_documents", sender)
            clauses.append(clause)
            params += values
        if source_file:
            clauses.append("source_file = %s")
            params.append(source_file)
        sql = " AND ".join(clauses)
        with self._conn() as conn:
            total = conn.execute(f"SELECT count(*) FROM qa_documents WHERE {sql}", params).fetchone()
            got = conn.execute(
                f"SELECT id, content_hash FROM qa_documents WHERE {sql} ORDER BY seq OFFSET %s LIMIT %s",
                [*params, offset, limit],
            ).fetchall()
            docs = self._documents(conn, {(i, h) for i, h in got})
        return int(total[0]) if total else 0, [docs[(i, h)] for i, h in got]

    def passages_of(self, doc_id: str) -> list[Passage]:
        with self._conn() as conn:
            got = conn.execute("SELECT data FROM qa_passages WHERE doc_id = %s ORDER BY ord", [doc_id]).fetchall()
        return [passage_of(r[0]) for r in got]

    def passage(self, passage_id: str) -> tuple[Passage, Passage | None, Passage | None] | None:
        with self._conn() as conn:
            row = conn.execute("SELECT doc_id, ord FROM qa_passages WHERE id = %s", [passage_id]).fetchone()
            if row is None:
                return None
            got = conn.execute(
                "SELECT ord, data FROM qa_passages WHERE doc_id = %s AND ord BETWEEN %s AND %s",
                [row[0], row[1] - 1, row[1] + 1],
            ).fetchall()
        by_ord = {int(o): passage_of(d) for o, d in got}
        return by_ord[row[1]], by_ord.get(row[1] - 1), by_ord.get(row[1] + 1)
