"""Generate a Python client from a running service's /openapi.json and use it as an integrator would.

With the client that `openapi-python-client` generates (nothing written by hand), upload a letter
as a file with its metadata, find it with a search, read it back, and delete it. Needs the
service's write key; use a copy of an index.

    python scripts/generated_client.py --base-url http://127.0.0.1:8000 --key "$QA_API_KEY"

Prints one JSON line with what each step returned; exits 0 when every step did what it should.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

LETTER = (
    "Stichting Zeehondenzorg\n\nPieterburen, 3 december 2025\n\nBetreft: Bescherming van zeehonden\n\n"
    "Geachte heer Van Haersma Buma,\n\nWij vragen het nieuwe kabinet om extra bescherming van zeehonden in de "
    "Waddenzee. De populatie gewone zeehonden neemt af door verstoring en vervuiling.\n\n"
    "Met vriendelijke groet,\n\nLenie Visser\nDirecteur Stichting Zeehondenzorg\n"
)
QUERY = "bescherming van zeehonden in de Waddenzee"


def generate(base_url: str, out: Path) -> Path:
    """Write the spec and generate the package `qa_client` under `out`; returns `out`."""
    spec = out / "openapi.json"
    spec.write_text(httpx.get(f"{base_url}/openapi.json", timeout=30).text)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff post-hooks
    subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none"]
        + ["--output-path", str(out / "qa_client"), "--overwrite"],
        check=True,
        capture_output=True,
        env=env,
    )
    # openapi-python-client 0.29 types an operation with two body types (multipart or JSON) as
    # `... | Unset` without importing `Unset` (its template loses `body_required` in a loop).
    for module in (out / "qa_client" / "api").rglob("*.py"):
        code = module.read_text()
        if "| Unset = UNSET" in code and not re.search(r"import .*\bUnset\b", code):
            module.write_text(code.replace("\nimport httpx\n", "\nimport httpx\n\nfrom ...types import Unset\n", 1))
    return out


def exercise(base_url: str, key: str, package_dir: Path) -> dict[str, Any]:
    """Upload, search, read and delete through the generated client."""
    sys.path.insert(0, str(package_dir))
    client_mod = importlib.import_module("qa_client")
    types = importlib.import_module("qa_client.types")
    models = importlib.import_module("qa_client.models")
    add = importlib.import_module("qa_client.api.write.add_document")
    delete = importlib.import_module("qa_client.api.write.delete_document")
    search = importlib.import_module("qa_client.api.search.search")
    get_document = importlib.import_module("qa_client.api.documents.get_document")

    client = client_mod.AuthenticatedClient(
        base_url=base_url, token=key, auth_header_name="X-API-Key", prefix="", raise_on_unexpected_status=True
    )
    steps: dict[str, Any] = {}
    with client as c:
        upload = models.DocumentUpload(
            file=types.File(payload=io.BytesIO(LETTER.encode()), file_name="zeehonden.txt", mime_type="text/plain"),
            sender="Stichting Zeehondenzorg",
            date="2025-12-03",
        )
        added = add.sync_detailed(client=c, body=upload)
        steps["add"] = {"status": added.status_code.value, "body": json.loads(added.content)}
        if not isinstance(added.parsed, models.WriteResult) or not added.parsed.documents:
            return {**steps, "ok": False}
        doc_id = added.parsed.documents[0]

        request = models.SearchRequest(query=QUERY, top_k=3)
        found = search.sync(client=c, body=request)
        top = found.results[0] if isinstance(found, models.SearchResponse) and found.results else None
        steps["search"] = {"top": None if top is None else top.document.id, "results": len(found.results or [])}

        doc = get_document.sync(client=c, doc_id=doc_id)
        steps["document"] = {
            "sender": getattr(doc, "sender", None),
            "date": getattr(doc, "date", None),
            "kind": getattr(doc, "kind", None),
        }
        gone = delete.sync(client=c, doc_id=doc_id)
        steps["delete"] = getattr(gone, "status", None) and gone.status.value
    steps["ok"] = (
        steps["add"]["status"] in (200, 201)
        and steps["search"]["top"] == doc_id
        and steps["document"] == {"sender": "Stichting Zeehondenzorg", "date": "2025-12-03", "kind": "letter"}
        and steps["delete"] == "deleted"
    )
    return steps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--key", required=True, help="the service's QA_API_KEY")
    ap.add_argument("--out", type=Path, default=None, help="where the client is generated (default: a temp dir)")
    args = ap.parse_args(argv)
    base = args.base_url.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="qa-client-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        steps = exercise(base, args.key, generate(base, out))
    print(json.dumps(steps, default=str))
    return 0 if steps["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
