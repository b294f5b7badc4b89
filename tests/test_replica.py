"""A real PostgreSQL streaming replica behind a read-only API node.

A primary (pgserver) and a hot standby made from it with `pg_basebackup -R`, started with
`pg_ctl` from the binaries next to pgserver's `postgres`; the corpus is built into the primary and
streams to the replica. One `qa-service serve` node writes on the primary, another reads from the
replica: a letter added or deleted through the first shows up through the second after the
replication lag (measured and printed, run with `-s` to see it), and writes sent to the second are
refused with 409 `read_only`, never a 500. docs/deploy.md describes the same steps by hand.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from qa_service.errors import ReadOnlyStore, StoreUnavailable
from tests.conftest import build_database, new_database, pg_server_in_temp_dir, pg_settings
from tests.server import running_server
from tests.test_postgres import AUTH, KEY, add_letter, assert_envelope, found, letter

DEADLINE = 10.0  # seconds a replicated write may take before the test fails (it takes milliseconds)


@dataclass
class Pair:
    primary: str  # URL of the corpus database on the primary
    replica: str  # the same database on the standby
    lags: dict[str, float]


def pg_bin(name: str) -> Path:
    """A PostgreSQL program of the same build as the server pgserver runs."""
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / name


def run_as(user: str | None, args: list[str], log: Path | None = None) -> None:
    """Run a PostgreSQL program as the server's system user (pgserver runs the server as its own
    user `pgserver` when the tests run as root: PostgreSQL refuses to run as root)."""
    # Output to a file, not a pipe (as pgserver does): a server started by pg_ctl could hold a
    # pipe open and leave the call waiting.
    with tempfile.TemporaryFile("w+") as out:
        r = subprocess.run(args, user=user, stdout=out, stderr=out, text=True, timeout=60, check=False)
        if r.returncode != 0:
            out.seek(0)
            tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
            raise AssertionError(f"{args[0]} failed ({r.returncode}): {out.read()[-2000:]}\n{tail}")


@contextlib.contextmanager
def standby_of(srv: Any) -> Iterator[str]:
    """A hot standby of pgserver's server `srv`, streaming from it; yields its socket directory."""
    info = srv.get_postmaster_info()
    user = srv.system_user  # None unless root
    folder = Path(tempfile.mkdtemp(prefix="qa-pg-replica-"))
    data = folder / "data"
    data.mkdir(mode=0o700)
    if user is not None:  # the server's user must reach and own the new data directory
        from pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(data)
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    log = data / "standby.log"
    started = False
    try:
        # initdb's pg_hba.conf trusts local replication connections, and wal_level=replica and
        # max_wal_senders=10 are the defaults: the primary needs no change.
        source = f"host={info.socket_dir} port={info.port} user=postgres"
        run_as(user, [str(pg_bin("pg_basebackup")), "-d", source, "-D", str(data), "-R", "-X", "stream", "-c", "fast"])
        # The primary's socket lock and pgserver's bookkeeping were copied with its data directory.
        for stale in [*data.glob(".s.PGSQL.*"), data / ".handle_pids.json", data / "log"]:
            stale.unlink(missing_ok=True)
        # Unix socket only, in its own directory: the same port number cannot clash.
        opts = f"-h '' -k {data} -p {info.port}"
        start = ["-D", str(data), "-w", "-t", "60", "-o", opts, "-l", str(log), "start"]
        run_as(user, [str(pg_bin("pg_ctl")), *start], log)
        started = True
        yield str(data)
    finally:
        if started:
            run_as(user, [str(pg_bin("pg_ctl")), "-D", str(data), "-w", "-m", "fast", "stop"], log)
        shutil.rmtree(folder, ignore_errors=True)


def report(line: str) -> None:
    """A measured figure for the terminal (`pytest -s`): reported, never asserted."""
    sys.stderr.write(line + "\n")


def poll(check: Callable[[], bool], what: str, deadline: float = DEADLINE) -> float:
    """Seconds until `check()` holds, polled every 10 ms; fails after `deadline` seconds."""
    t0 = time.perf_counter()
    while not check():
        if time.perf_counter() - t0 > deadline:
            raise AssertionError(f"{what}: not seen after {deadline:.0f} s")
        time.sleep(0.01)
    return time.perf_counter() - t0


