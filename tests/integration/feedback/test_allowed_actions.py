"""A case answers, for whoever reads it, the actions that person may take now — the rules the
actions endpoint enforces, so a console shows nothing it would refuse."""

import pytest
from liaison_tools.testing import token_for

from .conftest import PINGLUO, act, submit

pytestmark = pytest.mark.integration


async def allowed(api, headers, case_id) -> list[str]:
    response = await api.get(f"/api/v1/opinions/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["allowed_actions"]


async def test_a_new_case_offers_staff_the_triage_and_the_departments_nothing(world):
    api, staff = world["api"], world["county_staff"]
    case = await submit(api, content="黄渠桥镇东风村村口灌溉渠堵塞")
    assert await allowed(api, staff, case["id"]) == [
        "answer_on_spot", "assign", "escalate", "convert", "merge", "close"]
    leader = token_for(world["settings"], "leader", PINGLUO)
    assert await allowed(api, leader, case["id"]) == []  # reads it, acts on nothing


async def test_each_department_and_staff_see_what_an_assignment_allows_and_what_waits(world):
    api, staff = world["api"], world["county_staff"]
    water, housing = world["departments"]["平罗县水务局"], world["departments"]["平罗县住建局"]
    case = await submit(api, content="村口灌溉渠堵塞，影响春灌")
    await act(api, staff, case["id"], action="assign", department_ids=[water, housing])
    # nothing waits for staff yet: no extension to decide, no return to rule on
    assert await allowed(api, staff, case["id"]) == ["recall", "supervise"]
    assert await allowed(api, world["water"], case["id"]) == ["return", "extend", "reply"]

    asked = await act(api, world["water"], case["id"], action="extend", days=5, reason="需协调施工队")
    assert asked.status_code == 200, asked.text
    assert await allowed(api, world["water"], case["id"]) == ["return", "reply"]  # asked once
    assert "extend" in await allowed(api, world["housing"], case["id"])  # its own request is its own
    assert await allowed(api, staff, case["id"]) == ["recall", "extend", "supervise"]
    assert (await act(api, staff, case["id"], action="extend", decision="approve")).status_code == 200

    returned = await act(api, world["housing"], case["id"], action="return", reason="不属于住建职责")
    assert returned.json()["status"] == "assigned"
    assert await allowed(api, world["housing"], case["id"]) == []  # its assignment ended
    assert await allowed(api, staff, case["id"]) == ["recall", "rule_return", "supervise"]
    ruled = await act(api, staff, case["id"], action="rule_return", department_id=housing, ruling="uphold",
                      reason="确非住建职责")
    assert ruled.status_code == 200, ruled.text
    assert "rule_return" not in ruled.json()["allowed_actions"]  # the actions' answer says so too

    replied = await act(api, world["water"], case["id"], action="reply", text="已组织疏通灌溉渠")
    assert replied.json()["status"] == "replied"
    assert await allowed(api, staff, case["id"]) == ["convert", "rate", "supervise", "close"]
    assert await allowed(api, world["water"], case["id"]) == []
