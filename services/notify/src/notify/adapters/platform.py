"""The platform's own services as notify reaches them: feedback and members, on their internal
routes, with notify's service token. Asked at sending time only — a citizen's phone, a member's
private address, the answer a hotline case was given — and never kept; never with a transaction open."""

from __future__ import annotations

import httpx
from liaison_shared.servicetoken import ServiceToken
from liaison_shared.uow import outside_transaction

_TOKENS: dict[tuple, ServiceToken] = {}


def service_token(settings) -> ServiceToken:
    """One token source per configuration (one per process in production): its token is cached."""
    key = (settings.auth_token_url, settings.service_client_id, settings.service_client_secret,
           settings.notify_service_token)
    if key not in _TOKENS:
        _TOKENS[key] = ServiceToken(settings)
    return _TOKENS[key]


async def _get(settings, base: str, path: str) -> dict | None:
    """GET another service's internal route as the notify service; None for a 404."""
    outside_transaction("a call to another service")
    source = service_token(settings)
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        response = await client.get(f"{base}{path}", headers={"Authorization": f"Bearer {await source.get()}"})
    if response.status_code == 401:
        source.forget()  # expired or revoked early: the next delivery asks the issuer again
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


async def member_contact(settings, member_id: str) -> dict | None:
    """A member's own e-mail and phone, which members gives notify for one message."""
    return await _get(settings, settings.members_url or settings.base_url_of("members"),
                      f"/api/v1/internal/members/{member_id}/contact")


async def submitter_contact(settings, opinion_id: str) -> dict | None:
    """The phone and tracking code of a case's submitter, if consented and not erased."""
    return await _get(settings, settings.feedback_url or settings.base_url_of("feedback"),
                      f"/api/v1/internal/submitters/{opinion_id}")


async def hotline_answer(settings, opinion_id: str) -> dict | None:
    """A 12345 hotline case's latest answer (办理结果), for the one message that says it; None: none yet."""
    return await _get(settings, settings.feedback_url or settings.base_url_of("feedback"),
                      f"/api/v1/internal/hotline-cases/{opinion_id}/answer")
