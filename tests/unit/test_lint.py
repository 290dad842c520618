"""The code passes the project's lint rules (pyproject [tool.ruff]), so review reads behaviour;
the commit hook of .pre-commit-config.yaml checks the same, with nothing to fetch."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
LINTED = ("shared", "tools", "services", "tests", "examples", "bench")


def test_ruff_finds_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *LINTED],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_commit_hook_lints_what_the_suite_lints_without_fetching_anything():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert all(repo["repo"] in ("local", "meta") for repo in config["repos"]), \
        "a hook from a remote repository is fetched at install: run the venv's tools instead"
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    ruff = hooks["ruff"]
    assert ruff["entry"].split()[:2] == [".venv/bin/ruff", "check"]
    assert all(re.search(ruff["files"], f"{directory}/x.py") for directory in LINTED)
