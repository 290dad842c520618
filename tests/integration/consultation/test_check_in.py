"""扫码签到 (issue 21.5) and the score's rules for sessions and research (issue 20.1), on the real
broker and database: the organiser is given a signed code and its QR for an activity, a reception
day and a consultation session; 马红梅 scans it and is recorded present — the activity names her,
her 履职档案 shows the check-in, the session counts as attended (consultation hears it) and her score
moves by the committee's rules. A repeated scan, an expired or foreign code, a code outside its
occasion's window, a tampered one, an uninvited member: nothing changes, counted row by row."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from liaison_shared import checkin
from liaison_shared.chinatime import today_in_china
from liaison_tools.testing import eventually

from .conftest import DONGFENG, PINGLUO, act, hours_from_now, ok, topic

YEAR = today_in_china().year


@pytest_asyncio.fixture(scope="module")
async def occasions(world, db_pool):
    """Today's seminar at 东风村 (logged by county staff for 李建国), a reception day of 马红梅 about
    to start, one next week, and a session of an approved topic starting within the grace period."""
    members, staff, api = world["members"], world["county_staff"], world["api"]
    people = world["people"]
    seminar = await ok(await members.post("/api/v1/activities", headers=staff, json={
        "type": "seminar", "title": "东风村灌溉渠座谈会", "org_unit": DONGFENG,
        "occurred_on": today_in_china().isoformat(), "member_ids": [people["李建国"]], "people_reached": 20}), 201)
    soon = datetime.now(UTC) + timedelta(minutes=10)
    day = await ok(await members.post("/api/v1/reception-days", headers=staff, json={
        "member_id": people["马红梅"], "venue_id": world["venue_id"], "starts_at": soon.isoformat(),
        "ends_at": (soon + timedelta(hours=2)).isoformat(), "capacity": 20}), 201)
    later = datetime.now(UTC) + timedelta(days=7)
    next_week = await ok(await members.post("/api/v1/reception-days", headers=staff, json={
        "member_id": people["马红梅"], "venue_id": world["venue_id"], "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(hours=2)).isoformat(), "capacity": 20}), 201)

    village = world["village_staff"]
    tid = (await topic(world, village, title="东风村灌溉渠清淤（签到）"))["id"]
    await ok(await act(world, village, tid, action="select", track="standard"))
    await ok(await act(world, village, tid, action="submit_plan", plan={
        "form": "基层搭台、政协嵌入", "participants": "委员、村民代表", "schedule": "本周"}))
    await ok(await act(world, world["county_leader"], tid, action="approve"))
    session = await ok(await api.post("/api/v1/sessions", headers=village, json={
        "topic_id": tid, "title": "灌溉渠清淤协商会", "form": "议事厅", "starts_at": hours_from_now(0.2),
        "ends_at": hours_from_now(2), "venue_id": world["venue_id"], "member_ids": [people["马红梅"]]}), 201)

    async def projected():
        return await db_pool.fetchval("SELECT count(*) FROM members.consultation_sessions WHERE id = $1",
                                      session["id"]) == 1

    await eventually(projected, timeout=30)
    yield {"seminar": seminar["id"], "day": day["id"], "next_week": next_week["id"], "topic": tid,
           "session": session["id"]}

    # this module's 马红梅 leaves 东风村's contact point, so the next module's sessions there invite
    # only its own (default invitees are the members assigned to the contact point)
    me = people["马红梅"]
    left = await members.delete(f"/api/v1/members/{me}/assignments/{DONGFENG}", headers=world["admin"])
    assert left.status_code == 204, left.text

    async def released():
        return not await db_pool.fetchval("SELECT $2 = ANY(contact_points) FROM consultation.members WHERE id = $1",
                                          me, DONGFENG)

    await eventually(released, timeout=30)


async def _code(world, occasion: str, occasion_id: str, headers=None) -> dict:
    response = await world["members"].get(f"/api/v1/check-in-codes/{occasion}/{occasion_id}",
                                          headers=headers or world["village_staff"])
    assert response.status_code == 200, response.text
    return response.json()


async def _check_in(world, code: str, headers=None):
    return await world["members"].post("/api/v1/check-ins", headers=headers or world["member"], json={"code": code})


async def _state(world, db_pool) -> dict:
    """What a check-in may change: its rows, the activity's participants, her file and score, and the
    events members has put in its outbox."""
    me = world["people"]["马红梅"]
    record = await world["members"].get(f"/api/v1/members/{me}/record?year={YEAR}", headers=world["member"])
    assert record.status_code == 200, record.text
    body = record.json()
    return {
        "check_ins": await db_pool.fetchval("SELECT count(*) FROM members.check_ins"),
        "participants": await db_pool.fetchval("SELECT count(*) FROM members.activity_participants"),
        "work": await db_pool.fetchval("SELECT count(*) FROM members.member_work WHERE member_id = $1", me),
        "outbox": await db_pool.fetchval("SELECT count(*) FROM members.outbox WHERE topic IN "
                                         "('cppcc.members.attendance', 'cppcc.members.activity')"),
        "score": body["score"], "breakdown": body["score_breakdown"], "summary": body["summary"],
    }


async def test_the_organiser_gets_a_signed_code_with_its_qr_and_others_do_not(world, occasions):
    code = await _code(world, "activity", occasions["seminar"])
    assert code["svg"].startswith("<svg") and "座谈会" in code["svg"]
    assert code["link"].endswith(f"?code={code['code']}")
    valid_from, expires = datetime.fromisoformat(code["valid_from"]), datetime.fromisoformat(code["expires_at"])
    assert timedelta(0) < expires - valid_from <= timedelta(seconds=world["settings"].checkin_code_ttl_s)
    assert expires <= datetime.fromisoformat(code["window_closes"])
    members = world["members"]
    # not an organiser: the member itself, a department (403); staff of another county (404)
    for headers, status in ((world["member"], 403), (world["water"], 403), (world["huinong_staff"], 404),
                            (world["sibling_staff"], 404)):
        response = await members.get(f"/api/v1/check-in-codes/activity/{occasions['seminar']}", headers=headers)
        assert response.status_code == status, (headers, response.text)
    # no code for a reception day next week: its window is not open
    closed = await members.get(f"/api/v1/check-in-codes/reception_day/{occasions['next_week']}",
                               headers=world["village_staff"])
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "outside_window"
    missing = await members.get(f"/api/v1/check-in-codes/activity/{uuid.uuid4()}", headers=world["village_staff"])
    assert missing.status_code == 404
    # the code is no bearer token
    assert (await members.get("/api/v1/activities", headers={"Authorization": f"Bearer {code['code']}"})
            ).status_code == 401


async def test_a_member_checks_in_at_an_activity_and_its_record_and_score_follow(world, occasions, db_pool):
    me, members = world["people"]["马红梅"], world["members"]
    before = await _state(world, db_pool)
    code = (await _code(world, "activity", occasions["seminar"]))["code"]
    first = await _check_in(world, code)
    assert first.status_code == 201, first.text
    assert first.json()["already_recorded"] is False and first.json()["member_id"] == me
    after = await _state(world, db_pool)
    assert after["check_ins"] == before["check_ins"] + 1 and after["participants"] == before["participants"] + 1
    assert after["outbox"] == before["outbox"] + 2  # attendance.recorded, and the activity with her in it
    activity = (await members.get(f"/api/v1/activities/{occasions['seminar']}", headers=world["member"])).json()
    assert me in activity["member_ids"]
    record = (await members.get(f"/api/v1/members/{me}/record?year={YEAR}", headers=world["member"])).json()
    mine = next(a for a in record["activities"] if a["id"] == occasions["seminar"])
    assert mine["checked_in_at"] is not None
    rules = (await members.get(f"/api/v1/assessments/rules?org_unit={PINGLUO}&year={YEAR}",
                               headers=world["county_staff"])).json()["rules"]
    gained = after["breakdown"]["activities"] - before["breakdown"]["activities"]
    assert gained == min(rules["activity_points"]["seminar"], rules["activity_cap"] - before["breakdown"]["activities"])
    # staff see who checked in
    present = await members.get(f"/api/v1/check-ins?occasion=activity&occasion_id={occasions['seminar']}",
                                headers=world["county_staff"])
    assert [p["member_id"] for p in present.json()["items"]] == [me]

    # the same code again, and a fresh code: recorded already, nothing changes
    again = await _check_in(world, code)
    assert again.status_code == 200 and again.json()["already_recorded"] is True
    assert again.json()["checked_in_at"] == first.json()["checked_in_at"]
    fresh = await _check_in(world, (await _code(world, "activity", occasions["seminar"]))["code"])
    assert fresh.status_code == 200 and fresh.json()["already_recorded"] is True
    assert await _state(world, db_pool) == after


async def test_forged_expired_and_out_of_window_codes_change_nothing(world, occasions, db_pool):
    key = checkin.key_of(world["settings"])
    now = datetime.now(UTC)
    genuine = (await _code(world, "reception_day", occasions["day"]))["code"]
    head, body, signature = genuine.split(".")
    tampered_signature = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    other = checkin.issue(b"not-the-platforms-key-but-32-bytes!", "reception_day", occasions["day"],
                          not_before=now, expires=now + timedelta(minutes=5))
    swapped = checkin.issue(key, "reception_day", occasions["next_week"], not_before=now,
                            expires=now + timedelta(minutes=5)).split(".")[1]
    expired = checkin.issue(key, "reception_day", occasions["day"], not_before=now - timedelta(minutes=10),
                            expires=now - timedelta(minutes=5))
    # genuinely signed now, for a reception day whose window opens next week (a code of a moved day)
    not_yet = checkin.issue(key, "reception_day", occasions["next_week"], not_before=now,
                            expires=now + timedelta(minutes=5))
    before = await _state(world, db_pool)
    cases = [
        (f"{head}.{body}.{tampered_signature}", 403, "invalid_code"),
        (f"{head}.{swapped}.{signature}", 403, "invalid_code"),  # another occasion under this signature
        (other, 403, "invalid_code"),
        (world["member"]["Authorization"].removeprefix("Bearer "), 403, "invalid_code"),
        ("x" * 40, 403, "invalid_code"),
        (expired, 409, "code_expired"),
        (not_yet, 409, "outside_window"),
    ]
    for code, status, error in cases:
        response = await _check_in(world, code)
        assert response.status_code == status, (error, response.text)
        assert response.json()["error"]["code"] == error
    # staff cannot check in; an uninvited member cannot check in at the session
    session_code = (await _code(world, "session", occasions["session"]))["code"]
    assert (await _check_in(world, session_code, world["county_staff"])).status_code == 403
    refused = await _check_in(world, session_code, world["uninvited_member"])
    assert refused.status_code == 403 and "invited" in refused.json()["error"]["message"]
    assert (await world["members"].post("/api/v1/check-ins", json={"code": genuine})).status_code == 401
    assert await _state(world, db_pool) == before


async def test_her_reception_day_is_attested_in_her_file(world, occasions, db_pool):
    before = await _state(world, db_pool)
    checked = await _check_in(world, (await _code(world, "reception_day", occasions["day"]))["code"])
    assert checked.status_code == 201, checked.text
    record = (await world["members"].get(f"/api/v1/members/{world['people']['马红梅']}/record?year={YEAR}",
                                         headers=world["member"])).json()
    day = next(d for d in record["reception_days"] if d["id"] == occasions["day"])
    assert day["checked_in_at"] == checked.json()["checked_in_at"] and day["own"] is True
    assert record["summary"]["checked_in"] == before["summary"]["checked_in"] + 1


async def test_session_attendance_and_research_credit_her_score_by_the_rules(world, occasions, db_pool):
    me, members, api = world["people"]["马红梅"], world["members"], world["api"]
    before = await _state(world, db_pool)
    checked = await _check_in(world, (await _code(world, "session", occasions["session"]))["code"])
    assert checked.status_code == 201, checked.text
    rules = (await members.get(f"/api/v1/assessments/rules?org_unit={PINGLUO}&year={YEAR}",
                               headers=world["county_staff"])).json()
    after = await _state(world, db_pool)
    assert after["breakdown"]["sessions_attended"] == min(
        before["breakdown"]["sessions_attended"] + rules["rules"]["per_session_attended"], rules["rules"]["session_cap"])
    assert after["summary"]["sessions_attended"] == before["summary"]["sessions_attended"] + 1

    async def present_in_consultation():  # the event travelled: consultation counts her present
        session = await api.get(f"/api/v1/sessions/{occasions['session']}", headers=world["village_staff"])
        return me in session.json()["attended_member_ids"]

    await eventually(present_in_consultation, timeout=30)

    # research on the topic (学习调研): consultation announces it, her file and score count it
    research = await api.post(f"/api/v1/topics/{occasions['topic']}/research", headers=world["member"], json={
        "kind": "field_visit", "title": "实地查看三组渠道淤堵", "happened_on": today_in_china().isoformat()})
    assert research.status_code == 201, research.text

    async def researched():
        record = (await members.get(f"/api/v1/members/{me}/record?year={YEAR}", headers=world["member"])).json()
        return record if any(r["id"] == research.json()["id"] for r in record["research"]) else None

    record = await eventually(researched, timeout=30)
    field_visit = rules["rules"]["research_points"]["field_visit"]
    assert record["score_breakdown"]["research"] == min(before["breakdown"]["research"] + field_visit,
                                                        rules["rules"]["research_cap"])
    assert record["summary"]["research_field_visits"] == before["summary"]["research_field_visits"] + 1

    # the rules are data: the committee weighs sessions and field visits anew, the score follows
    changed = {**rules["rules"], "per_session_attended": 7, "session_cap": 100,
               "research_points": {"field_visit": 11, "material": 0}, "research_cap": 100}
    saved = await members.post("/api/v1/assessments/rules", headers=world["county_staff"],
                               json={"org_unit": PINGLUO, "year": YEAR, "rules": changed})
    assert saved.status_code == 201, saved.text
    now = (await members.get(f"/api/v1/members/{me}/record?year={YEAR}", headers=world["member"])).json()
    assert now["rule_version"] == saved.json()["version"]
    assert now["score_breakdown"]["sessions_attended"] == 7 * now["summary"]["sessions_attended"]
    assert now["score_breakdown"]["research"] == 11 * now["summary"]["research_field_visits"]
    score = (await members.get(f"/api/v1/members/{me}/score?year={YEAR}", headers=world["member"])).json()
    assert score["breakdown"] == now["score_breakdown"] and score["total"] == now["score"]
    # and the print view says it
    page = await members.get(f"/members/{me}/record/{YEAR}/print", headers=world["member"])
    assert page.status_code == 200 and "学习调研" in page.text and "参加协商议事" in page.text
    assert "扫码签到" in page.text and "实地查看三组渠道淤堵" in page.text


async def test_only_a_sector_groups_members_check_in_at_its_activity(world, occasions, db_pool):
    members, staff, people = world["members"], world["county_staff"], world["people"]
    sector_id = (await members.get(f"/api/v1/members/{people['李建国']}", headers=staff)).json()["sector_id"]
    group = await members.post("/api/v1/sector-groups", headers=staff, json={
        "sector_id": sector_id, "name": f"农业界活动组{uuid.uuid4().hex[:4]}", "convener_id": people["李建国"],
        "member_ids": [people["李建国"]]})
    assert group.status_code == 201, group.text
    held = await members.post(f"/api/v1/sector-groups/{group.json()['id']}/activities", headers=staff, json={
        "type": "seminar", "title": "农业界活动组座谈", "org_unit": DONGFENG,
        "occurred_on": today_in_china().isoformat(), "member_ids": [people["李建国"]]})
    assert held.status_code == 201, held.text
    before = await _state(world, db_pool)
    # 马红梅 is of the sector and the committee, but not of the group
    refused = await _check_in(world, (await _code(world, "activity", held.json()["id"]))["code"])
    assert refused.status_code == 403 and "group's members" in refused.json()["error"]["message"]
    assert await _state(world, db_pool) == before


async def _held_session(world, occasions, db_pool, title: str, starts_in_hours: float) -> str:
    """A session of the module's topic inviting 马红梅, once members knows it."""
    session = await ok(await world["api"].post("/api/v1/sessions", headers=world["village_staff"], json={
        "topic_id": occasions["topic"], "title": title, "form": "议事厅", "starts_at": hours_from_now(starts_in_hours),
        "ends_at": hours_from_now(2), "venue_id": world["venue_id"],
        "member_ids": [world["people"]["马红梅"]]}), 201)

    async def projected():
        return await db_pool.fetchval("SELECT count(*) FROM members.consultation_sessions WHERE id = $1",
                                      session["id"]) == 1

    await eventually(projected, timeout=30)
    return session["id"]


