"""Who hears of an event, on which channel, in which words — from rules kept as data."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Any

DEFAULT_LOCALE = "zh-CN"


@dataclass(frozen=True)
class Rule:
    recipient: str        # member | org_staff | department | supervisor_staff | leader | submitter
    field: str            # the event field holding the recipient id(s)
    channels: tuple[str, ...]
    template: str
    only_if: dict | None = None  # {"source.kind": ["opinion"]}: a dotted path and the values it may have

    def applies(self, data: dict) -> bool:
        for path, allowed in (self.only_if or {}).items():
            value: Any = data
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value not in allowed:
                return False
        return True


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
        if not rule.applies(data):
            continue
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


def values_of(text: str, fields: dict) -> dict[str, str]:
    """The ``{field}`` values of ``text`` as ``render`` writes them: what a provider that sends only
    approved templates (Alibaba Cloud SMS) is given instead of the text."""
    values = _Fields({k: _plain(v) for k, v in fields.items()})
    return {name: values[name] for _, name, _, _ in Formatter().parse(text) if name}


def _plain(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("kind") or value)
    return str(value)


URGENT_TYPES = {"cppcc.feedback.opinion.overdue"}


def is_urgent(event_type: str, data: dict) -> bool:
    """急事: what may wake a recipient in quiet hours and never waits for a digest."""
    return event_type in URGENT_TYPES or data.get("urgency") == "urgent"


def quiet_until(now_local, quiet_from, quiet_to):
    """When quiet hours (local times, possibly across midnight) end, or None outside them."""
    if quiet_from is None or quiet_to is None or quiet_from == quiet_to:
        return None
    from datetime import datetime, timedelta

    t = now_local.timetz().replace(tzinfo=None)
    inside = quiet_from <= t < quiet_to if quiet_from < quiet_to else (t >= quiet_from or t < quiet_to)
    if not inside:
        return None
    end = datetime.combine(now_local.date(), quiet_to, tzinfo=now_local.tzinfo)
    return end if end > now_local else end + timedelta(days=1)
