"""Who hears of an event, on which channel, in which words — from rules kept as data."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

DEFAULT_LOCALE = "zh-CN"


@dataclass(frozen=True)
class Rule:
    recipient: str        # member | org_staff | department | supervisor_staff
    field: str            # the event field holding the recipient id(s)
    channels: tuple[str, ...]
    template: str


@dataclass(frozen=True)
class Delivery:
    recipient_kind: str
    recipient_id: str
    channel: str
    template: str


def recipients(rules: list[Rule], data: dict) -> list[Delivery]:
    """Every (recipient, channel) the rules name for this event's data, each once."""
    found: dict[tuple[str, str, str], Delivery] = {}
    for rule in rules:
        if rule.recipient == "submitter" and not data.get("contact_consented"):
            continue  # no consent, no phone: the citizen follows the case by tracking code
        value = data.get(rule.field)
        ids = value if isinstance(value, list) else [value]
        for recipient_id in ids:
            if not recipient_id:
                continue
            kind = "org_staff" if rule.recipient == "supervisor_staff" else rule.recipient
            for channel in rule.channels:
                found.setdefault((kind, str(recipient_id), channel),
                                 Delivery(kind, str(recipient_id), channel, rule.template))
    return list(found.values())


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def render(text: str, fields: dict) -> str:
    """``{field}`` from the event and its context; an unknown field renders as a dash."""
    values = _Fields({k: _plain(v) for k, v in fields.items()})
    return Formatter().vformat(text, (), values)


def _plain(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("kind") or value)
    return str(value)
