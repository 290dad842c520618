"""The event envelope of the contract: CloudEvents 1.0, binary content mode on Kafka.

Headers ``ce_specversion ce_id ce_source ce_type ce_time ce_subject content-type``, the
extensions ``ce_orgunit`` and ``ce_level``, and W3C ``traceparent``; the value is the
JSON data; the record key is the aggregate's id so one aggregate's events stay in order.

Payloads are pydantic models, one class per event type and major version, and the class
is the single source of the event's schema: the outbox refuses data that fails it, the
consumer parses with it, and the AsyncAPI document is generated from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator

from . import ids, orgunits, tracing

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class EventType:
    """``cppcc.<service>.<aggregate>.<event>.v<major>`` on topic ``cppcc.<service>.<aggregate>``."""

    service: str
    aggregate: str
    event: str
    version: int = 1

    @property
    def name(self) -> str:
        return f"cppcc.{self.service}.{self.aggregate}.{self.event}.v{self.version}"

    @property
    def unversioned(self) -> str:
        return f"cppcc.{self.service}.{self.aggregate}.{self.event}"

    @property
    def topic(self) -> str:
        return f"cppcc.{self.service}.{self.aggregate}"

    @property
    def source(self) -> str:
        return source_of(self.service)

    def __str__(self) -> str:
        return self.name


def unversioned(type_name: str) -> str:
    """``cppcc.feedback.opinion.submitted.v1`` → ``cppcc.feedback.opinion.submitted`` (a name
    without a version is returned as it is)."""
    head, _, tail = type_name.rpartition(".")
    return head if tail.startswith("v") and tail[1:].isascii() and tail[1:].isdigit() else type_name


def source_of(service: str) -> str:
    return f"/cppcc-liaison/{service}"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


# Validation context of a consumer reading an event (``registry.parse``).
READING = "reading"


class Payload(BaseModel):
    """Base of event payloads and of the models nested in them.

    Strict for the producer, tolerant for the reader: building an event with a field the
    schema does not name is an error (a typo must not leave the service), while a consumer
    ignores fields it does not know yet — the producer may have gained an optional field
    before this consumer was deployed, or a subscriber reads a newer version of the contract.
    """

    # hide_input_in_errors: a dead-lettered event is logged with its error, never its values
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    @model_validator(mode="before")
    @classmethod
    def _names_only_known_fields_unless_read(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and not (info.context or {}).get(READING):
            known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
            unknown = sorted(str(name) for name in data if name not in known)
            if unknown:
                raise ValueError(f"fields not in the schema of {cls.__name__}: {', '.join(unknown)}")
        return data


class Event(Payload):
    """Base of every event payload. Subclasses set ``event_type`` and are registered."""

    event_type: ClassVar[EventType]

    if TYPE_CHECKING:
        # Where the event belongs: most events have an ``org_unit`` field, a few a property.
        # Declared for the type checker only, so pydantic sees nothing its fields would shadow.
        @property
        def org_unit(self) -> str: ...

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            registry.register(cls)

    @property
    def subject(self) -> str:
        """What the event is about — its CloudEvents ``subject`` and, by default, its record key,
        so one aggregate's events stay in order: the ``<aggregate>_id`` field, else ``id``.
        An event of another shape says so by overriding this."""
        own = f"{self.event_type.aggregate}_id"
        return str(getattr(self, own if own in type(self).model_fields else "id"))


class UnknownEventType(LookupError):
    pass


# An upcaster: the data of an old major version of an event → the data of the next.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventRegistry:
    """Event models by type name; upcasters carry old major versions to the newest one."""

    def __init__(self) -> None:
        self._models: dict[str, type[Event]] = {}
        self._upcasters: dict[str, tuple[str, Upcaster]] = {}

    def register(self, model: type[Event]) -> None:
        name = model.event_type.name
        existing = self._models.get(name)
        if (existing is not None and existing is not model
                and (existing.__module__, existing.__qualname__) != (model.__module__, model.__qualname__)):
            raise ValueError(f"two models for {name}: {existing} and {model}")
        self._models[name] = model

    def upcaster(self, old: str, new: str) -> Callable[[Upcaster], Upcaster]:
        """Register ``fn(data_of_old) -> data_of_new`` so a consumer of ``new`` reads ``old``."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[old] = (new, fn)
            return fn

        return decorate

    def model_for(self, type_name: str) -> type[Event]:
        try:
            return self._models[type_name]
        except KeyError:
            raise UnknownEventType(type_name) from None

    def parse(self, type_name: str, data: dict[str, Any]) -> Event:
        """Validate ``data`` of ``type_name`` as a reader: upcasting old versions first, ignoring
        fields this version does not know (added by a newer producer)."""
        seen: set[str] = set()
        while type_name not in self._models and type_name in self._upcasters:
            if type_name in seen:
                break
            seen.add(type_name)
            type_name, upcast = self._upcasters[type_name]
            data = upcast(data)
        return self.model_for(type_name).model_validate(data, context={READING: True})

    def known(self) -> Iterable[type[Event]]:
        return self._models.values()

    def of_service(self, service: str) -> list[type[Event]]:
        return [m for m in self._models.values() if m.event_type.service == service]