def caught_up(primary: str, replica: str) -> Callable[[], bool]:
    """Whether the standby has replayed everything the primary had written when this was called."""
    with psycopg.connect(primary, autocommit=True) as conn:
        lsn = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]

    def check() -> bool:
        with psycopg.connect(replica, autocommit=True) as conn:
            row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()
        return bool(row and row[0])

    return check


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """A primary and its streaming standby, the corpus built into the primary after the standby
    was made from it: the whole build reaches the standby by streaming replication."""
    with pg_server_in_temp_dir() as srv, standby_of(srv) as socket_dir:
        primary = new_database(srv)
        name = psycopg.conninfo.conninfo_to_dict(primary)["dbname"]
        replica = f"postgresql://postgres@/{name}?host={socket_dir}&port={srv.get_postmaster_info().port}"  # type: ignore[attr-defined]
        build_database(primary, cache_dir=tmp_path_factory.mktemp("rcache"))
        lags = {"build": poll(caught_up(primary, replica), "the built corpus on the standby", 60.0)}
        try:
            yield Pair(primary, replica, lags)
        finally:  # this process's pools on servers about to stop
            from qa_service.store.postgres.backend import close_pools

            close_pools(lambda url: socket_dir in url or str(srv.pgdata) in url)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def nodes(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A node on the primary (writes) and a node on the standby (reads), both real servers. The
    reader has the API key too: what refuses its writes is the database, not a missing key."""
    env = {
        "QA_ENCODER": "hashing",
        "QA_API_KEY": KEY,
        "QA_CACHE_DIR": str(tmp_path_factory.mktemp("rncache")),
        "QA_INDEX_DIR": str(tmp_path_factory.mktemp("runused")),
    }
    with (
        running_server({**env, "QA_DATABASE_URL": pair.primary}, tmp_path_factory.mktemp("writer")) as writer,
        running_server({**env, "QA_DATABASE_URL": pair.replica}, tmp_path_factory.mktemp("reader")) as reader,
    ):
        yield writer, reader


def test_the_standby_is_a_streaming_replica(pair: Pair) -> None:
    with psycopg.connect(pair.replica, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        assert conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone() == ("streaming",)
    with psycopg.connect(pair.primary, autocommit=True) as conn:
        states = conn.execute("SELECT state FROM pg_stat_replication").fetchall()
    assert states == [("streaming",)]
    from qa_service.store.backend import backend_for

    assert backend_for(pg_settings(pair.replica, Path(tempfile.gettempdir()))).describe()["extra"]["replica"]
    assert not backend_for(pg_settings(pair.primary, Path(tempfile.gettempdir()))).describe()["extra"]["replica"]
    report(f"\nthe built corpus reached the standby {pair.lags['build'] * 1000:.0f} ms after the build returned")


def test_a_letter_added_and_deleted_on_the_primary_node_is_seen_through_the_replica_node(
    pair: Pair, nodes: tuple[str, str]
) -> None:
    """Polled from the primary node's answer: first the row on the standby (the replication lag
    itself), then the reader node's search (that lag plus a search)."""
    writer, reader = nodes
    query = "zeehonden Waddenzee"
    with psycopg.connect(pair.replica, autocommit=True) as standby:

        def on_standby(doc_id: str) -> bool:
            row = standby.execute("SELECT count(*) FROM qa_documents WHERE id = %s", [doc_id]).fetchone()
            return bool(row and row[0])

        doc_id = add_letter(writer)["documents"][0]
        row_added = poll(lambda: on_standby(doc_id), "the added letter's row on the standby")
        added = row_added + poll(lambda: found(reader, query, doc_id), "the added letter through the replica node")
        assert httpx.get(f"{reader}/v1/documents/{doc_id}", timeout=10).status_code == 200
        versions = [httpx.get(x + "/readyz", timeout=10).json()["version"] for x in (writer, reader)]
        assert versions[0] == versions[1]
        t0 = time.perf_counter()
        assert found(reader, query, doc_id)
        one_search = time.perf_counter() - t0

        r = httpx.delete(f"{writer}/v1/documents/{doc_id}", headers=AUTH, timeout=60)
        assert r.status_code == 200, r.text
        row_deleted = poll(lambda: not on_standby(doc_id), "the deletion on the standby")
        deleted = row_deleted + poll(lambda: not found(reader, query, doc_id), "the deletion through the replica node")
        assert httpx.get(f"{reader}/v1/documents/{doc_id}", timeout=10).status_code == 404

        # Reading one's own write through a reader (docs/deploy.md): wait until the reader's
        # /readyz shows the version the write answered with; from then on the reader has it.
        added_body = add_letter(writer)
        doc_id, version = added_body["documents"][0], added_body["version"]
        poll(lambda: httpx.get(reader + "/readyz", timeout=10).json()["version"] == version, "the write's version")
        assert found(reader, query, doc_id)
        assert httpx.delete(f"{writer}/v1/documents/{doc_id}", headers=AUTH, timeout=60).status_code == 200
    with psycopg.connect(pair.primary, autocommit=True) as conn:
        replay = conn.execute("SELECT replay_lag FROM pg_stat_replication").fetchone()
    pair.lags |= {"add": added, "delete": deleted}
    # Reported, not asserted: the lag is the machine's; the test asserts only that it ends.
    ms = {k: f"{v * 1000:.0f} ms" for k, v in locals().items() if isinstance(v, float)}
    report(
        f"\nafter the primary node answered: the letter's row was on the standby in {ms['row_added']}, "
        f"found by the replica node's search in {ms['added']}; deleted: {ms['row_deleted']} / {ms['deleted']} "
        f"(one search on the replica node: {ms['one_search']}); "
        f"pg_stat_replication.replay_lag: {replay[0] if replay else None}"
    )


