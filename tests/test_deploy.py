"""The deployment files: compose.yaml wires one database, one build job and two API nodes, and
the Dockerfile and compose set only settings that exist. No compose engine runs here; the image
itself is built, run and probed by /work/shared/tools/check-image (see the README)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from qa_service.config import PACKAGE_ROOT, Settings

COMPOSE = PACKAGE_ROOT / "compose.yaml"
DOCKERFILE = PACKAGE_ROOT / "Dockerfile"
API_NODES = ("api-1", "api-2")


SECRETS = {"QA_DB_PASSWORD": "db-secret", "QA_API_KEY": "write-key"}
_VARIABLE = re.compile(r"\$\{([A-Z_]+)(?::([?-])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` (the error when NAME is unset or empty)."""

    def value(m: re.Match[str]) -> str:
        name, op, arg = m.groups()
        if env.get(name):
            return env[name]
        if op == "?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == "-" else ""

    return _VARIABLE.sub(value, text)


def compose(env: dict[str, str] = SECRETS) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE.read_text(encoding="utf-8"), env))
    return data


def needs(service: dict[str, Any]) -> dict[str, str]:
    return {name: dep["condition"] for name, dep in service.get("depends_on", {}).items()}


def test_one_database_one_build_job_two_api_nodes() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "index-build", *API_NODES}
    db = services["db"]
    assert db["image"].startswith("pgvector/pgvector:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])  # the data outlives the container
    job = services["index-build"]
    assert job["command"] == ["qa-service", "index", "build"] and job["restart"] == "no"
    assert needs(job) == {"db": "service_healthy"}
    for name in API_NODES:
        node = services[name]
        # The nodes start only after the build succeeded, and run the image the job built.
        assert needs(node) == {"db": "service_healthy", "index-build": "service_completed_successfully"}
        assert node["image"] == job["image"] and node["build"] == job["build"] == "."
        assert "command" not in node  # the image's own command: the API server
    ports = [services[n]["ports"][0].split(":")[0] for n in API_NODES]
    assert len(set(ports)) == len(ports)


def test_every_node_reads_and_writes_the_same_database() -> None:
    services = compose()["services"]
    envs = [services[n]["environment"] for n in ("index-build", *API_NODES)]
    urls = {e["QA_DATABASE_URL"] for e in envs}
    assert len(urls) == 1
    url = urlsplit(urls.pop())
    assert url.scheme == "postgresql" and url.hostname == "db" and url.path == "/qa"
    db_env = services["db"]["environment"]
    assert url.username == db_env["POSTGRES_USER"] and url.path.lstrip("/") == db_env["POSTGRES_DB"]
    # The same encoder everywhere: a node started with another one refuses the database.
    assert len({e["QA_ENCODER"] for e in envs}) == 1
    # Writes need a key on the API nodes; nodes on one database take writes through any of them.
    assert all(services[n]["environment"]["QA_API_KEY"] for n in API_NODES)


def test_no_secret_is_written_in_the_file() -> None:
    """The database password and the write key come from the environment, and are required."""
    services = compose()["services"]
    assert urlsplit(services["api-1"]["environment"]["QA_DATABASE_URL"]).password == SECRETS["QA_DB_PASSWORD"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == SECRETS["QA_DB_PASSWORD"]
    assert services["api-1"]["environment"]["QA_API_KEY"] == SECRETS["QA_API_KEY"]
    for name in SECRETS:
        with pytest.raises(KeyError, match=name):
            compose({k: v for k, v in SECRETS.items() if k != name})


def test_the_files_set_only_settings_that_exist() -> None:
    fields = {f"QA_{name.upper()}" for name in Settings.model_fields}
    docker_env = set(re.findall(r"\b(QA_[A-Z_]+)=", DOCKERFILE.read_text(encoding="utf-8")))
    compose_env = {k for s in compose()["services"].values() for k in s.get("environment", {}) if k.startswith("QA_")}
    assert docker_env and compose_env
    assert docker_env | compose_env <= fields, (docker_env | compose_env) - fields


def test_the_service_user_owns_only_the_index_and_cache_folders() -> None:
    """Code and data stay root's: the only folders handed to the service user are the two it writes."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    env = dict(re.findall(r"\b(QA_[A-Z_]+)=(\S+)", text))
    assert "chown" not in text and "pip install -e" not in text and "--editable" not in text
    owned = re.findall(r"install -d -o qa -g qa(?: -m \d+)? ([^\n]+)", text)
    assert len(owned) == 1
    assert set(owned[0].split()) == {env["QA_INDEX_DIR"], env["QA_CACHE_DIR"]}
    assert re.search(r"^USER qa$", text, re.M)
