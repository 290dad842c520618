"""Write the openAPIV3Schema of each version of a CustomResourceDefinition as a JSON file.

    git -C strimzi-kafka-operator show 1.2.0:packaging/install/cluster-operator/040-Crd-kafka.yaml \
        | python tests/deploy/schemas/extract.py - kafka.strimzi.io

writes ``<group>/<kind>_<version>.json`` (lower case) under this directory, for the versions the
CRD serves. The files are the upstream schemas unchanged; README.md says where each came from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def extract(text: str) -> list[Path]:
    written = []
    for crd in yaml.safe_load_all(text):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", True):
                continue
            out = HERE / group / f"{kind.lower()}_{version['name']}.json"
            out.parent.mkdir(exist_ok=True)
            schema = version["schema"]["openAPIV3Schema"]
            out.write_text(json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
            written.append(out)
    return written


if __name__ == "__main__":
    source = sys.stdin.read() if sys.argv[1] == "-" else Path(sys.argv[1]).read_text()
    for path in extract(source):
        print(path.relative_to(HERE))
