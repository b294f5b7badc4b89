"""The SQL of the PostgreSQL store's legs: filters as a WHERE clause, and BM25 over the postings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qa_service.corpus import Document
from qa_service.corpus.organisations import sender_names
from qa_service.retrieval.types import Filters

K1, B = 1.2, 0.75  # bm25s's defaults, which the folder store uses


# Between the names in a `sender_names` column: a character no sender filter holds.
SENDER_SEP = "\x1f"


def sender_columns(doc: Document) -> tuple[str, list[str]]:
    """A document's `sender_names` and `sender_shorts` columns (as `matches_sender` reads them)."""
    names, shorts = sender_names(doc)
    return SENDER_SEP.join(names), shorts


def sender_clause(alias: str, needle: str) -> tuple[str, list[Any]]:
    """`matches_sender` in SQL: part of a name (Python's `in` on lower-cased text), or a short name whole."""
    n = needle.lower()
    return f"(strpos({alias}.sender_names, %s) > 0 OR %s = ANY({alias}.sender_shorts))", [n, n]


def where(f: Filters, alias: str) -> tuple[str, list[Any]]:
    """The filters as a WHERE clause over a table with the filter columns (passages or sentences)."""
    a = alias
    clauses = [f"{a}.kind = ANY(%s)"]
    params: list[Any] = [f.kinds()]
    if not f.envelope:
        clauses.append(f"NOT {a}.envelope")
    if f.sender:
        clause, values = sender_clause(a, f.sender)
        clauses.append(clause)
        params += values
    if f.date_from:
        clauses.append(f"{a}.date <> '' AND {a}.date >= %s")
        params.append(f.date_from.isoformat())
    if f.date_to:
        clauses.append(f"{a}.date <> '' AND {a}.date <= %s")
        params.append(f.date_to.isoformat())
    if f.document_id:
        clauses.append(f"{a}.doc_id = %s")
        params.append(f.document_id)
    if f.source_file:
        clauses.append(f"{a}.source_file = %s")
        params.append(f.source_file)
    return " AND ".join(clauses), params


@dataclass
class SqlKeywordHits:
    top: dict[int, float]
    coverage: float
    score_rows: Callable[[list[int]], dict[int, float]]

    def scores_of(self, rows: list[int]) -> list[float]:
        missing = [r for r in rows if r not in self.top]
        got = self.score_rows(missing) if missing else {}
        return [self.top.get(r, got.get(r, 0.0)) for r in rows]


_SCORE = f"""sum(q.n * ln(1 + (%s::float8 - q.df + 0.5) / (q.df + 0.5))
                   * po.tf / (po.tf + {K1} * (1 - {B} + {B} * p.length / %s::float8)))"""
_QUERY_TERMS = """q AS (
            SELECT t.term, t.df, x.n
            FROM unnest(%s::text[], %s::int[]) AS x(term, n) JOIN qa_terms t ON t.term = x.term
        )"""


def impact(tf: int, length: int, avgdl: float) -> float:
    """A posting's BM25 term-frequency factor: the order in which a term's postings are read.

    Stored with the avgdl of the write that made it; the score itself is computed with today's
    statistics, so a drifting avgdl only shifts which of a very common term's postings are read.
    """
    return tf / (tf + K1 * (1 - B + B * length / max(avgdl, 1.0)))


def bm25_top_sql(filter_sql: str) -> str:
    """The top passages by BM25, reading each term's postings best first, at most a bound per term.

    Reading every posting of a term that stands in most passages costs seconds on a large corpus
    (8-21 s at 100k passages) for a term whose idf is near zero. With the bound, a term in more
    passages than it contributes only to its highest-impact ones; a term in fewer is read whole, so
    the score is bm25s's exactly (the same results as the folder store) below the bound.
    """
    # float8 throughout: bm25s's float32 sums differ in the 7th digit at most.
    return f"""
        WITH {_QUERY_TERMS},
        po AS (
            SELECT q.term, best.passage_row, best.tf
            FROM q CROSS JOIN LATERAL (
                SELECT x.passage_row, x.tf FROM qa_postings x
                WHERE x.term = q.term ORDER BY x.impact DESC, x.passage_row LIMIT %s
            ) AS best
        )
        SELECT po.passage_row, {_SCORE} AS score
        FROM po
        JOIN q ON q.term = po.term
        JOIN qa_passages p ON p.row = po.passage_row
        WHERE {filter_sql}
        GROUP BY po.passage_row
        ORDER BY score DESC, po.passage_row LIMIT %s"""


def bm25_rows_sql() -> str:
    """The exact BM25 scores of given passage rows (the other legs' hits, for fusion).

    The rows are named on the postings, so each (term, row) is one probe of their primary key:
    named on the passages, the planner read every posting of each term (at 1M passages: p95 273 ms
    against 28 ms for the vector leg and this, scripts/benchmark_store.py).
    """
    return f"""
        WITH {_QUERY_TERMS}
        SELECT po.passage_row, {_SCORE} AS score
        FROM q
        JOIN qa_postings po ON po.term = q.term
        JOIN qa_passages p ON p.row = po.passage_row
        WHERE po.passage_row = ANY(%s)
        GROUP BY po.passage_row"""
