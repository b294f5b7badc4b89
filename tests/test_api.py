"""HTTP API: in-process and against a real uvicorn server on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from tests.conftest import make_settings, pg_settings, ready_client
from tests.server import running_server


@pytest.fixture(scope="module", params=["embedded", "postgres"])
def store_settings(
    request: pytest.FixtureRequest, hashing_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """The same suite on both stores: the index folder, and PostgreSQL + pgvector."""
    if request.param == "embedded":
        return make_settings(hashing_index)
    url = request.getfixturevalue("pg_hashing")
    return pg_settings(url, tmp_path_factory.mktemp("pg-api"))


@pytest.fixture(scope="module")
def client(store_settings: Settings) -> Iterator[TestClient]:
    with ready_client(store_settings) as c:
        yield c


@pytest.fixture(scope="module")
def server(store_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn process on loopback, configured through QA_* variables as a user would."""
    env = {
        "QA_INDEX_DIR": str(store_settings.index_dir),
        "QA_ENCODER": "hashing",
        "QA_CACHE_DIR": str(tmp_path_factory.mktemp("c")),
    }
    if store_settings.database_url is not None:
        env["QA_DATABASE_URL"] = store_settings.database_url.get_secret_value()
    with running_server(env, tmp_path_factory.mktemp("log")) as base:
        yield base


def assert_envelope(r: httpx.Response, status: int, code: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz").json()
    assert r["status"] == "ready" and r["passages"] > 0 and r["model"] == "hashing:256"


def test_search_response_shape(client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": "minimumleeftijd voor sekswerk", "top_k": 3, "min_score": -1})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"query", "mode", "took_ms", "results", "reason", "index"}
    hit = body["results"][0]
    assert set(hit) == {
        "rank",
        "passage_id",
        "text",
        "char_start",
        "char_end",
        "highlight",
        "role",
        "scores",
        "document",
        "duplicates",
    }
    assert hit["role"] == "body"  # letter heads and signatures come only for lookups
    assert isinstance(hit["duplicates"], list)
    assert set(hit["scores"]) == {"fused", "dense", "keyword"}
    for key in ("id", "kind", "title", "sender", "date", "registration_number", "source_file", "heading_path"):
        assert key in hit["document"]
    assert isinstance(hit["document"]["organisations"], list) and isinstance(hit["document"]["aliases"], list)
    doc = client.get(f"/v1/documents/{hit['document']['id']}").json()
    assert doc["text"][hit["char_start"] : hit["char_end"]] == hit["text"]
    assert hit["passage_id"] in doc["passage_ids"]


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_modes(client: TestClient, mode: str) -> None:
    r = client.post("/v1/search", json={"query": "zorg", "mode": mode, "top_k": 4, "min_score": -1})
    assert r.status_code == 200 and r.json()["mode"] == mode and len(r.json()["results"]) == 4


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"kind": ["letter"]}, lambda d: d["kind"] == "letter"),
        ({"kind": "agreement_section"}, lambda d: d["kind"] == "agreement_section"),
        ({"sender": "NVZ"}, lambda d: "NVZ" in [d["sender"], *d["aliases"]]),
        ({"sender": "VNG"}, lambda d: "VNG" in d["aliases"] or any("VNG" in o for o in d["organisations"])),
        ({"date_from": "2025-12-01", "date_to": "2025-12-05"}, lambda d: "2025-12-01" <= d["date"] <= "2025-12-05"),
        ({"source_file": "002_f77dc67e94f5bf41.txt"}, lambda d: d["source_file"] == "002_f77dc67e94f5bf41.txt"),
    ],
)
def test_filters(client: TestClient, filters: dict, check) -> None:  # type: ignore[no-untyped-def,type-arg]
    r = client.post("/v1/search", json={"query": "zorg en kabinet", "top_k": 6, "filters": filters, "min_score": -1})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == 6 and all(check(h["document"]) for h in results)


def test_document_filter_and_passage_neighbours(client: TestClient) -> None:
    docs = client.get("/v1/documents", params={"kind": "letter", "sender": "nvz"}).json()
    assert docs["total"] >= 1
    doc_id = docs["documents"][0]["id"]
    r = client.post("/v1/search", json={"query": "zorg", "filters": {"document_id": doc_id}, "min_score": -1})
    assert {h["document"]["id"] for h in r.json()["results"]} == {doc_id}
    pid = r.json()["results"][0]["passage_id"]
    p = client.get(f"/v1/passages/{pid}").json()
    assert p["id"] == pid and p["document"]["id"] == doc_id and "previous" in p and "next" in p


