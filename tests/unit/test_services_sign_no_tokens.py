"""Service code never signs a token: services obtain theirs from the issuer (liaison_shared.servicetoken)."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SERVICES = Path(__file__).resolve().parents[2] / "services"
SIGNING = re.compile(r"issue_dev_token|jwt\.encode|\bimport jwt\b|from jwt\b|auth_dev_secret")


def test_no_service_module_signs_a_token():
    found = [f"{path.relative_to(SERVICES)}:{number}"
             for path in SERVICES.glob("*/src/**/*.py")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if SIGNING.search(line)]
    assert found == []
