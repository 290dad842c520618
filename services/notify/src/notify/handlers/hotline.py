"""The 12345 hotline, outward: a hotline case's status changes become signed messages to its city's
hotline, left pending for the delivery worker like every webhook (claim → commit → send → record,
retried with backoff, redriven from the delivery log). And the admins' configuration of a city's
endpoint.

Which cases came from a hotline, notify learns from ``opinion.submitted`` (its
``hotline_case_number``); the case's later events carry only its id and find the number here. A
redelivered event finds its delivery row under the same unique key and sends nothing twice."""

from __future__ import annotations

import secrets
import uuid

from liaison_shared import orgunits
from liaison_shared.auth import Principal
from liaison_shared.contracts.feedback import OpinionSubmitted
from liaison_shared.errors import Unprocessable
from liaison_shared.events import Envelope, Event, unversioned
from liaison_shared.uow import UnitOfWork

from ..adapters import hotline as adapter
from ..adapters import webhooks
from ..domain import hotline
from ..schemas.hotline import HotlineEndpointIn
from ..storage import hotline as storage
from ..storage import notifications


async def keep_case(uow: UnitOfWork, envelope: Envelope, event: OpinionSubmitted) -> None:
    """Which cases came from the hotline, and its number for them: a projection (an insert that
    converges), so ``liaison replay`` rebuilds it after a restore and later status changes of
    those cases still go back. Registered before ``relay``, which reads it."""
    if event.hotline_case_number:
        await storage.keep_case(uow.conn, opinion_id=event.opinion_id, case_number=event.hotline_case_number,
                                city=_city_of(event.org_unit), org_unit=event.org_unit)


async def relay(uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
    """One pending message to the city's hotline, if the case came from it and the city's
    endpoint sends this status."""
    data = event.model_dump(mode="json")
    if isinstance(event, OpinionSubmitted) and not event.hotline_case_number:
        return  # most cases: not the hotline's, and no later event of theirs will find one
    status = hotline.status_of(unversioned(envelope.type))
    case = await storage.case(uow.conn, data["opinion_id"]) if status else None
    if status is None or case is None:
        return
    endpoint = await storage.endpoint_of_city(uow.conn, case["city"])
    if endpoint is None:
        return
    fields = hotline.mapped(hotline.DEFAULT_FIELDS, endpoint["fields"])
    body = hotline.message(
        hotline.facts(status, data, case_number=case["case_number"], at=envelope.time,
                      department_names=await _department_names(uow.conn, data)),
        status, fields=fields, statuses=hotline.mapped(hotline.DEFAULT_STATUSES, endpoint["statuses"]))
    if body is None:
        return
    await notifications.insert(uow.conn, {
        "event_source": envelope.source, "event_id": envelope.id, "event_type": envelope.type,
        "org_unit": envelope.orgunit, "recipient_kind": "hotline", "recipient_id": endpoint["id"],
        "channel": "webhook", "subject": f"12345 {case['case_number']} {hotline.STATUS_NAMES[status]}",
        "body": body, "status": "pending", "about_kind": "opinion", "about_id": data["opinion_id"],
        # the answer's text is asked of feedback at sending: the row keeps only where it goes
        "template_fields": hotline.filled_at_sending(status, fields),
    })


def _city_of(code: str) -> str:
    return (orgunits.ancestors_of(code) or [code])[-1]


async def _department_names(conn, data: dict) -> list[str]:
    ids = data.get("department_ids") or ([data["department_id"]] if data.get("department_id") else [])
    names = []
    for department_id in ids:
        row = await notifications.department(conn, department_id)
        names.append(row["name"] if row else department_id)
    return names


async def configure(runtime, principal: Principal, command: HotlineEndpointIn) -> tuple[dict, str | None]:
    """Create or replace the city's endpoint; the key made here for a new one (shown once). The
    URL's host is looked up before any transaction opens, as for a subscription."""
    if orgunits.level_of(command.city) is not orgunits.Level.CITY:
        raise Unprocessable(f"city: {command.city} is not a city's code; a hotline serves a city")
    wrong = hotline.unknown_keys(command.fields, command.statuses)
    if wrong:
        raise Unprocessable(f"no such field or status of ours: {', '.join(wrong)}; see docs/hotline.md")
    values = command.model_dump(mode="json")
    try:
        await webhooks.checked_addresses(values["url"], runtime.settings)
    except webhooks.RefusedDestination as refused:
        raise Unprocessable(f"url: {refused}", code="webhook_url_refused") from None
    except webhooks.Unresolved:
        pass  # not in DNS yet: each sending checks again
    made = None
    async with runtime.uow() as uow:
        existing = await storage.endpoint_id_for_update(uow.conn, command.city)
        endpoint_id = existing or uuid.uuid4()
        secret = command.secret
        if secret is None and existing is None:
            secret = made = secrets.token_urlsafe(32)
        sealed = adapter.seal_secret(runtime.settings, endpoint_id, secret) if secret else None
        if existing is None and sealed is not None:
            row = await storage.insert_endpoint(uow.conn, endpoint_id, values, sealed, principal.sub)
        else:
            row = await storage.update_endpoint(uow.conn, endpoint_id, values, sealed, principal.sub)
    storage.ENDPOINTS.invalidate()  # nobody cached the old one in between
    return shown(row), made


def shown(row) -> dict:
    """The endpoint with the mappings in force (the defaults under its own)."""
    return {**dict(row), "fields": hotline.mapped(hotline.DEFAULT_FIELDS, row["fields"]),
            "statuses": hotline.mapped(hotline.DEFAULT_STATUSES, row["statuses"])}
