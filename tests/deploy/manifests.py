"""The Kubernetes manifests as kustomize builds them, and the custom resources' schemas."""

from __future__ import annotations

import copy
import functools
import json
import subprocess
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
OVERLAYS = ["dev", "prod"]


@functools.cache
def build(overlay: str) -> tuple[dict, ...]:
    done = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def of_kind(objects, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def settings_of(objects) -> dict[str, str]:
    """The services' settings: the ConfigMap generated from settings.env (its name has a hash)."""
    maps = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("liaison-settings")]
    assert len(maps) == 1, [o["metadata"]["name"] for o in maps]
    return maps[0]["data"]


def schema_path(api_version: str, kind: str) -> Path:
    group, _, version = api_version.rpartition("/")
    return SCHEMAS / group / f"{kind.lower()}_{version}.json"


@functools.cache
def validator(api_version: str, kind: str) -> jsonschema.Draft4Validator:
    """The CRD's schema, closed: where it lists an object's fields, no other field is allowed.

    The API server would drop an unknown field without a word (it prunes what the structural
    schema does not name) — a misspelt or removed field is the mistake this is here to catch.
    """
    schema = json.loads(schema_path(api_version, kind).read_text())
    return jsonschema.Draft4Validator(closed(schema))


def closed(schema: dict) -> dict:
    schema = copy.deepcopy(schema)

    def close(node: dict) -> None:
        # Only the structural tree: fields inside allOf/anyOf/oneOf/not repeat the outer
        # properties as constraints, and closing them would forbid their siblings.
        if "properties" in node and "additionalProperties" not in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        for child in node.get("properties", {}).values():
            close(child)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                close(node[key])

    close(schema)
    return schema


def custom_resource_errors(obj: dict) -> list[str]:
    found = validator(obj["apiVersion"], obj["kind"]).iter_errors(obj)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in found]
