"""docs/security.md's role × action matrix is the code's: every API route of every service is
in it, with the gate its dependencies actually set."""

import re
from pathlib import Path

from liaison_shared import registry
from liaison_tools.gates import route_gates

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
# API routes are listed with their /api/v1 prefix; pages for people (feedback's /t/{code}) without.
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `(?:/api/v1)?(/[^`]+)` \| ([^|]+) \| ([^|]+) \|$")


def documented() -> dict[str, set[tuple[str, str, str]]]:
    out: dict[str, set] = {}
    service = None
    for line in DOC.read_text().splitlines():
        if line.startswith("### "):
            service = line[4:].strip()
        match = ROW.match(line)
        if match and service:
            method, path, gate, who = match.groups()
            assert who.strip(), f"{method} {path}: say who may, within the gate"
            out.setdefault(service, set()).add((method, path, gate.strip()))
    return out


def test_every_route_is_in_the_matrix_with_its_gate():
    doc = documented()
    specs = registry.specs()
    assert set(doc) == set(specs)
    for name, spec in specs.items():
        code = set(route_gates(spec))
        assert code - doc[name] == set(), f"{name}: routes missing or gated differently in docs/security.md"
        assert doc[name] - code == set(), f"{name}: docs/security.md lists routes the code does not have"


def test_the_gates_mean_what_they_say():
    gates = {gate for spec in registry.specs().values() for _, _, gate in route_gates(spec)}
    assert {"public", "signed in", "notify service"} <= gates
    roles = {"admin", "staff", "leader", "member", "department"}
    assert all(g in ("public", "signed in", "notify service") or set(g.split(", ")) <= roles for g in gates)
