"""Issue 14, the consultation service's part: sessions gated by invitation, departments and
members named only on the line of the session's unit, a member credits only themself, a
converted opinion never joins another county's topic, support counted once per person, and
nulls and inconsistent dates refused at the model — each refusal writing nothing."""

import uuid

from liaison_tools.testing import eventually

from .conftest import CHENGGUAN, DONGFENG, HUANGQUQIAO, HUINONG, act, hours_from_now, ok, topic

TABLES = ("topics", "topic_sources", "topic_history", "topic_supports", "research", "sessions",
          "session_opinions", "outcomes", "outbox")


async def snapshot(db_pool) -> dict:
    """Every row of the consultation tables a request could write, as text: equal means nothing changed."""
    out = {}
    for table in TABLES:
        # the relay marks outbox rows sent at its own pace: the events themselves are compared
        row = "(t.event_id, t.event_type, t.payload)::text" if table == "outbox" else "t::text"
        rows = await db_pool.fetch(f"SELECT {row} AS row FROM consultation.{table} t")
        out[table] = sorted(r["row"] for r in rows)
    return out


async def village_session(world, **body) -> dict:
    """A small matter of 东风村 with a session that has started; 马红梅 is invited by default."""
    api, staff = world["api"], world["village_staff"]
    tid = (await topic(world, staff, title="村口路灯不亮"))["id"]
    await ok(await act(world, staff, tid, action="select", track="small_matter"))
    return await ok(await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "路灯小微协商", "form": "小微协商", "starts_at": hours_from_now(-1),
        "location": "村委会广场", **body}), 201)


async def test_uninvited_member_of_the_county_neither_reads_nor_writes_a_session(world, db_pool):
    api, people = world["api"], world["people"]
    session = await village_session(world)
    assert people["马红梅"] in session["member_ids"] and people["李建国"] not in session["member_ids"]
    path = f"/api/v1/sessions/{session['id']}"
    before = await snapshot(db_pool)
    stranger = world["uninvited_member"]
    assert (await api.get(path, headers=stranger)).status_code == 404
    raised = await api.post(f"{path}/opinions", headers=stranger, json={
        "content": "路灯坏了三个月", "disposition": "assigned", "department_ids": [world["departments"]["惠农区水务局"]],
        "member_id": people["马红梅"]})
    assert raised.status_code == 404, raised.text
    assert (await api.post(f"{path}/opinions", headers=stranger, json={"content": "路灯坏了"})).status_code == 404
    listed = await ok(await api.get("/api/v1/sessions", headers=stranger, params={"limit": 500}))
    assert session["id"] not in {s["id"] for s in listed["items"]}
    assert await snapshot(db_pool) == before
    # the invited member reads it and records what a resident said, credited to herself
    assert (await api.get(path, headers=world["member"])).status_code == 200
    mine = await ok(await api.post(f"{path}/opinions", headers=world["member"], json={"content": "路灯坏了三个月"}),
                    201)
    row = await db_pool.fetchrow("SELECT member_id FROM consultation.session_opinions WHERE id = $1::uuid", mine["id"])
    assert row["member_id"] == people["马红梅"]


async def test_departments_named_in_a_session_opinion_are_within_its_unit(world, db_pool):
    api, staff, departments = world["api"], world["village_staff"], world["departments"]
    session = await village_session(world)
    path = f"/api/v1/sessions/{session['id']}/opinions"
    before = await snapshot(db_pool)
    for disposition in ("assigned", "received", "escalated"):
        foreign = await api.post(path, headers=staff, json={
            "content": "排水口需加装闸门", "disposition": disposition, "department_ids": [departments["惠农区水务局"]]})
        assert foreign.status_code == 422, (disposition, foreign.text)
    assert await snapshot(db_pool) == before
    # the county's own bureau (a unit above the village) takes it
    await ok(await api.post(path, headers=staff, json={
        "content": "排水口需加装闸门", "disposition": "assigned", "department_ids": [departments["平罗县水务局"]]}), 201)


