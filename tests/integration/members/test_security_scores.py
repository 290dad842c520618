"""Issue 14, finding 9: a score counts only work that happened — the caller's own, with real opinions.

Opinions come from feedback's ``opinion.submitted`` events (members keeps a projection of them):
an activity names only opinions that exist and that its participants took in, and a satisfied
rating credits only the member who took the rated opinion in.
"""

import uuid

import pytest
from liaison_shared.contracts.feedback import (
    OpinionRated,
    OpinionSubmitted,
    OutcomeConverted,
    OutcomeRef,
    ProposalAccepted,
    ReportAdopted,
)
from liaison_shared.events import Envelope
from liaison_tools.testing import eventually, produce_raw, token_for

from .conftest import HUINONG, HUINONG_VILLAGE, PINGLUO, VILLAGE

pytestmark = pytest.mark.integration

OPINIONS = "cppcc.feedback.opinion"


async def _new_member(api, pingluo, name: str) -> str:
    response = await api.post("/api/v1/members", headers=pingluo["staff"], json={
        "name": name, "sector_id": pingluo["sector"]["id"], "org_unit": PINGLUO})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _publish(platform, *events, key: str) -> None:
    """Feedback's events as feedback would send them; one key keeps them in order."""
    envelopes = [Envelope.wrap(e, subject=e.opinion_id, org_unit=e.org_unit, key=key) for e in events]
    await produce_raw(platform, OPINIONS, [(key.encode(), e.value(), e.headers()) for e in envelopes])


def _submitted(opinion_id: str, member_id: str | None, org_unit: str = VILLAGE) -> OpinionSubmitted:
    return OpinionSubmitted(opinion_id=opinion_id, org_unit=org_unit, channel="visit", member_id=member_id)


def _visit(member_ids: list[str], opinion_ids: list[str] = (), **extra) -> dict:
    return {"type": "visit", "title": "走访东风村种植户，了解村口灌溉渠堵塞", "org_unit": VILLAGE,
            "occurred_on": "2026-06-01", "member_ids": member_ids, "opinion_ids": list(opinion_ids),
            "people_reached": 35, **extra}