def test_a_document_gives_its_passages_places_in_its_text(client: TestClient) -> None:
    # The web page names each passage link by its words and heading, without a request per passage.
    for kind in ("letter", "agreement_section"):
        doc_id = client.get("/v1/documents", params={"kind": kind, "limit": 1}).json()["documents"][0]["id"]
        doc = client.get(f"/v1/documents/{doc_id}").json()
        assert [p["id"] for p in doc["passages"]] == doc["passage_ids"] and doc["passages"]
        for span in doc["passages"]:
            passage = client.get(f"/v1/passages/{span['id']}").json()
            assert doc["text"][span["char_start"] : span["char_end"]] == passage["text"]
            assert span["heading_path"] == passage["heading_path"]


def test_a_document_names_its_letter_attachments_and_reply(client: TestClient) -> None:
    docs = client.get("/v1/documents", params={"limit": 500}).json()["documents"]
    replies = client.get("/v1/documents", params={"kind": "reply", "limit": 500}).json()["documents"]
    child = next(d for d in docs if d["parent_id"])
    related = {(r["relation"], r["id"]) for r in client.get(f"/v1/documents/{child['id']}").json()["related"]}
    assert ("letter", child["parent_id"]) in related
    parent = client.get(f"/v1/documents/{child['parent_id']}").json()
    assert ("attachment", child["id"]) in {(r["relation"], r["id"]) for r in parent["related"]}
    assert all(r["title"] and r["kind"] for r in parent["related"])
    reply = next(x for x in (client.get(f"/v1/documents/{r['id']}").json() for r in replies) if x["in_reply_to"])
    assert ("answers", reply["in_reply_to"]) in {(r["relation"], r["id"]) for r in reply["related"]}
    letter = client.get(f"/v1/documents/{reply['in_reply_to']}").json()
    assert ("reply", reply["id"]) in {(r["relation"], r["id"]) for r in letter["related"]}


def test_documents_know_their_organisations_and_short_names(client: TestClient) -> None:
    # "VNG" is no part of "Vereniging van Nederlandse Gemeenten"; it is its short name.
    page = client.get("/v1/documents", params={"sender": "VNG", "kind": "letter", "limit": 50}).json()
    senders = {d["sender"] for d in page["documents"]}
    assert "Vereniging van Nederlandse Gemeenten" in senders
    joint = next(d for d in page["documents"] if d["parent_id"] is not None and d["source_file"].startswith("003"))
    assert joint["organisations"][0] == "Vereniging van Nederlandse Gemeenten" and len(joint["organisations"]) == 28
    full = client.get(f"/v1/documents/{joint['id']}").json()
    assert full["organisations"] == joint["organisations"] and "VNG" in full["aliases"]
    assert full["reference"] == "COS/U202500738" and full["registration_number"] is None
    assert full["parent_id"] in {d["id"] for d in page["documents"]}  # the VNG's member letter encloses it
    # a co-signing organisation finds the joint letter too
    page = client.get("/v1/documents", params={"sender": "divosa"}).json()
    assert joint["id"] in {d["id"] for d in page["documents"]}


def test_a_sender_nobody_is_named_in_the_reason(client: TestClient) -> None:
    body = {"query": "zorg", "filters": {"sender": "Greenpeace"}}
    r = client.post("/v1/search", json=body)
    assert r.status_code == 200 and r.json()["results"] == []
    assert r.json()["reason"] == "no document matches sender 'Greenpeace'"


