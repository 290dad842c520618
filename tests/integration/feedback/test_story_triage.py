"""Issue 15: recall and escalation in one step, the deadline in force, consent said out loud, the
citizen's page, and the smaller edges (lists, JSON errors, titles)."""

import json

import pytest
from liaison_shared.settings import Settings
from liaison_tools.testing import collect, header, token_for

from .conftest import CHENGGUAN, DONGFENG, HUINONG, PINGLUO, act, submit

pytestmark = pytest.mark.integration


async def test_staff_recall_an_assignment_the_department_is_told_and_loses_the_submitter(world):
    api, staff, water = world["api"], world["county_staff"], world["water"]
    case = await submit(api)
    assigned = (await act(api, staff, case["id"], action="assign",
                          department_ids=[world["departments"]["平罗县水务局"]])).json()
    assert assigned["deadline"] is not None and assigned["deadline_reason"] is None
    seen = (await api.get(f"/api/v1/opinions/{case['id']}", headers=water)).json()
    assert seen["submitter_name"] == "张三"
    assert (await act(api, staff, case["id"], action="recall")).status_code == 422  # a reason is required
    assert (await act(api, water, case["id"], action="recall", reason="x")).status_code == 403
    recalled = await act(api, staff, case["id"], action="recall", reason="派错单位，收回重新分办")
    assert recalled.status_code == 200, recalled.text
    body = recalled.json()
    assert body["status"] == "received" and body["deadline"] is None and "triage" in body["deadline_reason"]
    assert [a["state"] for a in body["assignments"]] == ["recalled"]
    after = (await api.get(f"/api/v1/opinions/{case['id']}", headers=water)).json()
    assert after["submitter_name"] == "张*" and after["submitter_phone"] == "138****5678"
    late = await act(api, water, case["id"], action="reply", text="已处理")
    assert late.status_code == 409
    [event] = await collect(world["settings"], "cppcc.feedback.opinion", count=1,
                            where=lambda r: r.key == case["id"].encode()
                            and header(r, "ce_type") == "cppcc.feedback.opinion.recalled.v1")
    told = json.loads(event.value)
    assert told["department_ids"] == [world["departments"]["平罗县水务局"]] and told["reason"]
    tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    assert tracked["deadline"] is None and tracked["deadline_reason"]


async def test_escalation_goes_to_a_chosen_unit_above_in_one_step_and_the_state_says_escalated(world, platform):
    api = world["api"]
    village = token_for(platform, "staff", DONGFENG)
    case = await submit(api)
    for wrong in (HUINONG, CHENGGUAN, DONGFENG):  # a sibling county, a town off the line, itself
        refused = await act(api, village, case["id"], action="escalate", reason="需县级协调", to_unit=wrong)
        assert refused.status_code == 422, refused.text
    up = await act(api, village, case["id"], action="escalate", reason="需县级协调", to_unit=PINGLUO)
    assert up.status_code == 200, up.text
    assert up.json()["status"] == "escalated" and up.json()["handling_unit"] == PINGLUO
    assert up.json()["deadline"] is None and "above" in up.json()["deadline_reason"]
    county = world["county_staff"]
    assigned = await act(api, county, case["id"], action="assign", department_ids=[world["departments"]["平罗县水务局"]])
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    # an assigned case is recalled before it climbs
    blocked = await act(api, county, case["id"], action="escalate", reason="需市级协调")
    assert blocked.status_code == 409 and "recall the assignment first" in blocked.json()["error"]["message"]
    await act(api, county, case["id"], action="recall", reason="报市级协调")
    default = (await act(api, county, case["id"], action="escalate", reason="需市级协调")).json()
    assert default["status"] == "escalated" and default["handling_unit"] == "640200000000"


async def test_the_deadline_shown_is_the_one_in_force_after_returns(world):
    api, staff = world["api"], world["county_staff"]
    case = await submit(api)
    water, housing = world["departments"]["平罗县水务局"], world["departments"]["平罗县住建局"]
    await act(api, staff, case["id"], action="assign", department_ids=[water, housing])
    await act(api, world["water"], case["id"], action="return", reason="不属本单位职责")
    still = (await api.get(f"/api/v1/opinions/{case['id']}", headers=staff)).json()
    assert still["status"] == "assigned" and still["deadline"] is not None
    await act(api, world["housing"], case["id"], action="return", reason="不属本单位职责")
    back = (await api.get(f"/api/v1/opinions/{case['id']}", headers=staff)).json()
    assert back["status"] == "received" and back["deadline"] is None and back["deadline_reason"]
    tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    assert tracked["deadline"] is None and tracked["deadline_reason"]