async def test_a_member_credits_only_herself_and_staff_only_members_of_the_line(world, db_pool):
    api, staff, people = world["api"], world["village_staff"], world["people"]
    session = await village_session(world)
    path = f"/api/v1/sessions/{session['id']}/opinions"
    before = await snapshot(db_pool)
    other = await api.post(path, headers=world["member"], json={"content": "路灯坏了", "member_id": people["李建国"]})
    assert other.status_code == 422, other.text
    for member_id in (people["王淑芬"], "no-such-member"):
        refused = await api.post(path, headers=staff, json={"content": "路灯坏了", "member_id": member_id})
        assert refused.status_code == 422, (member_id, refused.text)
    assert await snapshot(db_pool) == before
    own = await ok(await api.post(path, headers=world["member"], json={
        "content": "路灯坏了", "member_id": people["马红梅"]}), 201)
    chosen = await ok(await api.post(path, headers=staff, json={"content": "路灯坏了", "member_id": people["李建国"]}),
                      201)
    rows = await db_pool.fetch("SELECT id::text, member_id FROM consultation.session_opinions"
                               " WHERE id = ANY($1::uuid[])", [own["id"], chosen["id"]])
    assert {r["id"]: r["member_id"] for r in rows} == {own["id"]: people["马红梅"], chosen["id"]: people["李建国"]}


async def test_sessions_invite_and_record_only_people_and_places_of_the_line(world, db_pool):
    api, staff, people, departments = world["api"], world["village_staff"], world["people"], world["departments"]
    tid = (await topic(world, staff, title="村口路灯不亮"))["id"]
    await ok(await act(world, staff, tid, action="select", track="small_matter"))
    base = {"topic_id": tid, "title": "路灯小微协商", "form": "小微协商", "starts_at": hours_from_now(-1)}
    huinong_venue = await world["members"].post("/api/v1/venues", headers=world["admin"], json={
        "kind": "deliberation_hall", "name": f"惠农区议事厅({uuid.uuid4().hex[:6]})", "org_unit": HUINONG})
    assert huinong_venue.status_code == 201, huinong_venue.text
    await eventually(lambda: db_pool.fetchval("SELECT count(*) FROM consultation.venues WHERE id = $1",
                                              huinong_venue.json()["id"]), timeout=30)
    before = await snapshot(db_pool)
    for extra in ({"member_ids": [people["王淑芬"]]}, {"department_ids": [departments["惠农区水务局"]]},
                  {"venue_id": huinong_venue.json()["id"]}):
        response = await api.post("/api/v1/sessions", headers=staff, json={**base, **extra})
        assert response.status_code == 422, (extra, response.text)
    assert await snapshot(db_pool) == before
    session = await ok(await api.post("/api/v1/sessions", headers=staff, json=base), 201)
    before = await snapshot(db_pool)
    for extra in ({"member_ids": [people["王淑芬"]]}, {"department_ids": [departments["惠农区水务局"]]}):
        response = await api.post(f"/api/v1/sessions/{session['id']}/actions", headers=staff,
                                  json={"action": "attend", **extra})
        assert response.status_code == 422, (extra, response.text)
    assert await snapshot(db_pool) == before


async def test_research_credits_only_the_calling_member_and_members_of_the_line(world, db_pool):
    api, staff, people = world["api"], world["village_staff"], world["people"]
    tid = (await topic(world, staff, title="村道硬化"))["id"]
    await ok(await act(world, staff, tid, action="select", track="standard"))
    path = f"/api/v1/topics/{tid}/research"
    before = await snapshot(db_pool)
    crediting = await api.post(path, headers=world["member"], json={
        "kind": "field_visit", "title": "实地查看", "member_ids": [people["马红梅"], people["李建国"]]})
    assert crediting.status_code == 422, crediting.text
    foreign = await api.post(path, headers=staff, json={"kind": "material", "title": "材料", "member_ids": [people["王淑芬"]]})
    assert foreign.status_code == 422, foreign.text
    assert await snapshot(db_pool) == before
    done = await ok(await api.post(path, headers=staff, json={
        "kind": "field_visit", "title": "实地查看", "member_ids": [people["马红梅"], people["李建国"]]}), 201)
    assert done["member_ids"] == [people["马红梅"], people["李建国"]]


