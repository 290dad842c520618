"""Issue 15: the loop closes after a conversion — what a case became answers it, by events, and
the citizen (and every citizen whose case was merged into it) is told and may rate it."""

import json
import re
import uuid

import pytest
from liaison_shared.contracts.consultation import (
    ConsultationOutcomeConverted,
    OutcomeEvaluated,
    OutcomeInstructed,
    TopicClosed,
)
from liaison_shared.contracts.feedback import OutcomeRef
from liaison_shared.events import Envelope
from liaison_tools.testing import collect, eventually, header, produce_raw, token_for

from .conftest import DONGFENG, HUANGQUQIAO, PINGLUO, act, submit
from .test_proposals import open_window

pytestmark = pytest.mark.integration


async def _publish(platform, topic: str, event, subject: str) -> None:
    envelope = Envelope.wrap(event, subject=subject, org_unit=event.org_unit)
    await produce_raw(platform, topic, [(envelope.key.encode(), envelope.value(), envelope.headers())])


async def _replied_events(world, opinion_id: str, count: int = 1) -> list[dict]:
    records = await collect(world["settings"], "cppcc.feedback.opinion", count=count,
                            where=lambda r: r.key == opinion_id.encode()
                            and header(r, "ce_type") == "cppcc.feedback.opinion.replied.v1", timeout=30)
    for record in records:
        assert b"13812345678" not in record.value and "张三".encode() not in record.value
    return [json.loads(r.value) for r in records]


