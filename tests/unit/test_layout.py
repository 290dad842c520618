"""The shape every service keeps (README, Layout): SQL only in storage/, no SQL driver or HTTP
client in handlers/ or api/, HTTP shapes in schemas/. A module that breaks it fails here, so the
boundary holds after the change that would have moved it."""

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SERVICES = Path(__file__).parents[2] / "services"
PACKAGES = [p for p in sorted(SERVICES.glob("*/src/*")) if (p / "app.py").exists() and (p / "storage").is_dir()]
DRIVERS = {"asyncpg", "httpx", "aiohttp", "requests", "psycopg"}
# the statements as this code base writes them: keywords in capitals
SQL = re.compile(r"^\s*(SELECT\s.*\bFROM\b|SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS)", re.S)
QUERIES = {"fetch", "fetchrow", "fetchval", "execute", "executemany"}


def modules(package: Path, layer: str) -> list[Path]:
    return sorted((package / layer).rglob("*.py"))


def imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_every_service_has_the_layers():
    assert {p.name for p in PACKAGES} >= {"members", "consultation", "feedback", "notify"}
    for package in PACKAGES:
        for layer in ("domain", "schemas", "handlers", "storage", "api"):
            assert (package / layer).is_dir(), f"{package.name} has no {layer}/"


@pytest.mark.parametrize("layer", ["handlers", "api"])
def test_handlers_and_routes_hold_no_sql_and_no_driver(layer):
    found = []
    for package in PACKAGES:
        for module in modules(package, layer):
            tree = ast.parse(module.read_text())
            if drivers := imported(tree) & DRIVERS:
                found.append(f"{module.relative_to(SERVICES)} imports {sorted(drivers)}")
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                    found.append(f"{module.relative_to(SERVICES)}:{node.lineno} holds SQL")
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERIES
                        and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
                    found.append(f"{module.relative_to(SERVICES)}:{node.lineno} runs a query")
    assert found == [], "move it to storage/:\n" + "\n".join(found)


def test_the_check_finds_what_it_looks_for():
    tree = ast.parse('import asyncpg\nasync def f(conn):\n    await conn.fetch("SELECT 1")\n')
    assert imported(tree) & DRIVERS == {"asyncpg"}
    assert any(isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.match(n.value) for n in ast.walk(tree))