async def test_outcomes_are_converted_for_departments_and_members_of_the_line(world, db_pool):
    api, staff, people, departments = world["api"], world["village_staff"], world["people"], world["departments"]
    session = await village_session(world)
    await ok(await api.post(f"/api/v1/sessions/{session['id']}/actions", headers=staff, json={
        "action": "conclude", "minutes": "议定更换路灯", "outcomes": [{"kind": "consensus", "text": "更换路灯"}]}))
    outcome = (await ok(await api.get("/api/v1/outcomes", headers=staff,
                                      params={"topic_id": session["topic_id"]})))["items"][0]
    path = f"/api/v1/outcomes/{outcome['id']}/actions"
    before = await snapshot(db_pool)
    for body in ({"action": "convert", "target": "department_task", "department_ids": [departments["惠农区水务局"]]},
                 {"action": "convert", "target": "proposal", "member_ids": [people["王淑芬"]]}):
        response = await api.post(path, headers=staff, json=body)
        assert response.status_code == 422, (body, response.text)
    assert await snapshot(db_pool) == before


async def test_a_converted_opinion_never_joins_a_topic_of_another_unit(world, db_pool, platform, caplog):
    from liaison_shared.contracts.feedback import OutcomeConverted, OutcomeRef
    from liaison_shared.events import Envelope
    from liaison_tools.testing import produce_raw

    staff = world["town_staff"]
    tid = (await topic(world, staff, org_unit=HUANGQUQIAO, title="黄渠桥镇集市垃圾清运"))["id"]
    foreign_case, own_case = str(uuid.uuid4()), str(uuid.uuid4())
    records, ids = [], []
    for case, unit in ((foreign_case, HUINONG), (foreign_case, CHENGGUAN), (own_case, DONGFENG)):
        event = OutcomeConverted(source=OutcomeRef(kind="opinion", id=case), target=OutcomeRef(kind="topic", id=tid),
                                 org_unit=unit, title="张三家门口集市垃圾", people_count=7)
        # one key: the same partition, so the foreign ones are handled before the own one
        envelope = Envelope.wrap(event, subject=tid, org_unit=unit)
        records.append((tid.encode(), envelope.value(), envelope.headers()))
        ids.append(envelope.id)
    await produce_raw(platform, envelope.topic, records)

    async def linked():
        return await db_pool.fetchval("SELECT count(*) FROM consultation.topic_sources WHERE topic_id = $1::uuid"
                                      " AND ref = $2", tid, own_case)
    await eventually(linked, timeout=30)
    sources = await db_pool.fetch("SELECT ref, org_unit, people FROM consultation.topic_sources"
                                  " WHERE topic_id = $1::uuid AND kind = 'public'", tid)
    assert [(s["ref"], s["org_unit"], s["people"]) for s in sources] == [(own_case, DONGFENG, 7)]
    got = await ok(await world["api"].get(f"/api/v1/topics/{tid}", headers=staff))
    assert got["org_unit"] == HUANGQUQIAO and got["linked_opinions"] == 1
    # skipped, not failed: each was handled once (in the inbox), none is retried or dead-lettered
    handled = await db_pool.fetchval("SELECT count(*) FROM consultation.inbox WHERE event_id = ANY($1::text[])", ids)
    assert handled == 3
    skipped = [r.getMessage() for r in caplog.records if "not linked" in r.getMessage()]
    assert len(skipped) == 2 and not any("张三" in line or foreign_case in line for line in skipped), skipped