def test_honest_empty_result(client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": "zorg", "min_score": 1.0})
    assert r.status_code == 200 and r.json()["results"] == [] and r.json()["reason"]


BAD_BODIES = [
    (b'{"query": ""}', 422, "validation_error"),
    (b'{"query": "   "}', 400, "invalid_query"),  # the schema holds (a string of 1+ characters); no words
    (b'{"query": "\\u2028"}', 400, "invalid_query"),
    ('{"query": "\u2028\u00a0?"}'.encode(), 400, "invalid_query"),
    (b'{"query": "x", "top_k": 0}', 422, "validation_error"),
    (b'{"query": "x", "top_k": 1000}', 422, "validation_error"),
    (b'{"query": "x", "unknown": 1}', 422, "validation_error"),
    (b'{"query": "x", "filters": {"colour": "red"}}', 422, "validation_error"),
    (b'{"query": "x", "filters": {"date_from": "2025-13-01"}}', 422, "validation_error"),
    (b'{"query": "x", "filters": {"date_from": "2025-12-05", "date_to": "2025-12-01"}}', 422, "validation_error"),
    (b'{"query": "x", "mode": "magic"}', 422, "validation_error"),
    (b'{"query": 42}', 422, "validation_error"),
    (b'{"query": "x", "top_k": "five"}', 422, "validation_error"),
    (b"[]", 422, "validation_error"),
    (b"{bad json", 400, "invalid_json"),
    (b'{"query": "\xff\xfe"}', 400, "invalid_json"),
    ('{"query": "café"}'.encode("latin-1"), 400, "invalid_json"),  # not UTF-8
    *[('{"query": "zorg"}'.encode(enc), 400, "invalid_json") for enc in ("utf-16", "utf-16-le", "utf-32-be")],
    ('{"query": "zorg"}'.encode("utf-8-sig"), 400, "invalid_json"),  # RFC 8259: no byte-order mark
    (b"[" * 5000 + b"]" * 5000, 400, "invalid_json"),  # nested deeper than any parser follows
    (b'{"query": ' * 5000 + b'"x"' + b"}" * 5000, 400, "invalid_json"),
    (b"", 422, None),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
def test_bad_input_in_process(client: TestClient, body: bytes, status: int, code: str | None) -> None:
    r = client.post("/v1/search", content=body, headers={"content-type": "application/json"})
    assert_envelope(r, status, code)  # type: ignore[arg-type]


def test_limits(client: TestClient) -> None:
    assert_envelope(client.post("/v1/search", json={"query": "x" * 100_000}), 413, "payload_too_large")  # type: ignore[arg-type]
    assert_envelope(client.post("/v1/search", json={"query": "x" * 5000}), 400, "invalid_query")  # type: ignore[arg-type]
    assert_envelope(client.get("/v1/documents/nope"), 404, "not_found")  # type: ignore[arg-type]
    assert_envelope(client.get("/v1/passages/nope"), 404, "not_found")  # type: ignore[arg-type]
    assert_envelope(client.get("/v1/documents", params={"limit": 0}), 422, "validation_error")  # type: ignore[arg-type]
    assert_envelope(client.get("/nowhere"), 404, "not_found")  # type: ignore[arg-type]
    assert_envelope(client.get("/v1/search"), 405, "method_not_allowed")  # type: ignore[arg-type]


def test_metrics(client: TestClient) -> None:
    client.post("/v1/search", json={"query": "zorg"})
    text = client.get("/metrics").text
    assert 'qa_http_request_seconds_count{method="POST",route="/v1/search",status="200"}' in text
    assert 'qa_search_seconds_bucket{le="0.005",mode="hybrid"}' in text
    assert 'qa_index_items{kind="passages"}' in text


def test_not_ready_without_index(tmp_path: Path) -> None:
    s = Settings(index_dir=tmp_path / "none", encoder="hashing", _env_file=None, log_level="WARNING")  # type: ignore[call-arg]
    with TestClient(create_app(s)) as c:
        time.sleep(0.3)
        assert_envelope(c.get("/readyz"), 503, "index_not_ready")  # type: ignore[arg-type]
        assert_envelope(c.post("/v1/search", json={"query": "zorg"}), 503, "index_not_ready")  # type: ignore[arg-type]


def test_real_server_search_and_bad_input(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as c:
        r = c.post("/v1/search", json={"query": "sekswerk", "top_k": 2, "min_score": -1})
        assert r.status_code == 200 and len(r.json()["results"]) == 2
        for body, status, code in BAD_BODIES:
            assert_envelope(
                c.post("/v1/search", content=body, headers={"content-type": "application/json"}), status, code
            )
        assert_envelope(c.post("/v1/search", json={"query": "x" * 100_000}), 413)
        assert c.get("/openapi.json").status_code == 200 and c.get("/docs").status_code == 200


@pytest.mark.parametrize("path", ["/v1/search", "/v1/ask", "/v1/factcheck", "/v1/vector_stores/default/search"])
@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "application/x-www-form-urlencoded", None])
def test_json_endpoints_refuse_other_media_types(client: TestClient, path: str, ctype: str | None) -> None:
    """A body not sent as JSON is a 415, as on /v1/documents, not a schema error about a "dictionary"."""
    headers = {"content-type": ctype} if ctype else {}
    r = client.post(path, content=b'{"query": "zorg"}', headers=headers)
    assert_envelope(r, 415, "unsupported_media_type")  # type: ignore[arg-type]
    assert "application/json" in r.json()["error"]["message"]


def test_json_endpoints_take_json_media_types(client: TestClient) -> None:
    for ctype in ("application/json", "application/json; charset=utf-8", "application/vnd.api+json"):
        r = client.post("/v1/search", content=b'{"query": "zorg", "min_score": -1}', headers={"content-type": ctype})
        assert r.status_code == 200 and r.json()["results"], (ctype, r.text)
    # no body at all: the schema says what is missing
    assert_envelope(client.post("/v1/search"), 422, "validation_error")  # type: ignore[arg-type]


def test_document_list_validates_kind_as_search_does(client: TestClient) -> None:
    r = client.get("/v1/documents", params={"kind": "email"})
    assert_envelope(r, 422, "validation_error")  # type: ignore[arg-type]
    assert r.json()["error"]["details"][0]["loc"] == ["query", "kind"]
    search = client.post("/v1/search", json={"query": "zorg", "filters": {"kind": "email"}})
    assert_envelope(search, 422, "validation_error")  # type: ignore[arg-type]
    assert client.get("/v1/documents", params={"kind": "reply"}).json()["total"] > 0


def test_probes_answer_head(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == 200 == get.status_code, (path, head.text)
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_every_get_answers_head_with_gets_status_and_headers(client: TestClient) -> None:
    hit = client.get("/v1/documents", params={"limit": 1}).json()["documents"][0]["id"]
    passage = client.get(f"/v1/documents/{hit}").json()["passage_ids"][0]
    paths = ["/v1/documents?kind=letter", f"/v1/documents/{hit}", f"/v1/passages/{passage}", "/openapi.json"]
    paths += ["/v1/documents/nope", "/v1/passages/nope", "/v1/documents?limit=0"]  # errors too: 404, 422
    for path in paths:
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code and head.content == b"", (path, head.status_code)
        for name in ("content-type", "content-length"):
            assert head.headers[name] == get.headers[name], (path, name)
    head = client.head("/metrics")  # its body (and length) changes with every request
    assert head.status_code == 200 and head.content == b"" and head.headers["content-type"].startswith("text/plain")
    assert 'method="HEAD",route="/v1/documents",status="200"' in client.get("/metrics").text
    r = client.request("PATCH", "/v1/documents")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST"
    assert client.head("/v1/search").status_code == 405  # no GET there, so no HEAD


def test_head_before_the_index_is_loaded_is_503(tmp_path: Path) -> None:
    s = Settings(index_dir=tmp_path / "none", encoder="hashing", _env_file=None, log_level="WARNING")  # type: ignore[call-arg]
    with TestClient(create_app(s)) as c:
        assert c.head("/readyz").status_code == 503 and c.head("/healthz").status_code == 200


def test_vector_store_date_filter_says_it_takes_an_iso_date(client: TestClient) -> None:
    path = "/v1/vector_stores/default/search"
    r = client.post(path, json={"query": "zorg", "filters": {"type": "gt", "key": "date", "value": 1733000000}})
    assert_envelope(r, 400, "invalid_query")  # type: ignore[arg-type]
    assert "ISO date string" in r.json()["error"]["message"]
    ok = client.post(path, json={"query": "zorg", "filters": {"type": "gt", "key": "date", "value": "2025-12-01"}})
    assert ok.status_code == 200 and all(d["attributes"]["date"] > "2025-12-01" for d in ok.json()["data"])


def test_real_server_answers_head_and_415(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as c:
        assert c.head("/readyz").status_code == 200 and c.head("/healthz").status_code == 200
        assert c.head("/").status_code == 200
        for path in ("/v1/documents", "/metrics"):
            head = c.head(path)
            assert head.status_code == 200 and head.content == b"", path
        r = c.post("/v1/search", content=b'{"query": "zorg"}', headers={"content-type": "text/plain"})
        assert_envelope(r, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/search", "query"),
        ("/v1/ask", "question"),
        ("/v1/factcheck", "claim"),
        ("/v1/vector_stores/default/search", "query"),
    ],
)
@pytest.mark.parametrize("text", ["\u2028", " \t\n", "???"])
def test_a_text_without_words_is_an_invalid_query_everywhere(
    client: TestClient, path: str, field: str, text: str
) -> None:
    assert_envelope(client.post(path, json={field: text}), 400, "invalid_query")  # type: ignore[arg-type]
    assert_envelope(client.post(path, json={field: ""}), 422 if "vector" not in path else 400)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/factcheck", "/v1/vector_stores/default/search"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_json_endpoints_refuse_json_that_is_not_utf8(client: TestClient, path: str, encoding: str) -> None:
    body = json.dumps({"query" if "vector" in path else "question" if "ask" in path else "claim": "zorg"})
    r = client.post(path, content=body.encode(encoding), headers={"content-type": "application/json"})
    assert_envelope(r, 400, "invalid_json")  # type: ignore[arg-type]
    assert "RFC 8259" in r.json()["error"]["details"][0]["msg"]


VECTOR_STORE = "/v1/vector_stores/default/search"


@pytest.mark.parametrize(
    ("filters", "loc"),
    [
        ({"type": "eq", "key": "kind", "value": "email"}, ["body", "filters", "value"]),
        ({"type": "in", "key": "kind", "value": ["letter", "memo"]}, ["body", "filters", "value", "1"]),
        (
            {
                "type": "and",
                "filters": [
                    {"type": "eq", "key": "sender", "value": "NVZ"},
                    {"type": "eq", "key": "kind", "value": "x"},
                ],
            },
            ["body", "filters", "filters", "1", "value"],
        ),
    ],
)
def test_vector_store_refuses_an_unknown_kind_as_search_does(client: TestClient, filters: dict, loc: list[str]) -> None:  # type: ignore[type-arg]
    r = client.post(VECTOR_STORE, json={"query": "zorg", "filters": filters})
    assert_envelope(r, 422, "validation_error")  # type: ignore[arg-type]
    assert [d["loc"] for d in r.json()["error"]["details"]] == [loc]
    kinds = {"type": "in", "key": "kind", "value": ["letter", "agreement_section"]}
    ok = client.post(VECTOR_STORE, json={"query": "zorg", "filters": kinds, "ranking_options": {"score_threshold": 0}})
    assert ok.status_code == 200 and {d["attributes"]["kind"] for d in ok.json()["data"]} <= {
        "letter",
        "agreement_section",
    }


def test_vector_store_results_are_best_first_by_the_score_shown(client: TestClient) -> None:
    """OpenAI's results come sorted by score; the service's hybrid rank stays in the attributes."""
    body = {"query": "Wat vraagt de NVZ van het nieuwe kabinet?", "max_num_results": 20}
    data = client.post(VECTOR_STORE, json={**body, "ranking_options": {"score_threshold": 0}}).json()["data"]
    scores = [d["score"] for d in data]
    assert len(data) == 20 and scores == sorted(scores, reverse=True), scores
    ranks = [d["attributes"]["rank"] for d in data]
    assert sorted(ranks) == list(range(1, 21)) and ranks != sorted(ranks)  # hybrid order differs from the cosine's


@pytest.mark.parametrize("ranker", ["none", "auto", "default-2024-11-15", "bogus", ""])
def test_vector_store_ranker_takes_openais_values(client: TestClient, ranker: str) -> None:
    r = client.post(VECTOR_STORE, json={"query": "zorg", "ranking_options": {"ranker": ranker}})
    if ranker in ("none", "auto", "default-2024-11-15"):
        assert r.status_code == 200, r.text
    else:
        assert_envelope(r, 422, "validation_error")  # type: ignore[arg-type]
        assert r.json()["error"]["details"][0]["loc"] == ["body", "ranking_options", "ranker"]
