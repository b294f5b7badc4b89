"""The API contract: the OpenAPI document says what the service does, and schemathesis agrees."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from scripts import api_contract
from tests.conftest import PACKAGE_ROOT, make_settings, ready_client
from tests.server import running_server

KEY = "contract-key"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def client(hashing_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    index = tmp_path_factory.mktemp("openapi") / "index"
    shutil.copytree(hashing_index, index)
    with ready_client(make_settings(index, api_key=KEY)) as c:
        yield c


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def validate(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    jsonschema.Draft202012Validator({**schema, "components": spec["components"]}).validate(value)


def concrete(path: str, op: dict[str, Any]) -> str:
    for p in op.get("parameters", []):
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", next(iter(p["examples"].values()))["value"])
    return path


def test_a_405_names_the_methods_of_its_path(client: TestClient, spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        declared = sorted(m.upper() for m in item if m in METHODS)
        url = concrete(path, next(iter(item.values())))
        for method in ("TRACE", "PATCH", "OPTIONS"):
            r = client.request(method, url)
            assert r.status_code == 405, (method, path, r.text)
            assert r.headers["allow"] == ", ".join(declared), (method, path)
            assert r.json()["error"]["code"] == "method_not_allowed"
            assert r.json()["error"]["details"] == {"allow": declared}


def test_upload_bodies_are_declared_with_their_limits(spec: dict[str, Any]) -> None:
    for path, method in (("/v1/documents", "post"), ("/v1/documents/{doc_id}", "put")):
        op = spec["paths"][path][method]
        content = op["requestBody"]["content"]
        assert set(content) == {"multipart/form-data", "application/json"}
        assert op["security"] == [{"apiKey": []}, {"bearer": []}]
    schemas = spec["components"]["schemas"]
    form, text = schemas["DocumentUpload"], schemas["TextDocument"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
    assert form["properties"]["sender"]["maxLength"] == 300 and form["properties"]["title"]["maxLength"] == 500
    assert form["additionalProperties"] is False and text["additionalProperties"] is False
    assert text["required"] == ["text"] and text["properties"]["text"]["minLength"] == 1
    assert text["properties"]["name"]["pattern"] and text["properties"]["name"]["maxLength"] == 200
    assert spec["paths"]["/v1/documents"]["post"]["responses"]["201"]["links"]["GetDocument"]


def test_every_operation_has_examples_that_match_its_schemas(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        for p in op.get("parameters", []):
            if p["in"] == "path":
                assert p.get("examples"), (method, path, p["name"])
        for media in op.get("requestBody", {}).get("content", {}).values():
            assert media.get("examples"), (method, path)
            for ex in media["examples"].values():
                if "file" not in ex["value"]:  # a file is bytes on the wire, a string in an example
                    validate(spec, media["schema"], ex["value"])
        ok = [c for c, r in op["responses"].items() if c.startswith("2")]
        assert ok, (method, path)
        if method == "head":  # the GET answer's status and headers, never a body
            assert all("content" not in r for r in op["responses"].values()), path
            continue
        for code in ok:
            media = op["responses"][code]["content"]["application/json"]
            assert "example" in media, (method, path, code)
            validate(spec, media["schema"], media["example"])


def test_the_request_examples_work_as_they_are(client: TestClient, spec: dict[str, Any]) -> None:
    """What `/docs` offers to try: every example request of a read is answered with 200."""
    for path, method, op in operations(spec):
        if op.get("security"):
            continue
        bodies = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {})
        for ex in bodies.values() or [None]:
            r = client.request(method.upper(), concrete(path, op), json=None if ex is None else ex["value"])
            assert r.status_code == 200, (method, path, r.text)
            if method == "head":
                assert r.content == b"", path
                continue
            validate(spec, op["responses"]["200"]["content"]["application/json"]["schema"], r.json())


@pytest.mark.parametrize(
    "body",
    [
        {"query": "zorg", "top_k": "3"},
        {"query": "zorg", "min_score": "0.5"},
        {"query": "zorg", "filters": {"date_from": 0}},
        {"query": "zorg", "filters": {"date_from": "0"}},
        {"query": "zorg", "filters": {"date_to": "2025-11-01T00:00:00"}},
    ],
)
def test_values_of_another_type_than_declared_are_refused(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/v1/search", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", r.text


def test_json_operations_document_their_415(spec: dict[str, Any]) -> None:
    for path in ("/v1/search", "/v1/ask", "/v1/factcheck", "/v1/vector_stores/{vector_store_id}/search"):
        assert "415" in spec["paths"][path]["post"]["responses"], path


def test_probes_are_documented_for_head(spec: dict[str, Any]) -> None:
    assert spec["paths"]["/healthz"]["head"]["operationId"] == "healthz_head"
    assert set(spec["paths"]["/readyz"]["head"]["responses"]) == {"200", "503"}


def test_every_get_is_documented_for_head(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        if "get" in item:
            assert "head" in item, path
            if path not in ("/healthz", "/readyz"):  # those two have their own HEAD routes
                assert item["head"]["operationId"] == item["get"]["operationId"] + "_head"
                assert item["head"]["parameters"] == item["get"].get("parameters", [])
                assert set(item["head"]["responses"]) == set(item["get"]["responses"]), path


def test_an_unparsable_multipart_body_has_a_documented_code(client: TestClient) -> None:
    auth = {"x-api-key": KEY}
    r = client.post("/v1/documents", content=b"--x\r\n", headers={**auth, "content-type": "multipart/form-data"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_multipart", r.text
    assert "boundary" in r.json()["error"]["message"]
    api_docs = (PACKAGE_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert "`invalid_multipart` (400" in api_docs


def test_upload_errors_are_answered_like_other_validation_errors(client: TestClient) -> None:
    auth = {"x-api-key": KEY}
    letter = ("brief.txt", b"Geachte heer, wij vragen aandacht voor de zeehonden.")
    r = client.post("/v1/documents", files={"file": letter}, data={"date": "0"}, headers=auth)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "date"], r.text
    r = client.post("/v1/documents", files={"sender": (None, "NVZ")}, headers=auth)  # multipart, no file
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "file"], r.text
    r = client.post("/v1/documents", json={"text": "x", "kind": "memo"}, headers=auth)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", r.text
    r = client.post("/v1/documents", content=b"{bad", headers={**auth, "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json", r.text
    for form in ({"content": b"raw", "headers": {**auth, "content-type": "text/plain"}}, {"data": {"sender": "NVZ"}}):
        r = client.post("/v1/documents", **{"headers": auth, **form})  # type: ignore[arg-type]
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type", r.text


def test_the_key_header_that_is_sent_is_the_one_that_counts(client: TestClient) -> None:
    bearer = {"authorization": f"Bearer {KEY}"}
    assert client.delete("/v1/documents/nope", headers=bearer).status_code == 404  # the key was accepted
    assert client.delete("/v1/documents/nope", headers={"authorization": f"bearer {KEY}"}).status_code == 404
    for wrong in ("", "wrong"):  # a wrong X-API-Key is refused, whatever else comes with it
        r = client.delete("/v1/documents/nope", headers={**bearer, "x-api-key": wrong})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", r.text
    r = client.delete("/v1/documents/nope", headers={"x-api-key": KEY, "authorization": "Bearer wrong"})
    assert r.status_code == 404


@pytest.fixture
def server(hashing_index: Path, tmp_path: Path) -> Iterator[str]:
    """A real server on loopback over a copy of the hashing index, with a write key."""
    index = tmp_path / "index"
    shutil.copytree(hashing_index, index)
    env = {"QA_INDEX_DIR": str(index), "QA_ENCODER": "hashing", "QA_CACHE_DIR": str(tmp_path / "cache")}
    with running_server({**env, "QA_API_KEY": KEY}, tmp_path / "log") as base:
        yield base


def test_schemathesis_finds_no_failure(server: str, tmp_path: Path) -> None:
    """Every check but positive-data acceptance, a fixed seed, at most 10 generated cases per operation and phase."""
    summary = api_contract.run_schemathesis(server, KEY, max_examples=10, seed=1, report=tmp_path / "st.json")
    assert summary["operations"] == 24 and summary["cases"] >= 500, summary
    assert summary["failures"] == [] and summary["errors"] == [], Path(summary["output"]).read_text()[-5000:]
    assert summary["exit_code"] == 0 and set(summary["phases"].values()) == {"success"}, summary


def test_a_generated_client_uploads_a_letter_and_finds_it(server: str, tmp_path: Path) -> None:
    script = PACKAGE_ROOT / "scripts" / "generated_client.py"
    out = subprocess.run(
        [sys.executable, str(script), "--base-url", server, "--key", KEY, "--out", str(tmp_path / "client")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    steps = json.loads(out.stdout.strip().splitlines()[-1])
    assert steps["add"]["status"] == 201 and steps["search"]["top"] == steps["add"]["body"]["documents"][0]
    assert (tmp_path / "client" / "qa_client" / "api" / "write" / "add_document.py").exists()