def test_writes_to_the_replica_node_get_409_read_only(pair: Pair, nodes: tuple[str, str]) -> None:
    writer, reader = nodes
    before = httpx.get(writer + "/readyz", timeout=10).json()
    some_id = httpx.get(reader + "/v1/documents", params={"limit": 1}, timeout=10).json()["documents"][0]["id"]
    text = letter("Stichting Alleen Lezen", "lezen zonder schrijven")
    for r in (
        httpx.post(reader + "/v1/documents", json={"text": text, "name": "lezen.txt"}, headers=AUTH, timeout=60),
        httpx.post(reader + "/v1/documents", files={"file": ("lezen.txt", text.encode())}, headers=AUTH, timeout=60),
        httpx.put(f"{reader}/v1/documents/{some_id}", json={"text": text}, headers=AUTH, timeout=60),
        httpx.delete(f"{reader}/v1/documents/{some_id}", headers=AUTH, timeout=60),
    ):
        body = assert_envelope(r, 409, "read_only")
        assert "replica" in body["error"]["message"] and "primary" in body["error"]["message"], body
    # Nothing was written, and the node still serves reads.
    assert httpx.get(writer + "/readyz", timeout=10).json()["version"] == before["version"]
    assert httpx.get(f"{reader}/v1/documents/{some_id}", timeout=10).status_code == 200
    assert httpx.get(reader + "/readyz", timeout=10).status_code == 200
    # Without a key the node answers as any node without one: 401, before the database is asked.
    assert httpx.delete(f"{reader}/v1/documents/{some_id}", timeout=10).status_code == 401


def test_the_core_refuses_writes_on_a_read_only_database(pair: Pair, tmp_path: Path) -> None:
    """Builds and changes on the standby, or through a session that is read-only by default on
    the primary, raise ReadOnlyStore (the CLI prints its message); a write statement that gets
    past the early check is mapped by the guard the same way."""
    from qa_service.encoders import make_encoder
    from qa_service.service import apply_changes, build
    from qa_service.store.postgres import schema

    read_only_role = pair.primary + "&options=-c%20default_transaction_read_only%3Don"
    enc = make_encoder("hashing")
    for url in (pair.replica, read_only_role):
        s = pg_settings(url, tmp_path)
        with pytest.raises(ReadOnlyStore, match="primary"):
            apply_changes(s, enc, add_text=("lezen.txt", letter("Stichting Lezen", "lezen"), {}))
        with pytest.raises(ReadOnlyStore):
            apply_changes(s, enc, remove={"no-such-document"})
        with pytest.raises(ReadOnlyStore):
            build(s, enc)
    with pytest.raises(ReadOnlyStore), schema.guard(), psycopg.connect(pair.replica, autocommit=True) as conn:
        conn.execute("CREATE TABLE qa_nothing (x int)")


def test_a_read_cancelled_by_replication_is_a_503_to_retry() -> None:
    """A standby cancels a query whose rows replay must remove (SQLSTATE 40001) once
    max_standby_streaming_delay has passed; it is a 503 to retry, never a 500."""
    from qa_service.store.postgres import schema

    with pytest.raises(StoreUnavailable, match="retry"), schema.guard():
        raise psycopg.errors.SerializationFailure("canceling statement due to conflict with recovery")


def test_after_a_failover_the_replica_node_takes_writes(pair: Pair, nodes: tuple[str, str]) -> None:
    """Promoted, the standby is a primary: its node accepts writes without a restart, because the
    read-only check is made on every write. Last in this module: the pair is no longer one."""
    _, reader = nodes
    with psycopg.connect(pair.replica, autocommit=True) as conn:
        assert conn.execute("SELECT pg_promote(true, 30)").fetchone() == (True,)
    r = httpx.post(
        reader + "/v1/documents",
        json={"text": letter("Stichting Na De Overstap", "een nieuwe primaire database"), "name": "overstap.txt"},
        headers=AUTH,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    assert found(reader, "nieuwe primaire database", r.json()["documents"][0])
