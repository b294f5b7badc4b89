"""The benchmark waits for every worker it started, and stops loudly when they never get ready."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import benchmark
from tests.server import free_port, running_server


def test_a_server_that_dies_stops_the_benchmark_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("Error: no index at /nowhere\n")
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(2)"])
    proc.wait()
    with pytest.raises(SystemExit, match=r"exited with 2: 0 of 2 workers ready(.|\n)*no index at /nowhere"):
        benchmark.wait_ready(f"http://127.0.0.1:{free_port()}", 2, proc, log, timeout=30)


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(SystemExit, match="not ready after 1 s: 0 of 1 workers ready"):
            benchmark.wait_ready(f"http://127.0.0.1:{free_port()}", 1, proc, log, timeout=1)
    finally:
        proc.kill()
        proc.wait()


def test_waits_for_every_worker(hashing_index: Path, tmp_path: Path) -> None:
    env = {"QA_INDEX_DIR": str(hashing_index), "QA_ENCODER": "hashing", "QA_CACHE_DIR": str(tmp_path / "c")}
    with running_server(env, tmp_path, workers=2) as base:
        assert benchmark.wait_ready(base, 2, None, None, timeout=30) >= 0
