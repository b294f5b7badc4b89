"""Honest at the edges: a question the documents do not cover gets nothing, on every face.

The real model on the real corpus: "Hoe maak ik pannenkoeken?" reaches a cosine of 0.81-0.83 with
some passage, above the plain 0.80 floor; the relevance judgement (`retrieval/relevance.py`)
refuses it, while real questions, filtered searches and keyword searches for a rare name pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qa_service.cli import cli
from qa_service.retrieval import relevance
from qa_service.retrieval.types import Filters
from tests.conftest import DEV_GOLD, PACKAGE_ROOT, make_settings, ready_client

pytestmark = pytest.mark.real_model

OFF_TOPIC = ["Hoe maak ik pannenkoeken?", "How do I bake bread?", "Wie won het WK voetbal 2022?"]
REAL = [
    "Wat vraagt de NVZ van het nieuwe kabinet?",
    "What does the coalition agreement say about nitrogen reduction?",
    "Vanaf welke leeftijd mag je sekswerk doen volgens het coalitieakkoord?",
]


@pytest.fixture(scope="module")
def client(real_index: Path) -> Iterator[Any]:
    with ready_client(make_settings(real_index, "e5")) as c:
        yield c


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_off_topic_gets_nothing_from_search_ask_and_factcheck(real_service: Any, real_index: Path, query: str) -> None:
    res = real_service.search(query, top_k=5)
    assert res.hits == [] and res.off_topic and "do not cover" in (res.reason or "")
    from qa_service.service import answerer_for

    ans = answerer_for(real_service, make_settings(real_index, "e5"))
    a = ans.ask(query)
    assert a.answer is None and a.candidates == [] and a.supporting == [] and "do not cover" in (a.reason or "")
    f = ans.factcheck(query)
    assert f.status == "no_evidence" and f.evidence == []


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_off_topic_gets_nothing_over_http(client: Any, query: str) -> None:
    r = client.post("/v1/search", json={"query": query})
    assert r.status_code == 200 and r.json()["results"] == [] and "do not cover" in r.json()["reason"]
    a = client.post("/v1/ask", json={"question": query}).json()
    assert a["answer"] is None and a["candidates"] == [] and a["supporting"] == [], a
    v = client.post("/v1/vector_stores/default/search", json={"query": query}).json()
    assert v["data"] == [], v
    f = client.post("/v1/factcheck", json={"claim": query}).json()
    assert f["status"] == "no_evidence", f


@pytest.mark.parametrize("query", REAL)
def test_real_questions_still_get_results_on_every_face(client: Any, query: str) -> None:
    assert client.post("/v1/search", json={"query": query}).json()["results"]
    a = client.post("/v1/ask", json={"question": query}).json()
    assert a["answer"] is not None or a["candidates"], a
    assert client.post("/v1/vector_stores/default/search", json={"query": query}).json()["data"]


def test_cli_search_says_the_documents_do_not_cover_it(real_index: Path) -> None:
    args = ["--index-dir", str(real_index), "--encoder", "e5", "search", OFF_TOPIC[0], "--json"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    body = json.loads(r.stdout)
    assert body["results"] == [] and "do not cover" in body["reason"]


def test_mcp_search_and_ask_refuse_off_topic(real_service: Any, real_index: Path) -> None:
    import asyncio

    from mcp import Client

    from qa_service.mcp_server import build_mcp
    from qa_service.service import answerer_for

    ans = answerer_for(real_service, make_settings(real_index, "e5"))
    server = build_mcp(lambda: ans)

    async def run(tool: str, args: dict[str, Any]) -> Any:
        async with Client(server) as c:
            return await c.call_tool(tool, args)

    s = asyncio.run(run("search", {"query": OFF_TOPIC[1]})).structured_content
    assert s["results"] == [] and "do not cover" in s["reason"]
    a = asyncio.run(run("ask", {"question": OFF_TOPIC[1]})).structured_content
    assert a["answer"] is None and a["candidates"] == []


def test_filters_and_keyword_mode_keep_working(real_service: Any) -> None:
    res = real_service.search("Wat vraagt de NVZ van het nieuwe kabinet?", filters=Filters(sender="NVZ"))
    assert res.hits and all(h.document.sender == "NVZ" for h in res.hits)
    for mode in ("keyword", "hybrid"):
        res = real_service.search("Groningenwet", mode=mode)
        assert res.hits and not res.off_topic, res.reason
    # A caller's own cosine floor replaces the judgement (evaluation ranks everything).
    assert real_service.search(OFF_TOPIC[0], min_score=-1.0).hits


def test_quality_floor_on_sets_it_was_not_fitted_on(real_service: Any) -> None:
    """Real questions of the dev set pass; evaluate_answers.py's off-topic questions mostly not."""
    dev = [json.loads(x) for x in DEV_GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
    p = {it["query"]: relevance.probability(real_service.relevance_signals(it["query"])) for it in dev}
    refused = [q for q, v in p.items() if v < relevance.THRESHOLD]
    assert len(refused) <= 1, refused
    import sys

    sys.path.insert(0, str(PACKAGE_ROOT / "scripts"))
    from evaluate_answers import OFF_TOPIC as OTHER_OFF_TOPIC

    through = [q for q in OTHER_OFF_TOPIC if real_service.search(q).hits]
    assert len(through) <= len(OTHER_OFF_TOPIC) // 4, through


def test_who_asks_an_off_topic_thing_gets_no_organisation(real_service: Any, real_index: Path) -> None:
    from qa_service.service import answerer_for

    ans = answerer_for(real_service, make_settings(real_index, "e5"))
    a = ans.ask("Wie vraagt om pannenkoeken?")
    assert a.answer is None and a.candidates == [] and "do not cover" in (a.reason or "")
    assert ans.ask("Wie vraagt om meer geld voor de zorg?").answer is not None