registry = EventRegistry()


class InvalidEnvelope(ValueError):
    """A record that is not a CloudEvent of this platform: it can never be handled."""


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    subject: str
    orgunit: str
    level: str
    time: datetime
    data: dict[str, Any]
    traceparent: str
    key: str = field(default="")

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        subject: str | None = None,
        org_unit: str | None = None,
        key: str | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        """Wrap a payload, re-validating it so no malformed data reaches the broker. Subject and
        org unit are the event's own (``event.subject``, ``event.org_unit``); a test may name
        others for an event that has none."""
        subject = event.subject if subject is None else subject
        org_unit = event.org_unit if org_unit is None else org_unit
        data = event.model_dump(mode="json")
        try:
            type(event).model_validate(data)
        except ValidationError as error:
            raise ValueError(f"refusing to publish invalid {event.event_type}: {error}") from error
        level = orgunits.level_of(org_unit)
        return cls(
            id=str(ids.time_ordered()),  # time-ordered: every inbox and outbox index grows at its edge
            source=event.event_type.source,
            type=event.event_type.name,
            subject=str(subject),
            orgunit=org_unit,
            level=level.value,
            time=datetime.now(UTC),
            data=data,
            traceparent=tracing.of_event(traceparent),
            key=str(key if key is not None else subject),
        )

    @property
    def topic(self) -> str:
        # type is cppcc.<service>.<aggregate>.<event>.v<n>
        return ".".join(self.type.split(".")[:3])

    def headers(self) -> list[tuple[str, bytes]]:
        pairs = {
            "ce_specversion": SPECVERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.isoformat().replace("+00:00", "Z"),
            "ce_subject": self.subject,
            "ce_orgunit": self.orgunit,
            "ce_level": self.level,
            "content-type": CONTENT_TYPE,
            "traceparent": self.traceparent,
        }
        return [(k, v.encode()) for k, v in pairs.items()]

    def value(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_kafka(
        cls, headers: Iterable[tuple[str, bytes]], value: bytes | None, key: bytes | None
    ) -> Envelope:
        found = {k: v.decode("utf-8", "replace") for k, v in headers or ()}
        missing = [h for h in ("ce_id", "ce_source", "ce_type", "ce_specversion") if h not in found]
        if missing:
            raise InvalidEnvelope(f"missing CloudEvents headers: {', '.join(missing)}")
        if found["ce_specversion"] != SPECVERSION:
            raise InvalidEnvelope(f"unsupported specversion {found['ce_specversion']}")
        try:
            data = json.loads(value or b"null")
        except ValueError as error:
            raise InvalidEnvelope(f"data is not JSON: {error}") from error
        if not isinstance(data, dict):
            raise InvalidEnvelope("data is not a JSON object")
        try:
            time = datetime.fromisoformat(found.get("ce_time", "").replace("Z", "+00:00"))
        except ValueError:
            raise InvalidEnvelope(f"bad ce_time {found.get('ce_time')!r}") from None
        return cls(
            id=found["ce_id"],
            source=found["ce_source"],
            type=found["ce_type"],
            subject=found.get("ce_subject", ""),
            orgunit=found.get("ce_orgunit", ""),
            level=found.get("ce_level", ""),
            time=time,
            data=data,
            traceparent=found.get("traceparent", ""),
            key=(key or b"").decode("utf-8", "replace"),
        )

    def parse(self) -> Event:
        return registry.parse(self.type, self.data)
