"""The SQL of the PostgreSQL store's legs: filters as a WHERE clause, and BM25 over the postings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qa_service.retrieval.types import Filters

K1, B = 1.2, 0.75  # bm25s's defaults, which the folder store uses


def where(f: Filters, alias: str) -> tuple[str, list[Any]]:
    """The filters as a WHERE clause over a table with the filter columns (passages or sentences)."""
    a = alias
    clauses = [f"{a}.kind = ANY(%s)"]
    params: list[Any] = [f.kinds()]
    if not f.envelope:
        clauses.append(f"NOT {a}.envelope")
    if f.sender:
        clauses.append(f"strpos({a}.sender_lc, %s) > 0")  # Python's `in` on lower-cased text
        params.append(f.sender.lower())
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


def bm25_sql(filter_sql: str, limit: bool) -> str:
    # float8 throughout: bm25s's float32 sums differ in the 7th digit at most.
    return f"""
        WITH q AS (
            SELECT t.term, t.df, x.n
            FROM unnest(%s::text[], %s::int[]) AS x(term, n) JOIN qa_terms t ON t.term = x.term
        )
        SELECT po.passage_row,
               sum(q.n * ln(1 + (%s::float8 - q.df + 0.5) / (q.df + 0.5))
                   * po.tf / (po.tf + {K1} * (1 - {B} + {B} * p.length / %s::float8))) AS score
        FROM q
        JOIN qa_postings po ON po.term = q.term
        JOIN qa_passages p ON p.row = po.passage_row
        WHERE {filter_sql}
        GROUP BY po.passage_row
        {"ORDER BY score DESC, po.passage_row LIMIT %s" if limit else ""}"""
