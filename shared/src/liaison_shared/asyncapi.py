"""The AsyncAPI 3 document of a service: FastStream's, named by CloudEvents type.

FastStream generates channels, operations and payload schemas from the declared
publishers and subscribers. This module names every message by its CloudEvents type,
documents the binary-mode headers, and lists on each consumed channel the event
types the service handles (FastStream only sees raw batches there).
"""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from .events import Event

HEADERS_SCHEMA = "CloudEventsKafkaHeaders"

_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 binary content mode; the record key is the aggregate id.",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
                 "ce_orgunit", "ce_level", "content-type"],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "description": "Unique per event; consumers dedupe on source + id."},
        "ce_source": {"type": "string", "examples": ["/cppcc-liaison/feedback"]},
        "ce_type": {"type": "string", "examples": ["cppcc.feedback.opinion.submitted.v1"]},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The aggregate's id."},
        "ce_orgunit": {"type": "string", "pattern": "^[0-9]{12}$"},
        "ce_level": {"type": "string", "enum": ["city", "county", "town", "village"]},
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context."},
    },
}


def _message(name: str, schema_ref: str, description: str | None) -> dict[str, Any]:
    message = {
        "name": name,
        "title": name,
        "contentType": "application/json",
        "headers": {"$ref": f"#/components/schemas/{HEADERS_SCHEMA}"},
        "payload": {"$ref": schema_ref},
    }
    if description:
        message["summary"] = description
    return message


def _add_schema(schemas: dict[str, Any], model: type[Event]) -> str:
    name = model.event_type.name
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for def_name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(def_name, definition)
    schemas[name] = schema
    return f"#/components/schemas/{name}"


def document(
    broker: KafkaBroker,
    *,
    service: str,
    title: str,
    version: str,
    description: str,
    consumed: dict[str, list[type[Event]]],
) -> dict[str, Any]:
    doc: dict[str, Any] = AsyncAPI(
        broker, title=title, version=version, description=description, schema_version="3.0.0"
    ).to_specification().to_jsonable()
    components = doc.setdefault("components", {})
    messages = components.setdefault("messages", {})
    schemas = components.setdefault("schemas", {})
    schemas[HEADERS_SCHEMA] = _HEADERS

    # Published: one channel per event type (FastStream names it by the publisher title).
    for key, message in list(messages.items()):
        type_name = key.removesuffix(":Message")
        if type_name.startswith("cppcc."):
            messages[key] = _message(type_name, message["payload"]["$ref"], message.get("summary"))

    # Consumed: replace the raw batch message with the event types handled there.
    channels = doc.setdefault("channels", {})
    operations = doc.setdefault("operations", {})
    for topic, models in consumed.items():
        for channel_key, channel in channels.items():
            if channel.get("address") != topic or not channel_key.startswith(f"{service}:"):
                continue
            for ref in channel.get("messages", {}).values():
                messages.pop(ref["$ref"].rsplit("/", 1)[-1], None)
            channel["messages"] = {}
            for model in models:
                name = model.event_type.name
                messages[name] = _message(name, _add_schema(schemas, model), (model.__doc__ or "").strip())
                channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
            for operation in operations.values():
                if operation.get("channel", {}).get("$ref") == f"#/channels/{channel_key}":
                    operation["messages"] = [
                        {"$ref": f"#/channels/{channel_key}/messages/{m.event_type.name}"} for m in models
                    ]
    return doc
