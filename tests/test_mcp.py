"""The MCP tools keep the HTTP contract: bounds, unknown arguments, filters, and the error envelope."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa_service.errors import IndexNotReady
from qa_service.mcp_server import build_mcp
from qa_service.service import open_answerer
from tests.conftest import make_settings
from tests.server import running_server


@pytest.fixture(scope="module")
def answerer(hashing_index: Path) -> Any:
    return open_answerer(make_settings(hashing_index))


def call(server: Any, tool: str, args: dict[str, Any]) -> Any:
    from mcp import Client

    async def run() -> Any:
        async with Client(server) as client:
            return await client.call_tool(tool, args)

    return asyncio.run(run())


def error_of(res: Any) -> dict[str, Any]:
    assert res.is_error, res
    body = json.loads(res.content[0].text)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("search", {"query": ""}, "query"),
        ("search", {"query": "zorg", "top_k": -5}, "top_k"),
        # strict types, as over HTTP: no string, float or bool for an integer
        ("search", {"query": "zorg", "top_k": "3"}, "top_k"),
        ("search", {"query": "zorg", "top_k": 3.0}, "top_k"),
        ("search", {"query": "zorg", "top_k": True}, "top_k"),
        ("factcheck", {"claim": "De zorg krijgt meer geld.", "top_k": "2"}, "top_k"),
        ("search", {"query": "zorg", "top_k": 0}, "top_k"),
        ("search", {"query": "zorg", "top_k": 500}, "top_k"),
        ("search", {"query": "zorg", "date_from": "morgen"}, "date_from"),
        ("search", {"query": "zorg", "kind": "email"}, "kind"),
        ("search", {"query": "zorg", "colour": "red"}, "colour"),
        ("ask", {"question": "Wat wil de NVZ?", "top_k": 51}, "top_k"),
        ("ask", {"question": "Wat wil de NVZ?", "filters": {}}, "filters"),  # the filters are arguments, as in search
        ("ask", {"question": "Wat wil de NVZ?", "kind": "email"}, "kind"),
        ("factcheck", {"claim": "De zorg krijgt meer geld.", "date_to": "gisteren"}, "date_to"),
        ("factcheck", {"claim": ""}, "claim"),
        ("factcheck", {"claim": "De zorg krijgt meer geld.", "top_k": 21}, "top_k"),
    ],
)
def test_refused_arguments_get_the_http_envelope(
    answerer: Any, caplog: pytest.LogCaptureFixture, tool: str, args: dict[str, Any], field: str
) -> None:
    with caplog.at_level(logging.INFO):
        err = error_of(call(build_mcp(lambda: answerer), tool, args))
    assert err["code"] == "validation_error" and field in err["message"], err
    assert [d["loc"] for d in err["details"]] == [[field]]
    assert not any(r.exc_info for r in caplog.records), "a user error is not a crash: no traceback"


def test_service_errors_keep_their_code(answerer: Any) -> None:
    err = error_of(call(build_mcp(lambda: answerer, max_query_chars=50), "search", {"query": "zorg " * 20}))
    assert err == {"code": "invalid_query", "message": "text is longer than 50 characters", "details": None}
    dates = {"query": "zorg", "date_from": "2025-12-05", "date_to": "2025-12-01"}
    assert error_of(call(build_mcp(lambda: answerer), "search", dates))["code"] == "validation_error"

    def loading() -> Any:
        raise IndexNotReady("the index is still loading")

    assert error_of(call(build_mcp(loading), "ask", {"question": "Wat wil de NVZ?"}))["code"] == "index_not_ready"


def test_an_unknown_tool_gets_the_envelope(answerer: Any) -> None:
    err = error_of(call(build_mcp(lambda: answerer), "nosuch", {"query": "zorg"}))
    assert err["code"] == "not_found" and "nosuch" in err["message"], err
    assert err["details"] == {"tools": ["ask", "asks", "factcheck", "search"]}


@pytest.mark.parametrize(("tool", "args"), [("search", {"query": "   "}), ("ask", {"question": "\u2028"})])
def test_a_text_without_words_is_an_invalid_query_as_over_http(answerer: Any, tool: str, args: dict[str, Any]) -> None:
    assert error_of(call(build_mcp(lambda: answerer), tool, args))["code"] == "invalid_query"


def test_ask_and_factcheck_take_the_filters_of_search(hashing_index: Path) -> None:
    lenient = open_answerer(make_settings(hashing_index, min_answer_score=0.0))  # the fake encoder's cosines are low
    server = build_mcp(lambda: lenient)
    res = call(server, "ask", {"question": "Wat vraagt de NVZ?", "kind": "agreement_section"})
    assert not res.is_error and res.structured_content["supporting"], res
    assert {h["document"]["kind"] for h in res.structured_content["supporting"]} == {"agreement_section"}
    res = call(
        server,
        "factcheck",
        {"claim": "De zorg heeft behoefte aan stabiel kabinetsbeleid.", "sender": "NVZ", "top_k": 3},
    )
    assert not res.is_error and res.structured_content["evidence"], res
    assert all("nvz" in e["document"]["sender"].lower() for e in res.structured_content["evidence"])
    dates = {"date_from": "2025-12-01", "date_to": "2025-12-05"}
    res = call(server, "factcheck", {"claim": "De zorg krijgt meer geld.", **dates})
    assert all("2025-12-01" <= e["document"]["date"] <= "2025-12-05" for e in res.structured_content["evidence"])
    backwards = {"date_from": "2025-12-05", "date_to": "2025-12-01"}
    err = error_of(call(server, "ask", {"question": "Wat vraagt de NVZ?", **backwards}))
    assert err["code"] == "validation_error" and err["details"][0]["loc"] == ["date_from"]


def test_search_filters_by_date_as_http_does(answerer: Any) -> None:
    args = {"query": "zorg en kabinet", "top_k": 5, "date_from": "2025-12-01", "date_to": "2025-12-05"}
    res = call(build_mcp(lambda: answerer), "search", args)
    assert not res.is_error and res.structured_content["results"]
    assert all("2025-12-01" <= h["document"]["date"] <= "2025-12-05" for h in res.structured_content["results"])


def test_tool_schemas_say_what_is_refused(answerer: Any) -> None:
    from mcp import Client

    async def run() -> dict[str, Any]:
        async with Client(build_mcp(lambda: answerer)) as client:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

    schemas = asyncio.run(run())
    assert all(s["additionalProperties"] is False for s in schemas.values())
    top_k = schemas["search"]["properties"]["top_k"]
    assert (top_k["minimum"], top_k["maximum"]) == (1, 50) and schemas["factcheck"]["properties"]["top_k"][
        "maximum"
    ] == 20
    for tool in ("search", "ask", "factcheck"):
        assert {"date_from", "date_to", "kind", "sender"} <= set(schemas[tool]["properties"]), tool
        assert schemas[tool]["properties"]["top_k"]["type"] == "integer"


@pytest.fixture(scope="module")
def server(hashing_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    logs = tmp_path_factory.mktemp("mcp-log")
    env = {"QA_INDEX_DIR": str(hashing_index), "QA_ENCODER": "hashing", "QA_LOG_LEVEL": "INFO"}
    env["QA_CACHE_DIR"] = str(tmp_path_factory.mktemp("mcp-cache"))
    with running_server(env, logs) as base:
        yield base, logs / "server.log"


def test_over_http_an_empty_query_is_a_clear_error_without_a_traceback(server: tuple[str, Path]) -> None:
    base, log = server
    err = error_of(call(base + "/mcp/", "search", {"query": ""}))
    assert err["code"] == "validation_error" and "query" in err["message"]
    assert "Error executing tool" not in json.dumps(err)
    res = call(base + "/mcp/", "search", {"query": "zorg", "top_k": 2})
    assert not res.is_error and len(res.structured_content["results"]) == 2
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("path", ["/mcp", "/mcp/"])
@pytest.mark.parametrize("accept", [None, "text/event-stream", "application/json, text/event-stream"])
def test_over_http_a_get_is_refused_at_once(server: tuple[str, Path], path: str, accept: str | None) -> None:
    """Stateless with JSON responses: no server-initiated stream, so no GET (it used to hang as an SSE stream)."""
    import httpx

    base, _ = server
    r = httpx.get(base + path, headers={"accept": accept} if accept else {}, timeout=5)
    assert r.status_code == 405 and r.headers["allow"] == "POST", r.text
    assert error_of_body(r.json()) == {
        "code": "method_not_allowed",
        "message": f"GET is not allowed on {path}; allowed: POST",
        "details": {"allow": ["POST"]},
    }
    assert httpx.delete(base + path, timeout=5).status_code == 405


def test_over_http_both_paths_answer_without_a_redirect(server: tuple[str, Path]) -> None:
    """`/mcp` redirected to an absolute http://host/mcp/, which breaks behind a TLS proxy."""
    import httpx

    base, _ = server
    for path in ("/mcp", "/mcp/"):
        res = call(base + path, "search", {"query": "zorg", "top_k": 1})
        assert not res.is_error and len(res.structured_content["results"]) == 1, path
        r = httpx.post(base + path, json={}, follow_redirects=False, timeout=5)
        assert r.status_code != 307 and "location" not in r.headers, (path, r.status_code)


def error_of_body(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]  # type: ignore[no-any-return]
