"""The kernel passes mypy's strict rules (mypy.ini), the services and the tooling its default
ones, so a wrong type is found before it runs: a value that may be None used as if it were
there, a handler given the wrong event, a signature changed under its callers."""

import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "mypy.ini"
KERNEL = "liaison_shared"
SERVICES = ("members", "consultation", "feedback", "notify")
TOOLING = "liaison_tools"
# Flags of --strict that mypy reads from the [mypy] section only.
GLOBAL_ONLY = {"warn_redundant_casts", "warn_unused_configs"}


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG), *args],
        cwd=ROOT, capture_output=True, text=True,
    )


def test_mypy_finds_nothing_in_the_kernel():
    done = mypy("-p", KERNEL)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_the_services_by_its_default_rules():
    done = mypy(*(arg for service in SERVICES for arg in ("-p", service)))
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_the_tooling_by_its_default_rules():
    done = mypy("-p", TOOLING)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_is_excused_from_its_checks():
    config = configparser.ConfigParser()
    config.read(CONFIG)
    excused = [name for name in config.sections() if config[name].getboolean("ignore_errors", fallback=False)]
    assert not excused, f"mypy.ini lets these go unchecked: {', '.join(excused)}"


def test_the_kernel_is_checked_with_every_flag_of_strict():
    # --strict is a command-line flag only: the config names each flag it turns on, per module.
    # mypy's help lists them, so a flag a newer mypy adds to --strict is missed here, not silently.
    help_text = re.sub(r"-\n\s+", "-", mypy("--help").stdout)
    listed = re.search(r"--strict\s+Strict mode; enables the following flags:(.*?)\n  --", help_text, re.S)
    assert listed, "mypy's help no longer lists what --strict enables"
    flags = {flag.replace("-", "_") for flag in re.findall(r"--([a-z-]+)", listed[1])}
    assert flags, "no flags found in mypy's help for --strict"
    config = configparser.ConfigParser()
    config.read(CONFIG)
    kernel = config[f"mypy-{KERNEL}.*"]
    missing = []
    for flag in sorted(flags):
        section = config["mypy"] if flag in GLOBAL_ONLY else kernel
        name, on = (flag.removeprefix("no_"), "False") if flag.startswith("no_") else (flag, "True")
        if section.get(name) != on:
            missing.append(f"{name} = {on}")
    assert not missing, f"mypy.ini does not set, for the kernel: {', '.join(missing)}"
