"""Reports: composed from cases, submitted upward, adopted, instructed — and back to cases and authors."""

import uuid

import pytest
from liaison_tools.testing import eventually, token_for

from .conftest import CITY, HUANGQUQIAO, PINGLUO, act, submit

pytestmark = pytest.mark.integration


async def test_a_report_climbs_is_adopted_and_instructed_and_the_cases_hear_of_it(world, platform):
    api, town = world["api"], world["town_staff"]
    cases = [await submit(api) for _ in range(2)]
    author = world["member_id"]
    created = await api.post("/api/v1/reports", headers=town, json={
        "kind": "public_opinion_report", "title": "关于农田灌溉渠清淤的社情民意",
        "case_ids": [c["id"] for c in cases], "member_ids": [author]})
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["org_unit"] == HUANGQUQIAO and report["status"] == "draft"
    edited = await api.patch(f"/api/v1/reports/{report['id']}", headers=town, json={"body": "多村反映灌溉渠堵塞。"})
    assert edited.json()["body"] == "多村反映灌溉渠堵塞。"
    submitted = await api.post(f"/api/v1/reports/{report['id']}/actions", headers=town, json={"action": "submit"})
    assert submitted.json()["status"] == "submitted" and submitted.json()["submitted_to"] == PINGLUO
    assert (await api.patch(f"/api/v1/reports/{report['id']}", headers=town, json={"title": "x"})).status_code == 409
    too_early = await api.post(f"/api/v1/reports/{report['id']}/actions",
                               headers=token_for(platform, "leader", PINGLUO), json={"action": "instruct", "text": "请办"})
    assert too_early.status_code == 409
    not_the_receiver = await api.post(f"/api/v1/reports/{report['id']}/actions", headers=town,
                                      json={"action": "adopt"})
    assert not_the_receiver.status_code == 403
    adopted = await api.post(f"/api/v1/reports/{report['id']}/actions", headers=world["county_staff"],
                             json={"action": "adopt", "adopted_by": "province"})
    assert adopted.json()["status"] == "adopted" and adopted.json()["adopted_by"] == "province"
    staff_instruct = await api.post(f"/api/v1/reports/{report['id']}/actions", headers=world["county_staff"],
                                    json={"action": "instruct", "text": "请水务局落实"})
    assert staff_instruct.status_code == 403
    instructed = await api.post(f"/api/v1/reports/{report['id']}/actions",
                                headers=token_for(platform, "leader", CITY),
                                json={"action": "instruct", "text": "请市水务局牵头落实"})
    assert instructed.json()["instructions"][0]["text"] == "请市水务局牵头落实"
    history = (await api.get(f"/api/v1/opinions/{cases[0]['id']}", headers=town)).json()["history"]
    assert [h["action"] for h in history][-2:] == ["report_adopted", "instruction"]


async def test_converting_a_case_to_a_special_report_drafts_it(world):
    api, town = world["api"], world["town_staff"]
    case = await submit(api)
    converted = await act(api, town, case["id"], action="convert", target="special_report")
    target = converted.json()["history"][-1]["detail"]["target"]
    report = (await api.get(f"/api/v1/reports/{target['id']}", headers=town)).json()
    assert report["kind"] == "special_report" and report["case_ids"] == [case["id"]]
    assert report["status"] == "draft"


async def test_a_sibling_cannot_see_a_report(world, platform):
    api = world["api"]
    report = (await api.post("/api/v1/reports", headers=world["town_staff"], json={
        "kind": "special_report", "title": "专报"})).json()
    sibling = token_for(platform, "staff", "640221101000")
    assert (await api.get(f"/api/v1/reports/{report['id']}", headers=sibling)).status_code == 404
    assert (await api.post(f"/api/v1/reports/{report['id']}/actions", headers=sibling,
                           json={"action": "submit"})).status_code == 404
    foreign_case = await api.post("/api/v1/reports", headers=sibling, json={
        "kind": "special_report", "title": "x", "case_ids": [str(uuid.uuid4())]})
    assert foreign_case.status_code == 422


async def test_an_adopted_report_counts_for_its_member_authors(world, platform, db_pool):
    api = world["api"]
    member = world["member_id"]
    report = (await api.post("/api/v1/reports", headers=world["town_staff"], json={
        "kind": "public_opinion_report", "title": "计分测试", "member_ids": [member]})).json()
    await api.post(f"/api/v1/reports/{report['id']}/actions", headers=world["town_staff"], json={"action": "submit"})
    await api.post(f"/api/v1/reports/{report['id']}/actions", headers=world["county_staff"], json={"action": "adopt"})
    credited = await eventually(lambda: db_pool.fetchval(
        "SELECT count(*) FROM members.credits WHERE member_id = $1::uuid AND kind = 'report_adopted'"
        " AND source_id = $2", member, report["id"]), timeout=30)
    assert credited == 1


async def test_a_consultation_outcome_for_a_department_becomes_a_tracked_case(world, platform, db_pool):
    from liaison_shared.contracts.consultation import ConsultationOutcomeConverted
    from liaison_shared.contracts.feedback import OutcomeRef
    from liaison_shared.events import Envelope
    from liaison_shared.kafka import ensure_topics
    from liaison_tools.testing import produce_raw

    task_id = str(uuid.uuid4())
    water = world["departments"]["平罗县水务局"]
    event = ConsultationOutcomeConverted(
        source=OutcomeRef(kind="consultation_outcome", id=str(uuid.uuid4())),
        target=OutcomeRef(kind="department_task", id=task_id), org_unit=PINGLUO,
        title="协商议定：年内完成东风村灌溉渠改造", department_ids=[water], deadline="2027-06-30")
    envelope = Envelope.wrap(event, subject=event.source.id, org_unit=PINGLUO)
    await ensure_topics(platform, {"cppcc.consultation.outcome": {}})
    record = (envelope.key.encode(), envelope.value(), envelope.headers())
    await produce_raw(platform, "cppcc.consultation.outcome", [record, record])
    row = await eventually(lambda: db_pool.fetchrow(
        "SELECT status, channel, deadline::text AS deadline FROM feedback.opinions WHERE id = $1::uuid", task_id),
        timeout=30)
    assert (row["status"], row["channel"], row["deadline"]) == ("assigned", "consultation", "2027-06-30")
    seen = await world["api"].get(f"/api/v1/opinions/{task_id}", headers=world["water"])
    assert seen.status_code == 200 and seen.json()["assignments"][0]["department_id"] == water
