"""The notify service's identity: role ``service`` and its subject, on the internal routes only."""

import pytest
from liaison_shared.service import UnsafeSettings
from liaison_tools.testing import running, token_for

from .conftest import CITY, PINGLUO, submit

pytestmark = pytest.mark.integration


def _as_notify(stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack['settings'].notify_service_token.get_secret_value()}"}


async def test_a_member_token_with_the_notify_subject_reads_no_contact(stack, platform):
    case = await submit(stack)
    impostor = token_for(platform, "member", PINGLUO, member_id="m-1", sub=platform.notify_service_subject)
    staff = token_for(platform, "admin", CITY, sub=platform.notify_service_subject)
    for headers in (impostor, staff):
        assert (await stack["feedback"].get(f"/api/v1/internal/submitters/{case['id']}",
                                            headers=headers)).status_code == 403
        assert (await stack["members"].get("/api/v1/internal/members/m-1/contact",
                                           headers=headers)).status_code == 403


async def test_another_service_token_reads_no_contact(stack, platform):
    case = await submit(stack)
    other = token_for(platform, "service", CITY, sub="service:consultation")
    assert (await stack["feedback"].get(f"/api/v1/internal/submitters/{case['id']}",
                                        headers=other)).status_code == 403


async def test_the_notify_service_token_opens_no_route_for_people(stack):
    notify = _as_notify(stack)
    for client, path in [(stack["feedback"], "/api/v1/opinions"), (stack["feedback"], "/api/v1/stats"),
                         (stack["members"], "/api/v1/members"), (stack["members"], f"/api/v1/departments/{stack['water']}"),
                         (stack["notify"], "/api/v1/deliveries"), (stack["notify"], "/api/v1/subscriptions")]:
        answer = await client.get(path, headers=notify)
        assert answer.status_code == 403, (path, answer.status_code)


async def test_notify_refuses_to_start_without_a_way_to_its_token(platform, service_specs):
    bare = platform.model_copy(update={"notify_service_token": None, "auth_token_url": None})
    with pytest.raises(UnsafeSettings, match="NOTIFY_SERVICE_TOKEN"):
        async with running(service_specs["notify"], bare):
            pass
    half = platform.model_copy(update={"notify_service_token": None, "auth_token_url": "http://127.0.0.1:9/token"})
    with pytest.raises(UnsafeSettings, match="SERVICE_CLIENT_ID"):
        async with running(service_specs["notify"], half):
            pass
