"""Proposals from a member's draft to the proposer's evaluation."""

import asyncio
import uuid
from datetime import timedelta

import pytest
import pytest_asyncio
from feedback.domain.deadlines import today_in_china
from liaison_tools.testing import collect, header, token_for

from .conftest import PINGLUO, act, submit
from .test_security_proposals import seat

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module")
async def people(world, platform, db_pool):
    lead, partner = await seat(platform, db_pool, PINGLUO), await seat(platform, db_pool, PINGLUO)
    return {
        "lead": token_for(platform, "member", PINGLUO, member_id=lead), "lead_id": lead,
        "partner": token_for(platform, "member", PINGLUO, member_id=partner), "partner_id": partner,
        "stranger": token_for(platform, "member", PINGLUO, member_id=str(uuid.uuid4())),
        "leader": token_for(platform, "leader", PINGLUO),
    }


async def open_window(world, year=None):
    today = today_in_china()
    year = year or today.year
    response = await world["api"].put(f"/api/v1/proposal-sessions/{PINGLUO}/{year}", headers=world["county_staff"],
                                      json={"filing_opens": (today - timedelta(days=1)).isoformat(),
                                            "filing_closes": (today + timedelta(days=30)).isoformat()})
    assert response.status_code == 200, response.text


async def draft(world, people, **extra):
    body = {"committee": PINGLUO, "year": today_in_china().year, "title": "关于加快农田水利设施改造的提案",
            "body": "调研发现多村灌溉渠年久失修……", "kind": "joint", "co_signers": [people["partner_id"]], **extra}
    response = await world["api"].post("/api/v1/proposals", headers=people["lead"], json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def do(world, headers, proposal, **body):
    return await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions", headers=headers, json=body)


async def test_a_joint_proposal_from_draft_to_evaluation(world, people, platform):
    await open_window(world)
    proposal = await draft(world, people)
    early = await do(world, people["lead"], proposal, action="file")
    assert early.status_code == 409 and "co-signers still to confirm" in early.json()["error"]["message"]
    assert (await do(world, people["stranger"], proposal, action="sign")).status_code == 404
    assert (await do(world, people["partner"], proposal, action="sign")).status_code == 200
    filed = (await do(world, people["lead"], proposal, action="file")).json()
    assert filed["status"] == "filed" and filed["number"].startswith(f"{today_in_china().year}-")
    staff = world["county_staff"]
    assert (await do(world, staff, proposal, action="accept")).json()["status"] == "accepted"
    water, housing = world["departments"]["平罗县水务局"], world["departments"]["平罗县住建局"]
    assigned = (await do(world, staff, proposal, action="assign", lead_department=water,
                         co_departments=[housing])).json()
    assert assigned["status"] == "assigned" and assigned["deadline"]
    too_long = await do(world, staff, proposal, action="extend", months=4)
    assert too_long.status_code == 409  # six months at most
    assert (await do(world, staff, proposal, action="extend", months=2, reason="需跨年度预算")).status_code == 200
    waiting = await do(world, world["water"], proposal, action="reply", reply_class="B", text="正在实施")
    assert waiting.status_code == 409  # the co-handling unit's opinion comes first
    assert (await do(world, world["housing"], proposal, action="opinion", text="住建局配合实施")).status_code == 200
    assert (await do(world, world["water"], proposal, action="reply", reply_class="E", text="x")).status_code == 422
    replied = (await do(world, world["water"], proposal, action="reply", reply_class="B", text="已列入年度计划实施"))
    assert replied.json()["status"] == "replied" and replied.json()["reply_class"] == "B"
    again = (await do(world, people["lead"], proposal, action="evaluate", evaluation="unsatisfied")).json()
    assert again["status"] == "assigned" and again["rehandled"]
    await do(world, world["housing"], proposal, action="opinion", text="再次配合")
    await do(world, world["water"], proposal, action="reply", reply_class="A", text="已完成改造")
    final = (await do(world, people["lead"], proposal, action="evaluate", evaluation="satisfied")).json()
    assert final["status"] == "evaluated"
    types = [header(r, "ce_type") for r in await collect(
        world["settings"], "cppcc.feedback.proposal", count=8, where=lambda r: r.key == proposal["id"].encode())]
    for wanted in ("filed", "accepted", "assigned", "replied", "evaluated"):
        assert f"cppcc.feedback.proposal.{wanted}.v1" in types


async def test_numbers_have_no_gaps_or_duplicates_under_concurrent_filing(world, people):
    await open_window(world)
    drafts = [await draft(world, people, kind="member", co_signers=[]) for _ in range(8)]
    results = await asyncio.gather(*(do(world, people["lead"], p, action="file") for p in drafts))
    numbers = sorted(int(r.json()["number"].split("-")[1]) for r in results)
    assert all(r.status_code == 200 for r in results)
    assert numbers == list(range(numbers[0], numbers[0] + 8))


async def test_filing_outside_the_window_is_refused(world, people):
    next_year = today_in_china().year + 1
    response = await world["api"].put(f"/api/v1/proposal-sessions/{PINGLUO}/{next_year}",
                                      headers=world["county_staff"],
                                      json={"filing_opens": f"{next_year}-01-05", "filing_closes": f"{next_year}-02-05"})
    assert response.status_code == 200
    proposal = await draft(world, people, kind="member", co_signers=[], year=next_year)
    refused = await do(world, people["lead"], proposal, action="file")
    assert refused.status_code == 409 and "filing window" in refused.json()["error"]["message"]


async def test_review_merges_rejects_into_an_opinion_and_returns(world, people, db_pool):
    await open_window(world)
    staff = world["county_staff"]
    first, second, third = [await draft(world, people, kind="member", co_signers=[]) for _ in range(3)]
    for p in (first, second, third):
        await do(world, people["lead"], p, action="file")
    merged = await do(world, staff, second, action="merge", into=first["id"])
    assert merged.json()["status"] == "merged"
    rejected = (await do(world, staff, third, action="reject", reason="属于具体事务，转为意见办理", turn_into="opinion")).json()
    assert rejected["status"] == "not_accepted"
    opinion_id = rejected["history"][-1]["detail"]["opinion_id"]
    assert await db_pool.fetchval("SELECT status FROM feedback.opinions WHERE id = $1::uuid", opinion_id) == "received"
    await do(world, staff, first, action="accept")
    await do(world, staff, first, action="assign", lead_department=world["departments"]["平罗县住建局"])
    returned = (await do(world, world["housing"], first, action="return", reason="应由水务局主办")).json()
    assert returned["status"] == "accepted"  # back to staff to assign again
    reassigned = await do(world, staff, first, action="assign", lead_department=world["departments"]["平罗县水务局"])
    assert reassigned.json()["status"] == "assigned"


async def test_key_proposals_are_supervised_by_a_leader(world, people):
    await open_window(world)
    proposal = await draft(world, people, kind="member", co_signers=[])
    await do(world, people["lead"], proposal, action="file")
    await do(world, world["county_staff"], proposal, action="accept")
    not_key = await do(world, people["leader"], proposal, action="progress", kind="visit", text="实地查看")
    assert not_key.status_code == 409
    assert (await do(world, world["county_staff"], proposal, action="mark_key")).status_code == 403
    marked = (await do(world, people["leader"], proposal, action="mark_key")).json()
    assert marked["key_proposal"]
    visit = (await do(world, people["leader"], proposal, action="progress", kind="visit", text="实地查看进度")).json()
    assert visit["history"][-1]["detail"] == {"kind": "visit", "text": "实地查看进度"}


async def test_scope_members_see_their_own_and_departments_their_assigned(world, people, platform):
    await open_window(world)
    proposal = await draft(world, people)
    assert (await world["api"].get(f"/api/v1/proposals/{proposal['id']}", headers=people["partner"])).status_code == 200
    assert (await world["api"].get(f"/api/v1/proposals/{proposal['id']}", headers=people["stranger"])).status_code == 404
    assert (await world["api"].get(f"/api/v1/proposals/{proposal['id']}", headers=world["water"])).status_code == 404
    mine = (await world["api"].get("/api/v1/proposals?limit=500", headers=people["partner"])).json()
    assert proposal["id"] in {p["id"] for p in mine["items"]}
    sibling = token_for(platform, "staff", "640205000000")
    assert (await world["api"].get(f"/api/v1/proposals/{proposal['id']}", headers=sibling)).status_code == 404


async def test_an_opinion_converted_to_a_proposal_drafts_it_with_the_source_linked(world):
    case = await submit(world["api"], member_id=world["member_id"])
    converted = await act(world["api"], world["town_staff"], case["id"], action="convert", target="proposal")
    target = converted.json()["history"][-1]["detail"]["target"]
    proposal = (await world["api"].get(f"/api/v1/proposals/{target['id']}", headers=world["county_staff"])).json()
    assert proposal["source"] == {"kind": "opinion", "id": case["id"]}
    assert proposal["status"] == "draft" and proposal["committee"] == PINGLUO


async def test_figures_by_committee(world, people):
    async def filed() -> tuple[int, float | None]:
        figures = (await world["api"].get(f"/api/v1/proposals/stats?committee={PINGLUO}",
                                          headers=world["county_staff"])).json()
        row = next((f for f in figures if f["key"] == PINGLUO), {"filed": 0, "filing_rate": None})
        return row["filed"], row["filing_rate"]

    before, _ = await filed()  # whatever other tests filed: only this test's filing is counted
    await open_window(world)
    proposal = await draft(world, people, title="关于统计立案率的提案")
    await do(world, people["partner"], proposal, action="sign")
    assert (await do(world, people["lead"], proposal, action="file")).status_code == 200
    after, rate = await filed()
    assert after == before + 1 and rate is not None


async def test_a_consultation_outcome_to_be_proposed_becomes_a_draft_with_its_source(world, platform, db_pool):
    from liaison_shared.contracts.consultation import ConsultationOutcomeConverted
    from liaison_shared.contracts.feedback import OutcomeRef
    from liaison_shared.events import Envelope
    from liaison_tools.testing import eventually, produce_raw

    target, source = str(uuid.uuid4()), str(uuid.uuid4())
    event = ConsultationOutcomeConverted(
        source=OutcomeRef(kind="consultation_outcome", id=source), target=OutcomeRef(kind="proposal", id=target),
        org_unit="640221100201", title="关于建立村级议事协商长效机制的提案", member_ids=[world["member_id"]])
    envelope = Envelope.wrap(event, subject=source, org_unit="640221100201")
    await produce_raw(platform, "cppcc.consultation.outcome",
                      [(envelope.key.encode(), envelope.value(), envelope.headers())])
    await eventually(lambda: db_pool.fetchval("SELECT true FROM feedback.proposals WHERE id = $1::uuid", target),
                     timeout=30)
    proposal = (await world["api"].get(f"/api/v1/proposals/{target}", headers=world["county_staff"])).json()
    assert proposal["source"] == {"kind": "consultation_outcome", "id": source}
    assert proposal["committee"] == PINGLUO and proposal["proposer_member_id"] == world["member_id"]


async def test_a_reply_is_public_only_with_every_proposers_consent(world, people):
    await open_window(world)
    proposal = await draft(world, people, title="关于公开答复的提案")
    await do(world, people["partner"], proposal, action="sign")
    await do(world, people["lead"], proposal, action="file")
    staff = world["county_staff"]
    await do(world, staff, proposal, action="accept")
    water = world["departments"]["平罗县水务局"]
    await do(world, staff, proposal, action="assign", lead_department=water)
    assert (await do(world, staff, proposal, action="publish_reply")).status_code == 409  # no reply yet
    await do(world, world["water"], proposal, action="reply", reply_class="A", text="已完成改造")

    assert (await do(world, people["lead"], proposal, action="consent_disclosure")).status_code == 200
    refused = await do(world, staff, proposal, action="publish_reply")
    assert refused.status_code == 409 and "1 proposer(s)" in refused.json()["error"]["message"]
    assert (await do(world, people["lead"], proposal, action="publish_reply")).status_code == 403  # staff's to do
    await do(world, people["partner"], proposal, action="consent_disclosure")
    published = await do(world, staff, proposal, action="publish_reply")
    assert published.status_code == 200 and published.json()["reply_published_at"]

    api = world["api"]
    shown = (await api.get(f"/api/v1/public/proposals/{proposal['id']}")).json()  # no token
    assert (shown["reply_class"], shown["reply_text"], shown["proposers"]) == ("A", "已完成改造", ["王建国", "王建国"])
    assert "body" not in shown and "signers" not in shown
    listed = (await api.get(f"/api/v1/public/proposals?committee={PINGLUO}")).json()
    assert proposal["id"] in {p["id"] for p in listed["items"]}
    # a proposer who changes its mind takes the reply out of the public at once
    await do(world, people["partner"], proposal, action="consent_disclosure", consent=False)
    assert (await api.get(f"/api/v1/public/proposals/{proposal['id']}")).status_code == 404