async def test_personal_data_without_consent_is_said_and_an_sms_without_consent_is_refused(world, db_pool):
    api = world["api"]
    dropped = await submit(api, consent=False)
    assert dropped["personal_data_kept"] is False and "consent" in dropped["personal_data_note"]
    kept = await submit(api)
    assert kept["personal_data_kept"] is True and kept["personal_data_note"] is None
    anonymous = await submit(api, consent=False, submitter_name=None, submitter_phone=None)
    assert anonymous["personal_data_kept"] is False and anonymous["personal_data_note"] is None
    before = await db_pool.fetchval("SELECT count(*) FROM feedback.opinions")
    for body in ({"consent": False, "notify_by_sms": True}, {"submitter_phone": None, "notify_by_sms": True}):
        payload = {"content": "路灯不亮", "org_unit": DONGFENG, "channel": "online", "submitter_name": "张三",
                   "submitter_phone": "13812345678", "consent": True, **body}
        refused = await api.post("/api/v1/opinions", json=payload)
        assert refused.status_code == 422 and "notify_by_sms" in refused.json()["error"]["message"]
        assert "13812345678" not in refused.text
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.opinions") == before
    assert (await submit(api, notify_by_sms=True))["personal_data_kept"] is True


async def test_the_citizens_page_reads_and_rates_without_anything_personal(world):
    api, staff = world["api"], world["county_staff"]
    case = await submit(api)
    page = await api.get(f"/t/{case['tracking_code']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "lang='zh-CN'" in page.text and "viewport" in page.text and "已受理" in page.text
    assert "<form" not in page.text  # nothing to rate yet
    await act(api, staff, case["id"], action="answer_on_spot", text="<script>alert(1)</script>已安排清淤")
    page = await api.get(f"/t/{case['tracking_code']}")
    assert "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert "张三" not in page.text and "13812345678" not in page.text and "<form" in page.text
    bad = await api.post(f"/t/{case['tracking_code']}/rating", content="rating=great",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 422
    posted = await api.post(f"/t/{case['tracking_code']}/rating",
                            content="rating=satisfied&comment=%E8%B0%A2%E8%B0%A2",
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert posted.status_code == 303 and posted.headers["location"] == f"/t/{case['tracking_code']}?rated=1"
    assert (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()["rating"] == "satisfied"
    again = await api.post(f"/t/{case['tracking_code']}/rating", content="rating=satisfied",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert again.status_code == 409
    assert (await api.get("/t/NOSUCHCODE")).status_code == 404


def test_the_public_link_follows_feedbacks_port():
    assert Settings(feedback_port=18003, public_base_url=None).public_base() == "http://127.0.0.1:18003"
    assert Settings(public_base_url="https://liaison.example.cn/").public_base() == "https://liaison.example.cn"


async def test_dispatch_rules_answer_a_page_like_every_list(world):
    listed = await world["api"].get("/api/v1/dispatch-rules", headers=world["county_staff"])
    assert listed.status_code == 200 and set(listed.json()) == {"items", "total"}


async def test_broken_json_says_where_it_breaks(world):
    response = await world["api"].post("/api/v1/opinions", content='{\n  "content": "路灯不亮",\n  "org_unit" 1\n}',
                                       headers={"content-type": "application/json"})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "line 3, column 14" in message and "路灯" not in message


async def test_a_long_first_sentence_makes_a_title_of_forty_characters(world):
    api = world["api"]
    content = "关于" + "村里灌溉渠道年久失修" * 6 + "。其余说明"
    case = await submit(api, member_id=world["member_id"], content=content)
    target = (await act(api, world["town_staff"], case["id"], action="convert", target="proposal")).json()
    proposal = (await api.get(f"/api/v1/proposals/{target['converted_to']['id']}", headers=world["county_staff"])).json()
    assert len(proposal["title"]) == 40 and proposal["title"].endswith("…") and proposal["body"] == content
    assert proposal["committee"] == PINGLUO  # the town converted it: the county committee drafts it