async def test_support_counts_once_per_person(world, db_pool):
    api, staff = world["api"], world["village_staff"]
    tid = (await topic(world, staff, title="村卫生室缺少药品"))["id"]
    first = await ok(await act(world, world["member"], tid, action="support"))
    assert first["supporters"] == 1
    again = await ok(await act(world, world["member"], tid, action="support"))
    assert again["supporters"] == 1 and again["updated_at"] == first["updated_at"]
    assert (await ok(await act(world, world["uninvited_member"], tid, action="support")))["supporters"] == 2
    counted = await ok(await act(world, staff, tid, action="support", count=30))
    assert counted["supporters"] == 32
    assert (await ok(await act(world, staff, tid, action="support", count=30)))["supporters"] == 32
    assert [h["action"] for h in counted["history"]].count("support") == 3
    # nobody else sets the figure
    for field in ("supporters", "people_concerned"):
        refused = await api.post("/api/v1/topics", headers=world["member"], json={
            "title": "村卫生室缺少药品", "org_unit": DONGFENG, field: 1_000_000})
        assert refused.status_code == 422, (field, refused.text)
        patched = await api.patch(f"/api/v1/topics/{tid}", headers=staff, json={field: 1_000_000})
        assert patched.status_code == 422, (field, patched.text)
    assert (await ok(await api.get(f"/api/v1/topics/{tid}", headers=staff)))["supporters"] == 32


async def test_null_for_a_field_that_cannot_be_null_is_422_and_changes_nothing(world, db_pool):
    api, staff = world["api"], world["village_staff"]
    tid = (await topic(world, staff, title="村口排水沟"))["id"]
    before = await snapshot(db_pool)
    for body in ({"department_ids": None}, {"title": None}, {"description": None}):
        response = await api.patch(f"/api/v1/topics/{tid}", headers=staff, json=body)
        assert response.status_code == 422, (body, response.text)
    for body in ({"scope": None}, {"attention_half": None}):
        response = await api.put("/api/v1/selection-weights", headers=world["admin"], json=body)
        assert response.status_code == 422, (body, response.text)
    assert await snapshot(db_pool) == before
    unchanged = await ok(await api.patch(f"/api/v1/topics/{tid}", headers=staff, json={}))
    assert unchanged["title"] == "村口排水沟"
    edited = await ok(await api.patch(f"/api/v1/topics/{tid}", headers=staff, json={"description": "雨季积水"}))
    assert edited["title"] == "村口排水沟" and edited["description"] == "雨季积水"
    # the document says so too: a patch field is not nullable
    schema = (await api.get("/openapi.json")).json()["components"]["schemas"]["TopicPatch"]["properties"]
    assert all("anyOf" not in spec and spec.get("type") != "null" for spec in schema.values()), schema


async def test_inconsistent_dates_are_422(world, db_pool):
    api, staff = world["api"], world["village_staff"]
    tid = (await topic(world, staff, title="村委会门前积水"))["id"]
    await ok(await act(world, staff, tid, action="select", track="small_matter"))
    base = {"topic_id": tid, "title": "积水议事", "form": "议事厅"}
    before = await snapshot(db_pool)
    for times in ({"starts_at": hours_from_now(-1), "ends_at": hours_from_now(-2)},
                  {"starts_at": "9999-12-31T23:59:59-08:00"}, {"starts_at": "0001-01-01T00:00:00+08:00"},
                  # a time without its zone is no moment: 09:00 where?
                  {"starts_at": "2026-12-01T09:00:00", "ends_at": "2026-12-01T11:00:00+08:00"}):
        response = await api.post("/api/v1/sessions", headers=staff, json={**base, **times})
        assert response.status_code == 422, (times, response.text)
    assert await snapshot(db_pool) == before
    ahead = await ok(await api.post("/api/v1/sessions", headers=staff, json={
        **base, "starts_at": hours_from_now(48)}), 201)
    path = f"/api/v1/sessions/{ahead['id']}"
    before = await snapshot(db_pool)
    early = await api.post(f"{path}/actions", headers=staff, json={"action": "conclude", "minutes": "议定"})
    assert early.status_code == 422, early.text  # it has not started yet
    past = await api.post(f"{path}/opinions", headers=staff, json={
        "content": "积水", "disposition": "assigned", "department_ids": [world["departments"]["平罗县水务局"]],
        "deadline": "2020-01-01"})
    assert past.status_code == 422, past.text
    future_visit = await api.post(f"/api/v1/topics/{tid}/research", headers=staff, json={
        "kind": "field_visit", "title": "实地查看", "happened_on": "2999-01-01"})
    assert future_visit.status_code == 422, future_visit.text
    assert await snapshot(db_pool) == before


