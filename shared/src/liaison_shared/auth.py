"""Who is calling: JWT verification, the contract's claims, and the org scope.

Tokens are verified against an OIDC issuer's JWKS in production (``AUTH_JWKS_URL``;
keys are fetched by ``kid`` and re-fetched on an unknown one, so a rotation needs no
restart) and against the development key otherwise. Issuer, audience, expiry and
signature are always checked, and the accepted algorithms are fixed, which refuses
``alg=none`` and algorithm confusion.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, Field

from . import audit, orgunits
from .errors import Forbidden, Unauthorized
from .settings import Settings

DEV_ALGORITHM = "HS256"


class Role(str, Enum):  # noqa: UP042 — a StrEnum would change what str() and f-strings make of a member
    MEMBER = "member"        # 政协委员
    STAFF = "staff"          # 政协机关工作人员
    DEPARTMENT = "department"  # 承办单位
    LEADER = "leader"        # 党委/政协领导
    ADMIN = "admin"
    SERVICE = "service"      # another service of the platform, on its internal routes only


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    org: str
    dept: str | None = None
    member_id: str | None = None

    def covers(self, org_unit: str) -> bool:
        """True when ``org_unit`` is the caller's unit or under it."""
        return orgunits.is_within(org_unit, self.org)

    @property
    def acting_dept(self) -> str:
        """The department a department's token acts for (reading the token required it)."""
        if self.dept is None:
            raise Forbidden("only a department (承办单位) acts here")
        return self.dept

    @property
    def acting_member_id(self) -> str:
        """The member a member's token acts for (reading the token required it)."""
        if self.member_id is None:
            raise Forbidden("only a member (政协委员) acts here")
        return self.member_id

    @property
    def actor(self) -> dict[str, str]:
        """The actor columns of a history row: who did it, in which role, for which unit."""
        return {"actor_sub": self.sub, "actor_role": self.role.value, "actor_org": self.org}

    def may_manage(self, org_unit: str | None) -> bool:
        """An admin anywhere; anyone else within the own subtree (the role decides what).
        No unit: admins only."""
        return self.role is Role.ADMIN or (org_unit is not None and self.covers(org_unit))

    def is_staff_over(self, org_unit: str | None) -> bool:
        """An admin anywhere; staff (机关) of ``org_unit`` or a unit above it. No unit: admins only."""
        return self.may_manage(org_unit) if self.role in (Role.ADMIN, Role.STAFF) else False

    @property
    def subtree_pattern(self) -> str:
        """For SQL: ``WHERE org_unit LIKE $n`` limits a query to the caller's subtree."""
        return orgunits.sql_subtree_pattern(self.org)

    @property
    def managed_pattern(self) -> str:
        """As ``subtree_pattern``, but every unit for an admin."""
        return "%" if self.role is Role.ADMIN else self.subtree_pattern


class Acted(BaseModel):
    """An answer's row of who did what and when (history, audit): ``Principal.actor``'s columns."""

    at: datetime = Field(description="When it was done.")
    actor_sub: str = Field(description="Who did it: the token's sub.")
    actor_role: str = Field(description="In which role: member (委员), staff (机关), department (承办单位), leader, "
                                        "admin, service.")
    actor_org: str | None = Field(description="For which unit: the division code of the actor's org.")
    action: str = Field(description="What was done: an action's name, or the method and route of a write.")


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = (
            jwt.PyJWKClient(settings.auth_jwks_url, cache_keys=True, lifespan=300,
                            cooldown_duration=settings.auth_jwks_refresh_cooldown_s)
            if settings.auth_jwks_url
            else None
        )

    @property
    def fetches_keys(self) -> bool:
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        s = self._settings
        try:
            key: jwt.PyJWK | str
            if self._jwks is not None:
                key = self._issuer_key(self._jwks, token)
                algorithms = s.auth_algorithms
            else:
                key = s.auth_dev_secret.get_secret_value()
                algorithms = [DEV_ALGORITHM]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=s.auth_audience,
                issuer=s.auth_issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=30,
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:  # TypeError: key material of another kind
            raise Unauthorized(f"invalid token: {error}") from None
        return principal_from_claims(claims)

    @staticmethod
    def _issuer_key(jwks: jwt.PyJWKClient, token: str) -> jwt.PyJWK:
        """The key named by the token's ``kid``; without one, the issuer's only signing key — OIDC Core
        (10.1) asks for a ``kid`` only when the issuer publishes several, and some issuers then omit it
        (from their tokens, or from the key as well). The key, not its raw material, goes to
        ``jwt.decode``: its own algorithm then decides, so a header naming another is refused."""
        if jwt.get_unverified_header(token).get("kid") is not None:
            return jwks.get_signing_key_from_jwt(token)
        keys = [key for key in jwks.get_jwk_set().keys if key.public_key_use in ("sig", None)]
        if len(keys) != 1:
            raise jwt.PyJWKClientError("the token names no key and the issuer does not publish exactly one")
        return keys[0]


