"""requirements/<set>.txt are what uv.lock says and cover what the set's packages declare: a
dependency added to a pyproject.toml without `make lock` fails here, not on a fresh clone."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETS = sorted(PYPROJECT["dependency-groups"])
LOCKED = {package["name"]: package for package in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
# The workspace's own packages by name: their pyproject.toml, read here.
MEMBERS = {}
for directory in PYPROJECT["tool"]["uv"]["workspace"]["members"]:
    project = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())["project"]
    MEMBERS[canonicalize_name(project["name"])] = project
ENTRY = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)(?:\s*;\s*([^\\]+?))?\s*((?:--hash=sha256:[0-9a-f]{64}\s*)+)$")


def pinned(group: str) -> dict[str, tuple[str, set[str]]]:
    """``name: (version, hashes)`` of requirements/<group>.txt; every entry must carry hashes."""
    text = (ROOT / "requirements" / f"{group}.txt").read_text().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        match = ENTRY.match(line)
        assert match, f"requirements/{group}.txt: not a pinned, hashed requirement: {line[:80]}"
        name, version, _marker, hashes = match.groups()
        out[canonicalize_name(name)] = (version, set(re.findall(r"sha256:([0-9a-f]{64})", hashes)))
    return out


def declared(group: str) -> list[Requirement]:
    """The third-party requirements a set brings in directly: its own and those of the
    workspace packages it names (with their extras), followed through the workspace."""
    found, seen = [], set()

    def follow(items) -> None:
        for item in items:
            if isinstance(item, dict):
                follow(PYPROJECT["dependency-groups"][item["include-group"]])
                continue
            requirement = Requirement(item)
            name = canonicalize_name(requirement.name)
            if name not in MEMBERS:
                found.append(requirement)
                continue
            project = MEMBERS[name]
            for part in [None, *sorted(requirement.extras)]:
                if (name, part) in seen:
                    continue
                seen.add((name, part))
                follow(project.get("dependencies", []) if part is None
                       else project["optional-dependencies"][part])

    follow(PYPROJECT["dependency-groups"][group])
    return found


def lock_hashes(package: dict) -> set[str]:
    files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
    return {file["hash"].removeprefix("sha256:") for file in files}


@pytest.mark.parametrize("group", SETS)
def test_each_set_pins_the_lock_s_version_and_hashes(group):
    for name, (version, hashes) in pinned(group).items():
        assert name in LOCKED, f"requirements/{group}.txt pins {name}, which uv.lock does not hold: make lock"
        assert LOCKED[name]["version"] == version, \
            f"requirements/{group}.txt: {name}=={version}, uv.lock {LOCKED[name]['version']}: make lock"
        assert hashes and hashes <= lock_hashes(LOCKED[name]), f"requirements/{group}.txt: {name}'s hashes"


@pytest.mark.parametrize("group", SETS)
def test_each_set_pins_every_dependency_its_packages_declare(group):
    versions = {name: version for name, (version, _) in pinned(group).items()}
    assert not set(versions) & set(MEMBERS), "the workspace's packages are installed from the tree"
    for requirement in declared(group):
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{requirement} is declared but not in requirements/{group}.txt: make lock"
        assert requirement.specifier.contains(versions[name], prereleases=True), \
            f"requirements/{group}.txt pins {name}=={versions[name]}, outside {requirement}: make lock"

