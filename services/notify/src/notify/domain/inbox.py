"""Whose inbox a caller reads, and whose preferences it sets (pure)."""

from __future__ import annotations

from liaison_shared.auth import Principal, Role


def addressing(principal: Principal) -> dict:
    """What a caller's inbox holds: items to its member id, its department, its unit's staff or
    leaders, or to the person itself."""
    return {
        "member_id": principal.member_id if principal.role is Role.MEMBER else None,
        "dept": principal.dept if principal.role is Role.DEPARTMENT else None,
        "staff_unit": principal.org if principal.role in (Role.STAFF, Role.ADMIN) else None,
        "leader_unit": principal.org if principal.role is Role.LEADER else None,
        "sub": principal.sub,
    }


def recipient(principal: Principal) -> tuple[str, str]:
    """Whose preferences the caller sets: its own as a member, its department's, or its unit's staff."""
    if principal.role is Role.MEMBER:
        return "member", principal.member_id or ""
    if principal.role is Role.DEPARTMENT:
        return "department", principal.dept or ""
    if principal.role is Role.LEADER:
        return "leader", principal.org
    return "org_staff", principal.org