def principal_from_claims(claims: Mapping[str, object]) -> Principal:
    try:
        role = Role(claims.get("role"))
    except ValueError:
        raise Unauthorized("token has no valid role") from None
    org = claims.get("org")
    if not isinstance(org, str) or not orgunits.is_valid_code(org):
        raise Unauthorized("token has no valid org")
    dept = claims.get("dept")
    member_id = claims.get("member_id")
    if role is Role.DEPARTMENT and not dept:
        raise Unauthorized("a department token needs a dept claim")
    if role is Role.MEMBER and not member_id:
        raise Unauthorized("a member token needs a member_id claim")
    if role is Role.SERVICE and not str(claims["sub"]).startswith("service:"):
        raise Unauthorized("a service token's subject is service:<name>")
    return Principal(
        sub=str(claims["sub"]), role=role, org=org,
        dept=str(dept) if dept else None, member_id=str(member_id) if member_id else None,
    )


def issue_dev_token(
    settings: Settings,
    *,
    role: str,
    org: str,
    dept: str | None = None,
    member_id: str | None = None,
    sub: str | None = None,
    ttl_s: int = 12 * 3600,
) -> str:
    """A token signed with the development key (``make token``)."""
    now = int(time.time())
    claims = {
        "sub": sub or f"dev-{role}-{uuid.uuid4().hex[:8]}",
        "role": role,
        "org": org,
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": now,
        "exp": now + ttl_s,
    }
    if dept:
        claims["dept"] = dept
    if member_id:
        claims["member_id"] = member_id
    principal_from_claims(claims)  # refuse to print a token the services would refuse
    return jwt.encode(claims, settings.auth_dev_secret.get_secret_value(), algorithm=DEV_ALGORITHM)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    return token.strip()


async def _verified(request: Request) -> Principal:
    verifier: TokenVerifier = request.app.state.verifier
    token = _bearer(request)
    if verifier.fetches_keys:
        # a JWKS fetch is blocking network I/O: keep it off the event loop
        principal = await asyncio.to_thread(verifier.verify, token)
    else:
        principal = verifier.verify(token)
    audit.saw_principal(principal)  # a write is audited under its caller
    return principal


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or 401. A service's token reaches only the
    internal routes made for it (``notify_service``), never the routes for people."""
    principal = await _verified(request)
    if principal.role is Role.SERVICE:
        raise Forbidden("a service token is for internal routes only")
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """FastAPI dependency factory: the caller, if its role is one of ``roles``; else 403."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role.value} may not do this")
        return principal

    return dependency


async def notify_service(request: Request, principal: Principal = Depends(_verified)) -> Principal:
    """FastAPI dependency: only the notify service passes — role ``service`` and the subject
    ``NOTIFY_SERVICE_SUBJECT`` both — for the internal routes that hand it a contact for one
    message. A person's token with that subject is refused."""
    if principal.role is not Role.SERVICE or principal.sub != request.app.state.settings.notify_service_subject:
        raise Forbidden("for the notify service only")
    return principal
