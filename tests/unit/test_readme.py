from pathlib import Path

import pytest
from liaison_shared.settings import Settings

pytestmark = pytest.mark.unit

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_the_readme_opens_with_the_two_commands():
    head = README[:400]
    assert "make run" in head and "make test" in head


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name):
    assert f"| `{name.upper()}` |" in README
