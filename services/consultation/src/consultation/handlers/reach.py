"""Whom and what a topic, session or outcome may name: departments, members and venues of its
own line — its unit, the units above it and the units below it — never a sibling's.

A village session may hand an opinion to the county's water bureau above it; a county
outcome may become a task of a town government under it; neither may reach the county next
door. Every id a request names passes through here, so a new route cannot forget the check.
"""

from __future__ import annotations

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.errors import Unprocessable

from ..storage import sessions as session_storage
from ..storage import topics as topic_storage

on_the_line = orgunits.on_the_line


async def departments(conn, department_ids: list[str] | None, org_unit: str) -> list[str]:
    """The departments named, each registered and of ``org_unit``'s line; else 422."""
    ids = list(dict.fromkeys(department_ids or []))
    units = await topic_storage.department_units(conn, ids)
    refused = [d for d in ids if d not in units or not on_the_line(units[d], org_unit)]
    if refused:
        raise Unprocessable(f"department(s) unknown or not of the line of {org_unit}: {', '.join(refused)}")
    return ids


async def members(conn, member_ids: list[str] | None, org_unit: str) -> list[str]:
    """The members named, each registered and sitting in a committee of ``org_unit``'s line; else 422."""
    ids = list(dict.fromkeys(member_ids or []))
    units = await topic_storage.member_units(conn, ids)
    refused = [m for m in ids if m not in units or not on_the_line(units[m], org_unit)]
    if refused:
        raise Unprocessable(f"member(s) unknown or not of the line of {org_unit}: {', '.join(refused)}")
    return ids


async def credited(conn, principal: Principal, member_ids: list[str] | None, org_unit: str) -> list[str]:
    """The members a record credits (research, an opinion taken in): a member only herself, also
    by default; staff name members of the line. Credit feeds a member's score (履职积分)."""
    if principal.role is Role.MEMBER:
        if set(member_ids or []) - {principal.member_id}:
            raise Unprocessable("a member records only her own part: member ids other than yours are not accepted")
        return [principal.member_id] if principal.member_id else []
    return await members(conn, member_ids, org_unit)


async def venue(conn, venue_id: str, org_unit: str) -> None:
    place = await session_storage.venue(conn, venue_id)
    if place is None or not place["active"] or not on_the_line(place["org_unit"], org_unit):
        raise Unprocessable(f"venue {venue_id} is unknown, closed or not of the line of {org_unit}")
