"""Who may see what of a case, and where a case may be sent. Every view and every assignment
asks here, so a new route cannot grow its own idea of it.

- reading a case: staff and leaders of the unit where it arises or is handled; a department
  it was ever assigned to (it keeps reading what it answered); the member who took it in
  (``received_by``, attested by a token), masked;
- the submitter in clear (个人信息): staff handling the case, and a department only while its
  assignment is open — returning it (退单), replying, staff recalling it (召回) or a new round
  ends the access;
- the tracking code: the citizen's key to the public routes (tracking, rating). Staff handling
  the case keep it for a citizen who calls having lost it; a department never sees it, or it
  could rate its own reply;
- sending a case to departments: departments of the registry whose unit lies on the case's
  line (its handling unit, a unit above it or below it), or within the acting staff's scope —
  never a sibling county's by naming its id;
- signing and credit (proposals' signers, reports' authors): members active in the registry,
  sitting on a committee that fits — never an id someone typed.
"""

from __future__ import annotations

from collections.abc import Callable

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.errors import Unprocessable

from ..storage import opinions as storage
from ..storage import proposals as proposal_storage


def handles(principal: Principal, case) -> bool:
    """Staff of the handling unit or above, and admins: those who triage the case."""
    return principal.is_staff_over(case["handling_unit"])


def can_read(principal: Principal, case, departments: set[str]) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.DEPARTMENT:
        return principal.dept in departments
    if principal.role in (Role.STAFF, Role.LEADER):
        return principal.covers(case["handling_unit"]) or principal.covers(case["org_unit"])
    if principal.role is Role.MEMBER:
        # what it took in (委员收集), never another member's: its personal data stays masked
        return principal.member_id is not None and case.get("received_by") == principal.member_id
    return False


def may_see_personal_data(principal: Principal, case, assignments) -> bool:
    """The submitter's name and phone in clear: to whom handles the case, for as long as it does."""
    if handles(principal, case):
        return True
    if principal.role is not Role.DEPARTMENT:
        return False
    current = max((a["round"] for a in assignments), default=0)
    return any(a["department_id"] == principal.dept and a["round"] == current and a["state"] == "active"
               for a in assignments)


def may_see_tracking_code(principal: Principal, case) -> bool:
    return handles(principal, case)


on_the_line = orgunits.on_the_line


async def departments_out_of_reach(conn, department_ids: list[str], case_unit: str,
                                   principal: Principal | None = None) -> list[str]:
    """The departments of ``department_ids`` a case of ``case_unit`` may not be sent to: unknown
    (or inactive) ones, and those off the case's line and outside the acting staff's scope. A
    caller that is not staff (a consumed command) has no scope to widen the line with."""
    units = await storage.department_units(conn, department_ids)
    widening = principal if principal is not None and principal.role in (Role.STAFF, Role.ADMIN) else None
    return [d for d in department_ids if d not in units or not (
        on_the_line(units[d], case_unit) or (widening is not None and widening.covers(units[d])))]


async def require_reachable(conn, department_ids: list[str], case_unit: str, principal: Principal | None) -> None:
    """422, naming the first department a case of ``case_unit`` may not be sent to."""
    for department_id in await departments_out_of_reach(conn, department_ids, case_unit, principal):
        if not await storage.department_exists(conn, department_id):
            raise Unprocessable(f"unknown department {department_id}")
        raise Unprocessable(f"department {department_id} is outside the reach of org unit {case_unit}")


async def sits_on(conn, member_id: str, committee: str) -> bool:
    """A member acts in the committee it sits on, as the registry says, whatever its token's org."""
    return (await proposal_storage.sitting_members(conn, [member_id])).get(member_id) == committee


async def require_members(conn, member_ids: list[str], fits: Callable[[str], bool], where: str) -> None:
    """Every member named is active in the registry and sits on a committee that ``fits``; else 422
    naming those who do not. Signatures and credit go to real members in scope only."""
    named = list(dict.fromkeys(member_ids))
    seats = await proposal_storage.sitting_members(conn, named)
    strangers = [m for m in named if m not in seats or not fits(seats[m])]
    if strangers:
        raise Unprocessable(f"not active members {where}: {', '.join(strangers)}")
