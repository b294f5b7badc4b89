"""A real `qa-service serve` process on loopback for tests, configured through QA_* variables."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, workers: int = 1, timeout: float = 60.0) -> None:
    """Wait until `workers` distinct worker processes have answered /readyz with 200.

    Each worker loads the index on its own, so one ready answer says nothing about the others;
    a fresh connection per poll lets the kernel hand it to any worker.
    """
    deadline = time.time() + timeout
    ready: set[int] = set()
    while time.time() < deadline:
        try:
            r = httpx.get(base + "/readyz", timeout=5)
            if r.status_code == 200:
                ready.add(r.json()["worker"])
                if len(ready) >= workers:
                    return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server at {base}: {len(ready)} of {workers} workers ready after {timeout} s")


@contextlib.contextmanager
def running_server(env: dict[str, str], log_dir: Path, workers: int = 1) -> Iterator[str]:
    """Start the server with `env` (plus PATH), wait until it is ready, yield its base URL."""
    port = free_port()
    full_env = {"PATH": "/usr/bin:/bin", "QA_LOG_LEVEL": "WARNING", **env}
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa_service", "serve", "--port", str(port), "--workers", str(workers)],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, workers)
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
