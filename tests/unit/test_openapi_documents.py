"""Each service's OpenAPI document is fit for a client generator: a bearer scheme and each
operation's security, readable unique operation ids, every field described, ids typed as UUIDs —
and openapi-python-client makes a client of it that compiles and imports (no stack needed: the
apps are built, never started)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from liaison_shared import registry
from liaison_shared.service import create_app
from liaison_shared.settings import Settings

from .test_every_route_needs_a_token import OPERATIONS, concrete, is_public

pytestmark = pytest.mark.unit

SERVICES = sorted(registry.specs())
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
# The one thing the generator needs told: the CSV import's body is a file (docs/api.md).
GENERATOR_CONFIG = "content_type_overrides:\n  text/csv: application/octet-stream\n"


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    return {name: create_app(spec, Settings()).openapi() for name, spec in registry.specs().items()}


def operations(document: dict):
    for path, by_method in document["paths"].items():
        for method, operation in by_method.items():
            yield method.upper(), path, operation


def test_the_four_services_are_checked(documents):
    assert set(documents) >= {"members", "consultation", "feedback", "notify"}


def test_a_token_is_asked_for_exactly_where_a_route_needs_one(documents):
    for name, document in documents.items():
        assert document["components"]["securitySchemes"]["bearer"] == {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A JWT from the OIDC issuer (make token in development); its claims are in docs/api.md.",
        }
        for method, path, operation in operations(document):
            public = path in OPERATIONS or is_public(method, concrete(path))
            assert operation["security"] == ([] if public else [{"bearer": []}]), (name, method, path)


def test_the_intake_is_public_and_a_case_needs_a_token(documents):
    paths = documents["feedback"]["paths"]
    assert paths["/api/v1/opinions"]["post"]["security"] == []
    assert paths["/api/v1/opinions/{opinion_id}"]["get"]["security"] == [{"bearer": []}]


def test_operation_ids_are_the_route_functions_and_unique(documents):
    for name, document in documents.items():
        ids = [operation["operationId"] for _, _, operation in operations(document)]
        assert len(ids) == len(set(ids)), (name, sorted(i for i in ids if ids.count(i) > 1))
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), (name, ids)
    by_path = documents["feedback"]["paths"]
    assert by_path["/api/v1/opinions"]["post"]["operationId"] == "submit_opinion"
    assert by_path["/api/v1/opinions/{opinion_id}/actions"]["post"]["operationId"] == "act_on_opinion"


def test_every_field_of_every_schema_is_described(documents):
    undescribed = [
        f"{name}: {schema_name}.{field}"
        for name, document in documents.items()
        for schema_name, schema in document["components"]["schemas"].items()
        for field, field_schema in schema.get("properties", {}).items()
        if not field_schema.get("description", "").strip()
    ]
    assert undescribed == []


def test_ids_are_typed_as_uuids(documents):
    for name, document in documents.items():
        for method, path, operation in operations(document):
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"].endswith("_id"):
                    assert parameter["schema"].get("format") == "uuid", (name, method, path, parameter["name"])
    case = documents["feedback"]["components"]["schemas"]["OpinionOut"]["properties"]
    assert case["id"]["format"] == "uuid"
    assert case["merged_into"]["anyOf"][0]["format"] == "uuid"
    topic = documents["consultation"]["components"]["schemas"]["TopicOut"]["properties"]
    assert topic["department_ids"]["items"]["format"] == "uuid"


@pytest.mark.parametrize("service", SERVICES)
def test_a_python_client_generates_compiles_and_imports(documents, service, tmp_path):
    document, config = tmp_path / "openapi.json", tmp_path / "config.yaml"
    document.write_text(json.dumps(documents[service], ensure_ascii=False))
    config.write_text(GENERATOR_CONFIG)
    package = f"{service}_client"
    generated = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(document), "--output-path", str(tmp_path / package),
         "--meta", "none", "--config", str(config)],
        # its post-hooks run the venv's ruff, which `make test` does not put on PATH
        cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    said = generated.stdout + generated.stderr
    assert generated.returncode == 0, said
    assert "warning" not in said.lower(), said
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", package],
                              cwd=tmp_path, capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    imported = subprocess.run(
        [sys.executable, "-c", f"import {package}, {package}.api, {package}.models; "
                               f"from {package} import AuthenticatedClient"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