async def _proposal_through_to_evaluation(world, platform, proposal_id: str) -> None:
    api, staff = world["api"], world["county_staff"]
    member = token_for(platform, "member", PINGLUO, member_id=world["member_id"])

    async def do(headers, **body):
        response = await api.post(f"/api/v1/proposals/{proposal_id}/actions", headers=headers, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    await open_window(world)
    await do(staff, action="file")
    await do(staff, action="accept")
    await do(staff, action="assign", lead_department=world["departments"]["平罗县水务局"],
             co_departments=[world["departments"]["平罗县住建局"]])
    await do(world["housing"], action="opinion", text="住建局配合")
    replied = await do(world["water"], action="reply", reply_class="A", text="渠道已全线清淤")
    # 协办: the co-handling unit's part is done with the lead unit's reply
    proposal = (await api.get(f"/api/v1/proposals/{proposal_id}", headers=staff)).json()
    latest = max(u["round"] for u in proposal["units"])
    states = {u["department_id"]: u["state"] for u in proposal["units"] if u["round"] == latest}
    assert states[world["departments"]["平罗县住建局"]] == "done", proposal["units"]
    assert replied["status"] == "replied"
    await do(member, action="evaluate", evaluation="satisfied")


async def test_a_case_converted_into_a_proposal_is_answered_by_its_reply_and_the_citizen_rates_it(
        world, platform, db_pool):
    api = world["api"]
    case = await submit(api, member_id=world["member_id"], content="村口灌溉渠堵塞。影响春灌，请尽快疏通")
    converted = (await act(api, world["town_staff"], case["id"], action="convert", target="proposal")).json()
    assert converted["status"] == "converted"
    assert converted["converted_to"]["kind"] == "proposal"
    proposal_id = converted["converted_to"]["id"]
    assert converted["deadline"] is None and "converted into a proposal" in converted["deadline_reason"]
    proposal = (await api.get(f"/api/v1/proposals/{proposal_id}", headers=world["county_staff"])).json()
    assert proposal["title"] == "村口灌溉渠堵塞" and proposal["body"].startswith("村口灌溉渠堵塞。")
    waiting = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    assert waiting["converted_to"] == "proposal" and waiting["answers"] == [] and not waiting["can_rate"]
    assert waiting["deadline"] is None and waiting["deadline_reason"]

    await _proposal_through_to_evaluation(world, platform, proposal_id)

    tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    assert tracked["status"] == "replied" and tracked["can_rate"]
    texts = [a["text"] for a in tracked["answers"] if a["kind"] == "conversion"]
    assert any("A类" in t and "渠道已全线清淤" in t for t in texts) and any("满意" in t for t in texts)
    [first, *_] = await _replied_events(world, case["id"], count=2)
    assert first["source"] == {"kind": "proposal", "id": proposal_id} and first["result"] == "A"
    assert first["contact_consented"] is True and first["department_ids"] == []
    rated = await api.post(f"/api/v1/track/{case['tracking_code']}/rating", json={"rating": "satisfied"})
    assert rated.status_code == 200 and rated.json()["status"] == "rated"


async def test_a_topic_outcome_evaluated_answers_the_case_and_the_cases_merged_into_it(world, platform):
    api, staff = world["api"], world["town_staff"]
    case = await submit(api)
    twin = await submit(api, submitter_name="李四", submitter_phone="13900001111")
    assert (await act(api, staff, twin["id"], action="merge", into=case["id"])).status_code == 200
    converted = (await act(api, staff, case["id"], action="convert", target="topic")).json()
    topic_id = converted["converted_to"]["id"]
    merged_view = (await api.get(f"/api/v1/track/{twin['tracking_code']}")).json()
    assert merged_view["merged"] and merged_view["answers"] == [] and not merged_view["can_rate"]
    early = await api.post(f"/api/v1/track/{twin['tracking_code']}/rating", json={"rating": "satisfied"})
    assert early.status_code == 409

    outcome_id = str(uuid.uuid4())
    await _publish(platform, "cppcc.consultation.outcome", OutcomeEvaluated(
        outcome_id=outcome_id, topic_id=topic_id, org_unit=DONGFENG, result="implemented"), outcome_id)

    async def answered():
        tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
        return tracked["status"] == "replied" and tracked["answers"]

    await eventually(answered, timeout=30)
    tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    assert "已落实" in tracked["answers"][0]["text"] and tracked["deadline_reason"]
    merged_view = (await api.get(f"/api/v1/track/{twin['tracking_code']}")).json()
    assert merged_view["answers"] == tracked["answers"] and merged_view["can_rate"]
    [told] = await _replied_events(world, twin["id"])
    assert told["via_opinion_id"] == case["id"] and told["source"]["kind"] == "consultation_outcome"
    rated = await api.post(f"/api/v1/track/{twin['tracking_code']}/rating", json={"rating": "basically_satisfied"})
    assert rated.status_code == 200 and rated.json()["rating"] == "basically_satisfied"
    assert (await api.post(f"/api/v1/track/{twin['tracking_code']}/rating",
                           json={"rating": "satisfied"})).status_code == 409  # once

    # the same event again adds nothing; the topic closing adds its own answer
    await _publish(platform, "cppcc.consultation.outcome", OutcomeEvaluated(
        outcome_id=outcome_id, topic_id=topic_id, org_unit=DONGFENG, result="implemented"), outcome_id)
    await _publish(platform, "cppcc.consultation.topic", TopicClosed(
        topic_id=topic_id, org_unit=HUANGQUQIAO, title="灌溉渠", final_stage="closed", outcomes=1), topic_id)

    await _publish(platform, "cppcc.consultation.outcome", OutcomeInstructed(
        outcome_id=outcome_id, topic_id=topic_id, org_unit=DONGFENG, leader_org=PINGLUO), outcome_id)

    async def closed_and_instructed_too():
        texts = [a["text"] for a in (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()["answers"]]
        return len(texts) == 3 and any("批示" in t for t in texts) and any("办结" in t for t in texts)

    await eventually(closed_and_instructed_too, timeout=30)


async def test_a_proposal_drafted_from_the_topics_outcome_answers_the_topics_cases(world, platform, db_pool):
    api = world["api"]
    case = await submit(api)
    topic_id = (await act(api, world["town_staff"], case["id"], action="convert", target="topic")).json()[
        "converted_to"]["id"]
    outcome_id, proposal_id = str(uuid.uuid4()), str(uuid.uuid4())
    text = "建立村级灌溉设施管护长效机制，由县水务局牵头每年汛前统一清淤。各村落实管护责任人，经费列入县级预算"
    await _publish(platform, "cppcc.consultation.outcome", ConsultationOutcomeConverted(
        source=OutcomeRef(kind="consultation_outcome", id=outcome_id), target=OutcomeRef(kind="proposal", id=proposal_id),
        org_unit=DONGFENG, title=text, member_ids=[world["member_id"]], topic_id=topic_id), outcome_id)
    await eventually(lambda: db_pool.fetchval("SELECT true FROM feedback.proposals WHERE id = $1::uuid", proposal_id),
                     timeout=30)
    proposal = (await api.get(f"/api/v1/proposals/{proposal_id}", headers=world["county_staff"])).json()
    assert proposal["title"] == "建立村级灌溉设施管护长效机制，由县水务局牵头每年汛前统一清淤"  # its first sentence
    assert proposal["body"] == text and proposal["proposer_name"] == "马红梅"

    await _proposal_through_to_evaluation(world, platform, proposal_id)
    tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    assert tracked["status"] == "replied" and any("A类" in a["text"] for a in tracked["answers"])


async def test_a_report_adopted_and_instructed_answers_the_case(world, platform):
    api, staff = world["api"], world["town_staff"]
    case = await submit(api)
    converted = (await act(api, staff, case["id"], action="convert", target="public_opinion_report")).json()
    report_id = converted["converted_to"]["id"]
    submitted = await api.post(f"/api/v1/reports/{report_id}/actions", headers=staff, json={"action": "submit"})
    assert submitted.status_code == 200, submitted.text
    upper = token_for(platform, "staff", submitted.json()["submitted_to"])
    adopted = await api.post(f"/api/v1/reports/{report_id}/actions", headers=upper,
                             json={"action": "adopt", "adopted_by": "city"})
    assert adopted.status_code == 200, adopted.text
    leader = token_for(platform, "leader", submitted.json()["submitted_to"])
    instructed = await api.post(f"/api/v1/reports/{report_id}/actions", headers=leader,
                                json={"action": "instruct", "text": "请水务局抓紧办理（内部）"})
    assert instructed.status_code == 200, instructed.text
    tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    texts = [a["text"] for a in tracked["answers"]]
    assert tracked["status"] == "replied" and any("市政协采用" in t for t in texts) and any("批示" in t for t in texts)
    assert not any("内部" in t for t in texts)  # the instruction's words stay internal


async def test_a_plenary_speech_conversion_creates_a_draft_with_its_source(world, db_pool):
    api = world["api"]
    case = await submit(api, content="建议加强农村饮水安全保障。详见调研。")
    converted = (await act(api, world["town_staff"], case["id"], action="convert", target="plenary_speech")).json()
    speech = await db_pool.fetchrow("SELECT * FROM feedback.plenary_speeches WHERE id = $1::uuid",
                                    converted["converted_to"]["id"])
    assert speech is not None and speech["status"] == "draft"
    assert (speech["source_kind"], speech["source_id"]) == ("opinion", case["id"])
    assert speech["org_unit"] == PINGLUO and speech["title"] == "建议加强农村饮水安全保障"


async def test_the_citizens_page_shows_the_chain_in_words(world, platform):
    """/t/{code} is the page a person reads: what became of the opinion (溯源) — escalated, converted
    into a proposal, its number, reply class and evaluation — in words, with nothing internal."""
    api, village = world["api"], token_for(platform, "staff", DONGFENG)
    case = await submit(api, member_id=world["member_id"], content="村口灌溉渠堵塞。影响春灌，请尽快疏通")
    escalated = await act(api, village, case["id"], action="escalate", reason="村里无力清淤", to_unit=PINGLUO)
    assert escalated.status_code == 200, escalated.text
    converted = (await act(api, world["county_staff"], case["id"], action="convert", target="proposal")).json()
    proposal_id = converted["converted_to"]["id"]
    await _proposal_through_to_evaluation(world, platform, proposal_id)
    number = (await api.get(f"/api/v1/proposals/{proposal_id}", headers=world["county_staff"])).json()["number"]
    page = (await api.get(f"/t/{case['tracking_code']}")).text
    assert "办理经过" in page
    for words in ("已报上级办理", "已转为提案", f"提案{number}", "A类", "提案者评价：满意"):
        assert words in page, f"the page does not say {words!r}"
    for internal in (case["id"], proposal_id, PINGLUO, "村里无力清淤", "escalated", "evaluated", "satisfied"):
        assert internal not in re.sub(r"value='[^']*'", "", page), internal  # the form's values aside