async def test_principals_outside_see_and_change_nothing_by_id(world, db_pool):
    """Every consultation route with an id, for a sibling county's staff, leader, member and
    department, a county member not invited and a department not named."""
    api, staff, water = world["api"], world["village_staff"], world["departments"]["平罗县水务局"]
    tid = (await topic(world, staff, title="村级文化广场", department_ids=[water]))["id"]
    await ok(await act(world, staff, tid, action="select", track="small_matter"))
    session = await ok(await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "广场议事", "form": "议事厅", "starts_at": hours_from_now(-1)}), 201)
    sid = session["id"]
    await ok(await api.post(f"/api/v1/sessions/{sid}/actions", headers=staff, json={
        "action": "conclude", "minutes": "议定", "outcomes": [{"kind": "consensus", "text": "建设文化广场"}]}))
    oid = (await ok(await api.get("/api/v1/outcomes", headers=staff, params={"topic_id": tid})))["items"][0]["id"]
    topic_routes = [
        ("get", f"/api/v1/topics/{tid}", None),
        ("get", f"/api/v1/topics/{tid}/lineage", None),
        ("patch", f"/api/v1/topics/{tid}", {"title": "changed"}),
        ("post", f"/api/v1/topics/{tid}/actions", {"action": "support"}),
        ("post", f"/api/v1/topics/{tid}/actions", {"action": "close"}),
        ("post", f"/api/v1/topics/{tid}/research", {"kind": "material", "title": "x"}),
        ("post", "/api/v1/outcomes", {"topic_id": tid, "kind": "consensus", "text": "x"}),
        ("get", f"/api/v1/outcomes/{oid}", None),
        ("post", f"/api/v1/outcomes/{oid}/actions", {"action": "convert", "target": "proposal"}),
        ("post", f"/api/v1/outcomes/{oid}/actions", {"action": "instruct", "text": "x"}),
    ]
    session_routes = [
        ("get", f"/api/v1/sessions/{sid}", None),
        ("post", f"/api/v1/sessions/{sid}/actions", {"action": "cancel", "reason": "x"}),
        ("post", f"/api/v1/sessions/{sid}/opinions", {"content": "x"}),
        ("post", "/api/v1/sessions", {"topic_id": tid, "title": "x", "form": "议事厅", "starts_at": hours_from_now(-1)}),
    ]
    outsiders = {name: world[name] for name in ("huinong_staff", "huinong_leader", "huinong_member", "huinong_water",
                                                 "town_government")}
    before = await snapshot(db_pool)
    for name, headers in outsiders.items():
        for method, path, body in topic_routes + session_routes:
            response = await api.request(method, path, headers=headers, json=body)
            assert response.status_code in (403, 404), (name, method, path, response.status_code, response.text)
    for method, path, body in session_routes:
        response = await api.request(method, path, headers=world["uninvited_member"], json=body)
        assert response.status_code in (403, 404), (method, path, response.status_code, response.text)
    assert await snapshot(db_pool) == before
    # every route with an id is in the matrix above: a new one fails here until it is added
    templates = {sid: "{session_id}", tid: "{topic_id}", oid: "{outcome_id}"}
    covered = set()
    for method, path, _ in topic_routes + session_routes:
        for value, name in templates.items():
            path = path.replace(value, name)
        covered.add((method, path))
    paths = (await api.get("/openapi.json")).json()["paths"]
    # (the public reads answer anyone by design: tests/unit/test_every_route_needs_a_token.py names them)
    with_an_id = {(method, path) for path, operations in paths.items() if "{" in path for method in operations
                  if not path.startswith("/api/v1/public/")}
    assert len(with_an_id) == 10 and with_an_id <= covered, with_an_id - covered
