"""docs/api.md lists every event a subscriber may receive, with its data fields.

A clone has no other description of the events than this page and the AsyncAPI document, so
the page's tables must be exactly the registry: no event missing, none invented, every field
named in the order the publisher's schema gives it.
"""

import re
from pathlib import Path

import liaison_shared.contracts.consultation
import liaison_shared.contracts.feedback
import liaison_shared.contracts.members
import liaison_shared.contracts.notify  # noqa: F401  (registering every event)
from liaison_shared.events import registry
from liaison_shared.settings import SERVICES

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| `(cppcc\.[a-z_.]+\.v\d+)` \| `([a-z_.]+)` \| .* \| (.*) \|$")


def documented() -> dict[str, tuple[str, list[str]]]:
    events = DOC.read_text(encoding="utf-8").split("## Events", 1)[1]
    rows = {}
    for line in events.splitlines():
        match = ROW.match(line)
        if match:
            rows[match[1]] = (match[2], re.findall(r"`([a-z_]+)`", match[3]))
    return rows


def test_every_event_is_documented_with_its_topic_and_fields():
    published = {m.event_type.name: (m.event_type.topic, list(m.model_fields))
                 for service in SERVICES for m in registry.of_service(service)}  # not the tests' own samples
    rows = documented()
    assert sorted(set(published) - set(rows)) == [], "events missing from docs/api.md"
    assert sorted(set(rows) - set(published)) == [], "docs/api.md lists events nobody publishes"
    wrong = {name: (rows[name], shape) for name, shape in published.items() if rows[name] != shape}
    assert wrong == {}, "topic or data fields in docs/api.md differ from the schema"
