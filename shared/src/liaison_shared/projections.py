"""The registry projection: org units, departments and members as the members service publishes them.

Feedback, consultation and notify each keep their own copy (their schema, their tables)
so they can route, scope and address without calling members. Events carry the full
current state, so a handler is an upsert; ``source_time`` keeps an older event that
arrives late (a replay, a redelivery) from overwriting newer state.
"""

from __future__ import annotations

from collections.abc import Callable

from .contracts.members import (
    DepartmentRegistered,
    DepartmentState,
    DepartmentUpdated,
    MemberAssigned,
    MemberRegistered,
    MemberUpdated,
    OrgUnitChanged,
)
from .events import Envelope
from .inbox import EventConsumer
from .uow import UnitOfWork

MIGRATIONS = "registry"

# Called with ("org_unit" | "department" | "member", key) after a projection row changed, so
# a process that caches registry data drops what it holds of it.
Listener = Callable[[str, str], object]
_listeners: list[Listener] = []


def on_change(listener: Listener) -> None:
    _listeners.append(listener)


def _changed(kind: str, key: str) -> None:
    for listener in _listeners:
        listener(kind, key)


def _contact(event: OrgUnitChanged | DepartmentState) -> tuple[str | None, str | None, str | None]:
    contact = event.duty_contact
    return (contact.name, contact.email, contact.phone) if contact else (None, None, None)


async def apply_org_unit(uow: UnitOfWork, envelope: Envelope, event: OrgUnitChanged) -> None:
    await uow.conn.execute(
        """
        INSERT INTO org_units (code, name, parent, level, kind, duty_name, duty_email, duty_phone,
                               active, source_time)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (code) DO UPDATE SET
            name = excluded.name, parent = excluded.parent, level = excluded.level,
            kind = excluded.kind, duty_name = excluded.duty_name, duty_email = excluded.duty_email,
            duty_phone = excluded.duty_phone, active = excluded.active,
            source_time = excluded.source_time
        WHERE org_units.source_time <= excluded.source_time
        """,
        event.code, event.name, event.parent, event.level, event.kind, *_contact(event),
        event.active, envelope.time,
    )
    _changed("org_unit", event.code)


async def apply_department(
    uow: UnitOfWork, envelope: Envelope, event: DepartmentRegistered | DepartmentUpdated
) -> None:
    await uow.conn.execute(
        """
        INSERT INTO departments (id, name, org_unit, duty_name, duty_email, duty_phone, active,
                                 source_time)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO UPDATE SET
            name = excluded.name, org_unit = excluded.org_unit, duty_name = excluded.duty_name,
            duty_email = excluded.duty_email, duty_phone = excluded.duty_phone,
            active = excluded.active, source_time = excluded.source_time
        WHERE departments.source_time <= excluded.source_time
        """,
        event.id, event.name, event.org_unit, *_contact(event), event.active, envelope.time,
    )
    _changed("department", event.id)


async def apply_member(
    uow: UnitOfWork, envelope: Envelope, event: MemberRegistered | MemberUpdated
) -> None:
    await uow.conn.execute(
        """
        INSERT INTO members (id, name, sector_id, sector_name, org_unit, status, contact_points, source_time)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO UPDATE SET
            name = excluded.name, sector_id = excluded.sector_id, sector_name = excluded.sector_name,
            org_unit = excluded.org_unit, status = excluded.status,
            contact_points = excluded.contact_points, source_time = excluded.source_time
        WHERE members.source_time <= excluded.source_time
        """,
        event.id, event.name, event.sector_id, event.sector_name, event.org_unit, event.status,
        event.contact_points, envelope.time,
    )


async def apply_member_assignment(uow: UnitOfWork, envelope: Envelope, event: MemberAssigned) -> None:
    # Only the contact points change; a member not yet projected gets them with its registration.
    await uow.conn.execute(
        "UPDATE members SET contact_points = $2, source_time = $3 WHERE id = $1 AND source_time <= $3",
        event.member_id, event.contact_points, envelope.time,
    )


def keep_registry_projection(consumer: EventConsumer) -> None:
    """Subscribe ``consumer`` to the registry events."""
    consumer.on(OrgUnitChanged, rebuildable=True)(apply_org_unit)
    consumer.on(DepartmentRegistered, rebuildable=True)(apply_department)
    consumer.on(DepartmentUpdated, rebuildable=True)(apply_department)
    consumer.on(MemberRegistered, rebuildable=True)(apply_member)
    consumer.on(MemberUpdated, rebuildable=True)(apply_member)
    consumer.on(MemberAssigned, rebuildable=True)(apply_member_assignment)
