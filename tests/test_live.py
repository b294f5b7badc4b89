"""A living corpus: ingest every format, duplicates, replace, delete, keys, bad uploads,
readers under load while writers change the index, and writers killed mid-update."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import httpx
import pytest
from fastapi.testclient import TestClient
from fpdf import FPDF

from qa_service.chunking import ChunkingSettings
from qa_service.encoders import HashingEncoder
from qa_service.store.folder.changes import apply_changes
from qa_service.store.folder.index import current_version, load_index
from tests.conftest import make_settings, ready_client
from tests.server import running_server

KEY = "test-key"
AUTH = {"x-api-key": KEY}
LETTER = [
    "Stichting Zeehondenzorg",
    "",
    "Pieterburen, 3 december 2025",
    "",
    "Betreft: Bescherming van zeehonden",
    "",
    "Geachte heer Van Haersma Buma,",
    "",
    "Wij vragen het nieuwe kabinet om extra bescherming van zeehonden in de Waddenzee. "
    "De populatie gewone zeehonden neemt af door verstoring en vervuiling.",
    "",
    "Met vriendelijke groet,",
    "",
    "Lenie Visser",
    "Directeur Stichting Zeehondenzorg",
]


def make_pdf(lines: list[str], encrypt: bool = False, image_only: bool = False) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    if image_only:
        pdf.rect(20, 20, 100, 60, style="F")
    else:
        pdf.set_font("helvetica", size=11)
        for line in lines:
            pdf.multi_cell(0, 6, line or " ", new_x="LMARGIN", new_y="NEXT")
    if encrypt:
        pdf.set_encryption(owner_password="owner", user_password="user")
    return bytes(pdf.output())


def make_docx(lines: list[str]) -> bytes:
    d = docx.Document()
    for line in lines:
        if line:
            d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture
def index_copy(hashing_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(hashing_index, target)
    return target


@pytest.fixture
def client(index_copy: Path) -> Iterator[TestClient]:
    s = make_settings(index_copy, api_key=KEY, mcp_allowed_hosts=["*"])
    with ready_client(s) as c:
        yield c


def search_top(c: TestClient, q: str) -> dict:  # type: ignore[type-arg]
    r = c.post("/v1/search", json={"query": q, "top_k": 1, "min_score": -1})
    assert r.status_code == 200
    return r.json()["results"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("brief.pdf", lambda: make_pdf(LETTER)),
        ("brief.docx", lambda: make_docx(LETTER)),
        ("brief.txt", lambda: "\n".join(LETTER).encode()),
        ("brief.md", lambda: ("# Brief\n\n" + "\n".join(LETTER)).encode()),
    ],
)
def test_each_format_is_searchable_then_gone(client: TestClient, name: str, make) -> None:  # type: ignore[no-untyped-def]
    before = client.get("/readyz").json()["documents"]
    r = client.post("/v1/documents", files={"file": (name, make())}, headers=AUTH)
    assert r.status_code == 201, r.text
    doc_id = r.json()["documents"][0]
    doc = client.get(f"/v1/documents/{doc_id}").json()
    assert doc["kind"] == "letter" and doc["date"] == "2025-12-03"
    assert "zeehonden" in doc["text"] and "Bescherming van zeehonden" in (doc["subject"] or "")
    assert search_top(client, "bescherming van zeehonden in de Waddenzee")["document"]["id"] == doc_id
    r = client.delete(f"/v1/documents/{doc_id}", headers=AUTH)
    assert r.status_code == 200 and doc_id in r.json()["removed"]
    assert client.get(f"/v1/documents/{doc_id}").status_code == 404
    assert search_top(client, "bescherming van zeehonden in de Waddenzee")["document"]["id"] != doc_id
    assert client.get("/readyz").json()["documents"] == before


def test_metadata_overrides_duplicates_and_replace(client: TestClient) -> None:
    data = "\n".join(LETTER).encode()
    r = client.post("/v1/documents", files={"file": ("z.txt", data)}, data={"sender": "Zeehondenzorg NL"}, headers=AUTH)
    doc_id = r.json()["documents"][0]
    assert client.get(f"/v1/documents/{doc_id}").json()["sender"] == "Zeehondenzorg NL"
    again = client.post("/v1/documents", files={"file": ("other-name.txt", data)}, headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert again.json()["documents"] == [doc_id]
    new = "\n".join(LETTER).replace("zeehonden in de Waddenzee", "bruinvissen in de Noordzee").encode()
    r = client.put(f"/v1/documents/{doc_id}", files={"file": ("z.txt", new)}, headers=AUTH)
    assert r.status_code == 200 and r.json()["removed"] == [doc_id]
    new_id = r.json()["documents"][0]
    assert client.get(f"/v1/documents/{doc_id}").status_code == 404
    assert "bruinvissen" in client.get(f"/v1/documents/{new_id}").json()["text"]
    r = client.post(
        "/v1/documents",
        json={"text": "\n".join(LETTER).replace("Waddenzee", "Eems"), "name": "j.txt", "date": "2025-12-09"},
        headers=AUTH,
    )
    doc = client.get(f"/v1/documents/{r.json()['documents'][0]}").json()
    assert r.status_code == 201 and doc["date"] == "2025-12-09"
    assert doc["date_raw"] is None  # the text's "3 december 2025" is no longer the document's date


def test_bundle_is_split_and_delete_cascades(client: TestClient) -> None:
    bundle = "\n".join(
        LETTER
        + [
            "",
            "Bijlage: onze cijfers",
            "",
            "In 2024 telden wij 8.000 gewone zeehonden in de Nederlandse Waddenzee, minder dan "
            "in de jaren daarvoor. De daling is het sterkst in het westelijke deel van de "
            "Waddenzee, waar de meeste recreatie plaatsvindt en de verstoring het grootst is.",
        ]
    )
    r = client.post("/v1/documents", files={"file": ("bundel.txt", bundle.encode())}, headers=AUTH)
    ids = r.json()["documents"]
    kinds = {client.get(f"/v1/documents/{i}").json()["kind"] for i in ids}
    assert kinds == {"letter", "attachment"}
    letter = next(i for i in ids if client.get(f"/v1/documents/{i}").json()["kind"] == "letter")
    r = client.delete(f"/v1/documents/{letter}", headers=AUTH)
    assert set(r.json()["removed"]) == set(ids)


def test_bundled_document_can_be_deleted(client: TestClient, index_copy: Path) -> None:
    doc_id = "000_bc9a0256b61318aa-L5"
    assert client.delete(f"/v1/documents/{doc_id}", headers=AUTH).status_code == 200
    assert doc_id in json.loads((index_copy / "deleted.json").read_text())
    assert client.delete(f"/v1/documents/{doc_id}", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("fake.pdf", b"this is not a pdf at all, just words", 415, "unsupported_document"),
        ("locked.pdf", make_pdf(LETTER, encrypt=True), 422, "empty_document"),
        ("scan.pdf", make_pdf([], image_only=True), 422, "empty_document"),
        ("empty.txt", b"", 422, "empty_document"),
        ("spaces.txt", b"   \n\n  ", 422, "empty_document"),
        ("latin1.txt", "caf\xe9 en zo verder met woorden".encode("latin-1"), 415, "unsupported_document"),
        ("prog.exe", b"MZ\x90\x00binary", 415, "unsupported_document"),
        ("fake.docx", b"not a zip file", 415, "unsupported_document"),
        ("pdf-as.txt", make_pdf(LETTER), 415, "unsupported_document"),
    ],
)
def test_bad_uploads_leave_the_index_untouched(
    client: TestClient, index_copy: Path, name: str, data: bytes, status: int, code: str
) -> None:
    version = current_version(index_copy)
    r = client.post("/v1/documents", files={"file": (name, data)}, headers=AUTH)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert current_version(index_copy) == version


def test_bad_requests(client: TestClient, index_copy: Path) -> None:
    version = current_version(index_copy)
    cases = [
        client.post(
            "/v1/documents",
            files={"file": ("a.txt", "\n".join(LETTER).encode())},
            data={"date": "morgen"},
            headers=AUTH,
        ),
        client.post(
            "/v1/documents", files={"file": ("a.txt", "\n".join(LETTER).encode())}, data={"kind": "memo"}, headers=AUTH
        ),
        client.post("/v1/documents", json={"text": ""}, headers=AUTH),
        client.post("/v1/documents", json={"text": "x", "name": "../../etc/passwd"}, headers=AUTH),
        client.post("/v1/documents", content=b"{bad", headers={**AUTH, "content-type": "application/json"}),
        client.post("/v1/documents", content=b"raw", headers={**AUTH, "content-type": "text/plain"}),
        client.post("/v1/documents", data={"kind": "letter"}, headers=AUTH),
    ]
    for r in cases:
        assert 400 <= r.status_code < 500 and set(r.json()) == {"error"}, r.text
    big = b"a " * 11_000_000
    r = client.post("/v1/documents", files={"file": ("big.txt", big)}, headers=AUTH)
    assert r.status_code == 413
    assert client.delete("/v1/documents/nope", headers=AUTH).status_code == 404
    assert current_version(index_copy) == version


def test_writes_need_the_key(index_copy: Path) -> None:
    data = {"file": ("a.txt", "\n".join(LETTER).encode())}
    with ready_client(make_settings(index_copy)) as c:  # no key configured: writes refused
        r = c.post("/v1/documents", files=data)
        assert r.status_code == 403 and r.json()["error"]["code"] == "writes_disabled"
    with ready_client(make_settings(index_copy, api_key=KEY, read_api_key="reader")) as c:
        assert c.post("/v1/documents", files=data).status_code == 401
        assert c.post("/v1/documents", files=data, headers={"x-api-key": "wrong"}).status_code == 401
        assert c.post("/v1/documents", files=data, headers={"x-api-key": "reader"}).status_code == 401
        assert c.delete("/v1/documents/x", headers={"authorization": "Bearer wrong"}).status_code == 401
        # a read key makes reads need a key too; health stays open
        assert c.post("/v1/search", json={"query": "zorg"}).status_code == 401
        assert c.post("/v1/search", json={"query": "zorg"}, headers={"x-api-key": "reader"}).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_cli_ingest_and_delete(index_copy: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qa_service.cli import cli

    f = tmp_path / "brief.docx"
    f.write_bytes(make_docx(LETTER))
    base = ["--index-dir", str(index_copy), "--encoder", "hashing"]
    r = CliRunner().invoke(cli, [*base, "ingest", str(f), "--sender", "Zeehondenzorg"], catch_exceptions=False)
    assert r.exit_code == 0 and "added" in r.output
    doc_id = r.output.split("added ")[1].split(" ")[0].rstrip(",")
    idx = load_index(index_copy)
    assert idx.documents[doc_id].sender == "Zeehondenzorg"
    r = CliRunner().invoke(cli, [*base, "ingest", str(f)], catch_exceptions=False)
    assert "unchanged" in r.output
    r = CliRunner().invoke(cli, [*base, "delete", doc_id], catch_exceptions=False)
    assert r.exit_code == 0 and doc_id not in load_index(index_copy).documents


def test_full_rebuild_keeps_ingested_and_deleted(index_copy: Path) -> None:
    from qa_service.store.folder.build import build_index
    from tests.conftest import CORPUS

    s = make_settings(index_copy)
    apply_changes(
        index_copy,
        HashingEncoder(),
        ChunkingSettings(),
        s.cache_dir,
        add_text=("z.txt", "\n".join(LETTER), {"sender": "Zeehondenzorg"}),
    )
    apply_changes(index_copy, HashingEncoder(), ChunkingSettings(), s.cache_dir, remove={"000_bc9a0256b61318aa-L5"})
    build_index(CORPUS, index_copy, HashingEncoder(), ChunkingSettings(), s.cache_dir)
    docs = load_index(index_copy).documents
    assert "000_bc9a0256b61318aa-L5" not in docs
    assert any(d.sender == "Zeehondenzorg" for d in docs.values())


def test_readers_under_load_during_50_updates_on_two_workers(index_copy: Path, tmp_path: Path) -> None:
    env = {
        "QA_INDEX_DIR": str(index_copy),
        "QA_ENCODER": "hashing",
        "QA_API_KEY": KEY,
        "QA_CACHE_DIR": str(tmp_path / "cache"),
        "QA_RELOAD_INTERVAL": "0.2",
    }
    errors: list[str] = []
    stop = threading.Event()
    served = 0

    with running_server(env, tmp_path / "log", workers=2) as base:

        def reader() -> None:
            nonlocal served
            with httpx.Client(base_url=base, timeout=30) as c:
                while not stop.is_set():
                    r = c.post("/v1/search", json={"query": "zorg voor zeehonden", "top_k": 5, "min_score": -1})
                    if r.status_code != 200 or len(r.json()["results"]) != 5:
                        errors.append(f"{r.status_code} {r.text[:200]}")
                    served += 1

        threads = [threading.Thread(target=reader) for _ in range(2)]
        try:
            with httpx.Client(base_url=base, timeout=60) as c:
                start_docs = c.get("/readyz").json()["documents"]
                for t in threads:
                    t.start()
                added: list[str] = []
                for n in range(50):
                    if n % 2 == 0 or not added:
                        text = "\n".join(LETTER).replace("Waddenzee", f"Waddenzee (versie {n})")
                        r = c.post("/v1/documents", files={"file": (f"b{n}.txt", text.encode())}, headers=AUTH)
                        assert r.status_code == 201, r.text
                        added += r.json()["documents"]
                    else:
                        r = c.delete(f"/v1/documents/{added.pop(0)}", headers=AUTH)
                        assert r.status_code == 200, r.text
                stop.set()
                for t in threads:
                    t.join()
                final = load_index(index_copy)
                assert len(final.documents) == start_docs + len(added)
                assert len({p.id for p in final.passages}) == len(final.passages)
                # Every worker moves to the final version within a few polls.
                deadline = time.time() + 10
                while time.time() < deadline:
                    if {c.get("/readyz").json()["version"] for _ in range(10)} == {final.version}:
                        break
                    time.sleep(0.2)
                versions = {c.get("/readyz").json()["version"] for _ in range(20)}
                assert versions == {final.version}
        finally:
            stop.set()
            for t in threads:
                if t.is_alive():
                    t.join()
    assert not errors, errors[:3]
    assert served > 20


def test_writer_killed_mid_update_leaves_a_servable_index(index_copy: Path, tmp_path: Path) -> None:
    rng = random.Random(7)
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(index_copy),
        "QA_ENCODER": "hashing",
        "QA_CACHE_DIR": str(tmp_path / "cache"),
    }
    good = {current_version(index_copy)}
    for n in range(20):
        f = tmp_path / f"k{n}.txt"
        f.write_text("\n".join(LETTER).replace("Waddenzee", f"Waddenzee {n}"), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa_service", "ingest", str(f)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 3.0))
        proc.kill()
        proc.wait()
        live = current_version(index_copy)
        idx = load_index(index_copy)  # always loads: the last complete version
        assert idx.version == live
        assert len(idx.vectors) == len(idx.passages) == idx.manifest["counts"]["passages"]
        good.add(live)
    # The next start serves, and the next write cleans up what the killed writers left.
    apply_changes(index_copy, HashingEncoder(), ChunkingSettings(), tmp_path / "cache", remove=set())
    assert not list((index_copy / "versions").glob(".tmp-*"))


def test_too_little_text_is_not_called_empty(client: TestClient) -> None:
    r = client.post("/v1/documents", json={"text": "Geachte heer, x."}, headers=AUTH)
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_document", r.text
    message = r.json()["error"]["message"]
    assert "too little text" in message and "empty" not in message and "scan" not in message
    r = client.post("/v1/documents", files={"file": ("leeg.txt", b" \n ")}, headers=AUTH)
    assert r.status_code == 422 and "no text to index" in r.json()["error"]["message"]


def test_a_letter_without_a_paragraph_of_content_is_refused(client: TestClient, index_copy: Path) -> None:
    """A salutation and a signature would be stored and listed but never found."""
    version = current_version(index_copy)
    text = "Geachte heer Van Haersma Buma,\n\nMet vriendelijke groet,\n\nJan Jansen\nDirecteur Stichting Test"
    r = client.post("/v1/documents", json={"text": text, "name": "kaal.txt"}, headers=AUTH)
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_document", r.text
    assert "no paragraph of content" in r.json()["error"]["message"]
    assert current_version(index_copy) == version


def _nature_letter(org: str, figure: int) -> str:
    return "\n".join(
        [
            f"Stichting {org}",
            "",
            "Assen, 4 december 2025",
            "",
            "Betreft: Natuurgebied in Drenthe",
            "",
            "Geachte heer Van Haersma Buma,",
            "",
            f"Wij vragen het nieuwe kabinet om het natuurgebied in Drenthe uit te breiden tot {figure} vierkante "
            "kilometer. De heide en de venen hebben meer ruimte nodig om droogte en stikstof te doorstaan, en de "
            "boeren in het gebied verdienen een eerlijke vergoeding voor de grond die zij daarvoor afstaan.",
            "",
            "Met vriendelijke groet,",
            "",
            "Jan de Vries",
            f"Voorzitter Stichting {org}",
        ]
    )


def test_near_duplicates_with_another_figure_are_not_folded(client: TestClient) -> None:
    """Letters that differ only in "400" or "500 vierkante kilometer" are two hits; the same figure folds."""
    ids = {}
    for org, figure in (("Heidebehoud", 400), ("Venenfonds", 500), ("Drentse Natuur", 400)):
        r = client.post("/v1/documents", json={"text": _nature_letter(org, figure)}, headers=AUTH)
        assert r.status_code == 201, r.text
        ids[r.json()["documents"][0]] = figure
    q = {"query": "natuurgebied in Drenthe uitbreiden vierkante kilometer heide venen", "top_k": 5, "min_score": -1}
    hits = [h for h in client.post("/v1/search", json=q).json()["results"] if h["document"]["id"] in ids]
    shown = {ids[h["document"]["id"]] for h in hits}
    assert shown == {400, 500}, [h["document"]["sender"] for h in hits]
    folded = [d["document"]["id"] for h in hits for d in h["duplicates"]]
    assert len(folded) == 1 and ids[folded[0]] == 400
    for h in hits:
        assert all(ids.get(d["document"]["id"]) == ids[h["document"]["id"]] for d in h["duplicates"])