async def _score(api, staff, member_id: str) -> dict:
    response = await api.get(f"/api/v1/members/{member_id}/score?year=2026", headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


async def _activities_of(api, staff, member_id: str) -> int:
    response = await api.get(f"/api/v1/activities?member_id={member_id}", headers=staff)
    return response.json()["total"]


async def test_a_member_cannot_credit_a_co_member_with_its_activity(members_api, pingluo, platform):
    me = pingluo["member"]["id"]
    co_member = await _new_member(members_api, pingluo, "张志强")
    token = token_for(platform, "member", PINGLUO, member_id=me)
    response = await members_api.post("/api/v1/activities", headers=token, json=_visit([me, co_member]))
    assert response.status_code == 403, response.text
    assert (await _score(members_api, pingluo["staff"], co_member))["total"] == 0
    assert await _activities_of(members_api, pingluo["staff"], co_member) == 0


async def test_forty_invented_opinions_are_refused_and_the_score_does_not_move(members_api, pingluo, platform):
    me = pingluo["member"]["id"]
    token = token_for(platform, "member", PINGLUO, member_id=me)
    before = await _score(members_api, pingluo["staff"], me)
    invented = [str(uuid.uuid4()) for _ in range(40)]
    response = await members_api.post("/api/v1/activities", headers=token, json=_visit([me], invented))
    assert response.status_code == 422, response.text
    assert "opinion" in response.json()["error"]["message"]
    assert await _score(members_api, pingluo["staff"], me) == before


async def test_reach_and_the_lists_of_an_activity_are_bounded(members_api, pingluo, platform):
    me = pingluo["member"]["id"]
    token = token_for(platform, "member", PINGLUO, member_id=me)
    before = await _activities_of(members_api, pingluo["staff"], me)
    for bad in (_visit([me], people_reached=1_000_000),
                _visit([me], [str(uuid.uuid4()) for _ in range(101)]),
                _visit([me] * 51),
                _visit([me], occurred_on="9999-12-31")):
        response = await members_api.post("/api/v1/activities", headers=token, json=bad)
        assert response.status_code == 422, response.text
    assert await _activities_of(members_api, pingluo["staff"], me) == before


async def test_an_opinion_another_member_took_in_is_not_mine_to_name(members_api, pingluo, platform):
    me = pingluo["member"]["id"]
    other = await _new_member(members_api, pingluo, "王建华")
    theirs, mine = str(uuid.uuid4()), str(uuid.uuid4())
    await _publish(platform, _submitted(theirs, other), _submitted(mine, me), key=mine)
    token = token_for(platform, "member", PINGLUO, member_id=me)

    async def mine_is_known():
        response = await members_api.post("/api/v1/activities", headers=token, json=_visit([me], [mine]))
        return response if response.status_code == 201 else None

    await eventually(mine_is_known, timeout=60)  # ``theirs`` came before it: it is known too
    response = await members_api.post("/api/v1/activities", headers=token, json=_visit([me], [theirs]))
    assert response.status_code == 422, response.text


async def test_one_opinion_counts_once_however_many_activities_name_it(members_api, pingluo, platform):
    me = await _new_member(members_api, pingluo, "刘淑芬")
    token = token_for(platform, "member", PINGLUO, member_id=me)
    opinion = str(uuid.uuid4())
    await _publish(platform, _submitted(opinion, me), key=opinion)

    async def logged():
        response = await members_api.post("/api/v1/activities", headers=token, json=_visit([me], [opinion]))
        return response if response.status_code == 201 else None

    await eventually(logged, timeout=60)
    again = await members_api.post("/api/v1/activities", headers=token, json=_visit([me], [opinion, opinion]))
    assert again.status_code == 201, again.text
    breakdown = (await _score(members_api, pingluo["staff"], me))["breakdown"]
    assert breakdown["opinions_taken_in"] == 0.5  # one opinion, not three
    assert breakdown["activities"] == 4.0


async def test_staff_name_members_of_their_own_committee_only(members_api, pingluo, platform):
    me = pingluo["member"]["id"]
    huinong = token_for(platform, "staff", HUINONG)
    foreign = await members_api.post("/api/v1/activities", headers=huinong, json={
        **_visit([me]), "org_unit": HUINONG_VILLAGE})
    assert foreign.status_code == 403, foreign.text
    co_member = await _new_member(members_api, pingluo, "赵永刚")
    ours = await members_api.post("/api/v1/activities", headers=pingluo["staff"], json=_visit([me, co_member]))
    assert ours.status_code == 201, ours.text


async def test_a_satisfied_rating_credits_only_the_member_who_took_the_opinion_in(
    members_api, pingluo, platform, db_pool
):
    me = await _new_member(members_api, pingluo, "陈玉兰")
    claimant = await _new_member(members_api, pingluo, "孙德明")
    taken_in, unknown, elsewhere = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await _publish(
        platform,
        _submitted(taken_in, me),
        _submitted(elsewhere, claimant, org_unit=HUINONG_VILLAGE),  # outside its committee
        OpinionRated(opinion_id=taken_in, org_unit=VILLAGE, rating="satisfied", member_id=claimant),
        OpinionRated(opinion_id=unknown, org_unit=VILLAGE, rating="satisfied", member_id=claimant),
        OpinionRated(opinion_id=elsewhere, org_unit=HUINONG_VILLAGE, rating="satisfied", member_id=claimant),
        OpinionRated(opinion_id=taken_in, org_unit=VILLAGE, rating="satisfied", member_id=me),
        key=taken_in,
    )

    async def credits_of(member_id: str) -> list[str]:
        rows = await db_pool.fetch("SELECT source_id FROM members.credits WHERE member_id = $1::uuid"
                                   " AND kind = 'satisfied_rating'", member_id)
        return [r["source_id"] for r in rows]

    # the last rating on the key is handled, so every one before it was
    assert await eventually(lambda: credits_of(me), timeout=60) == [taken_in]
    per = (await _rules(members_api, pingluo["staff"]))["per_satisfied_rating"]
    assert (await _score(members_api, pingluo["staff"], me))["breakdown"]["satisfied_ratings"] == per
    assert (await _score(members_api, pingluo["staff"], claimant))["breakdown"]["satisfied_ratings"] == 0


async def _rules(api, staff) -> dict:
    response = await api.get(f"/api/v1/assessments/rules?org_unit={PINGLUO}&year=2026", headers=staff)
    assert response.status_code == 200, response.text
    return response.json()["rules"]


async def test_a_credit_for_an_opinion_counts_once_the_opinion_arrives_whatever_the_order(
    members_api, pingluo, platform, db_pool
):
    """opinion.rated and opinion.submitted ride one topic, an opinion's conversion another: a
    conversion may be handled before the opinion behind it is known (always on a replay), and
    then counts once it is — for the member who took it in, and for nobody else."""
    me = await _new_member(members_api, pingluo, "马文斌")
    other = await _new_member(members_api, pingluo, "白雪梅")
    opinion = str(uuid.uuid4())
    converted = OutcomeConverted(source=OutcomeRef(kind="opinion", id=opinion),
                                 target=OutcomeRef(kind="proposal", id=f"p-{opinion}"),
                                 org_unit=VILLAGE, member_ids=[me, other])
    envelope = Envelope.wrap(converted, subject=opinion, org_unit=VILLAGE, key=opinion)
    await produce_raw(platform, envelope.topic, [(opinion.encode(), envelope.value(), envelope.headers())])

    async def stored() -> int:
        return await db_pool.fetchval("SELECT count(*) FROM members.credits WHERE opinion_id = $1", opinion)
    assert await eventually(lambda: stored(), timeout=60) == 2  # kept, not yet counted
    staff = pingluo["staff"]
    assert (await _score(members_api, staff, me))["breakdown"]["outcomes_converted"] == 0

    await _publish(platform, _submitted(opinion, me), key=opinion)
    per = (await _rules(members_api, staff))["per_outcome_converted"]

    async def counted():
        return (await _score(members_api, staff, me))["breakdown"]["outcomes_converted"] == per
    await eventually(counted, timeout=60)
    assert (await _score(members_api, staff, other))["breakdown"]["outcomes_converted"] == 0


async def test_credits_go_only_to_members_of_the_committee_and_of_the_opinion_behind_them(
    members_api, pingluo, platform, db_pool
):
    me = await _new_member(members_api, pingluo, "杨春华")
    other = await _new_member(members_api, pingluo, "黄立新")
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    await _publish(platform, _submitted(mine, me), _submitted(theirs, other), key=mine)

    def converted(opinion_id: str) -> OutcomeConverted:
        return OutcomeConverted(source=OutcomeRef(kind="opinion", id=opinion_id),
                                target=OutcomeRef(kind="proposal", id=f"p-{opinion_id}"),
                                org_unit=VILLAGE, member_ids=[me])

    # on each topic a wrong credit, then a right one behind it on the same key
    pairs = [
        (ProposalAccepted(proposal_id=f"b-{me}", number="2026-0001", org_unit=HUINONG, proposer_member_ids=[me]),
         ProposalAccepted(proposal_id=f"a-{me}", number="2026-0002", org_unit=PINGLUO, proposer_member_ids=[me])),
        (ReportAdopted(report_id=f"b-{me}", kind="public_opinion_report", org_unit=HUINONG, adopted_by="city",
                       case_ids=[], member_ids=[me]),
         ReportAdopted(report_id=f"a-{me}", kind="public_opinion_report", org_unit=PINGLUO, adopted_by="city",
                       case_ids=[], member_ids=[me])),
        (converted(theirs), converted(mine)),
    ]
    for wrong, right in pairs:
        envelopes = [Envelope.wrap(e, subject=me, org_unit=e.org_unit, key=me) for e in (wrong, right)]
        await produce_raw(platform, envelopes[0].topic,
                          [(me.encode(), e.value(), e.headers()) for e in envelopes])

    async def credited():
        rows = await db_pool.fetch("SELECT kind, source_id FROM members.credits WHERE member_id = $1::uuid", me)
        found = {(r["kind"], r["source_id"]) for r in rows}
        rights = {("proposal_accepted", f"a-{me}"), ("report_adopted", f"a-{me}"),
                  ("outcome_converted", f"proposal:p-{mine}")}
        return found if rights <= found else None

    # the right one of each pair is behind the wrong one on its key: once it is in, both were handled
    found = await eventually(credited, timeout=60)
    # another committee's work is not even kept; a conversion of someone else's opinion is kept
    # with its opinion (its own event might come later) but never counts for this member
    assert found == {("proposal_accepted", f"a-{me}"), ("report_adopted", f"a-{me}"),
                     ("outcome_converted", f"proposal:p-{mine}"), ("outcome_converted", f"proposal:p-{theirs}")}
    rules, points = await _rules(members_api, pingluo["staff"]), None

    async def scored():
        nonlocal points
        points = (await _score(members_api, pingluo["staff"], me))["breakdown"]
        return points["outcomes_converted"] == rules["per_outcome_converted"]
    await eventually(scored, timeout=30)
    assert points["proposals_accepted"] == rules["per_proposal_accepted"]
    assert points["reports_adopted"] == rules["per_report_adopted"]