async def _refused_once_members_hears(world, session_id: str) -> dict:
    """The code request once members has heard the session is over: 409 (until then, a code)."""
    async def refused():
        response = await world["members"].get(f"/api/v1/check-in-codes/session/{session_id}",
                                               headers=world["village_staff"])
        return response.json()["error"] if response.status_code == 409 else None

    return await eventually(refused, timeout=30)


async def _session_rows(world, db_pool, session_id: str) -> dict:
    me = world["people"]["马红梅"]
    return {"check_ins": await db_pool.fetchval("SELECT count(*) FROM members.check_ins WHERE occasion = 'session'"
                                                " AND occasion_id = $1", session_id),
            "attended": await db_pool.fetchval("SELECT count(*) FROM members.member_work WHERE member_id = $1"
                                               " AND kind = 'session' AND ref_id = $2", me, session_id)}


async def test_a_cancelled_session_gives_no_code_and_takes_no_check_in(world, occasions, db_pool):
    """The review's case: consultation cancels a session (暴雨); members hears it, so staff get no
    code for it and a code shown before the cancellation credits nobody — both services agree."""
    sid = await _held_session(world, occasions, db_pool, "灌溉渠清淤协商会（第二次）", 0.2)
    shown_before = (await _code(world, "session", sid))["code"]
    cancelled = await world["api"].post(f"/api/v1/sessions/{sid}/actions", headers=world["village_staff"],
                                        json={"action": "cancel", "reason": "暴雨预警，议事厅停用"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text

    error = await _refused_once_members_hears(world, sid)
    assert error["code"] == "session_cancelled" and "cancelled" in error["message"]
    before, rows = await _state(world, db_pool), await _session_rows(world, db_pool, sid)
    late = await _check_in(world, shown_before)
    assert late.status_code == 409, late.text
    assert late.json()["error"]["code"] == "session_cancelled"
    assert await _state(world, db_pool) == before
    assert await _session_rows(world, db_pool, sid) == rows == {"check_ins": 0, "attended": 0}
    # consultation says the same: cancelled, nobody present
    held = (await world["api"].get(f"/api/v1/sessions/{sid}", headers=world["village_staff"])).json()
    assert held["status"] == "cancelled" and held["attended_member_ids"] == []
    # on the session's topic, keyed by the session: after its scheduling; each catalogue names it
    published = await db_pool.fetch("SELECT topic, record_key FROM consultation.outbox WHERE event_type = $1"
                                    " AND record_key = $2", "cppcc.consultation.session.cancelled.v1", sid)
    assert [tuple(r) for r in published] == [("cppcc.consultation.session", sid)]
    for service in ("api", "members"):
        messages = (await world[service].get("/asyncapi.json")).json()["components"]["messages"].values()
        assert "cppcc.consultation.session.cancelled.v1" in {m.get("name") or m.get("title") for m in messages}


async def test_a_concluded_session_takes_no_more_check_ins(world, occasions, db_pool):
    """Once concluded, consultation names who was present and takes no more attendance: a code shown
    during the session no longer checks anyone in at members either."""
    sid = await _held_session(world, occasions, db_pool, "灌溉渠清淤协商会（现场）", -0.1)
    shown_during = (await _code(world, "session", sid))["code"]
    concluded = await world["api"].post(f"/api/v1/sessions/{sid}/actions", headers=world["village_staff"],
                                        json={"action": "conclude", "minutes": "议定：三组渠道本月清淤。"})
    assert concluded.status_code == 200 and concluded.json()["status"] == "concluded", concluded.text

    error = await _refused_once_members_hears(world, sid)
    assert error["code"] == "session_concluded"
    # the conclusion itself credited her, as invited (nobody was recorded present): what follows changes nothing
    before, rows = await _state(world, db_pool), await _session_rows(world, db_pool, sid)
    assert rows == {"check_ins": 0, "attended": 1}
    late = await _check_in(world, shown_during)
    assert late.status_code == 409 and late.json()["error"]["code"] == "session_concluded", late.text
    assert await _state(world, db_pool) == before and await _session_rows(world, db_pool, sid) == rows
