"""Notifications: the right people hear of every step, on every channel, exactly once."""

import json
import re
import uuid

import pytest
from liaison_tools.testing import eventually, produce_raw, token_for

from .conftest import CITY, DONGFENG, HUANGQUQIAO, PINGLUO, invited_member, submit

pytestmark = pytest.mark.integration


async def test_a_new_opinion_reaches_the_contact_point_inbox_and_its_duty_mailbox_once(stack, platform, db_pool):
    case = await submit(stack)
    point = token_for(platform, "staff", DONGFENG)
    mail_to = f"point-{stack['tag']}@dongfeng.example.cn"
    # other modules' events about the same village may reach this mailbox too: look for this one
    mails = await eventually(lambda: [m for m in stack["mailbox"].messages
                                      if mail_to in m["to"] and m["subject"] == "新的群众意见"], timeout=30)
    assert "东风村" in mails[0]["body"]
    items = (await stack["notify"].get("/api/v1/inbox?limit=500", headers=point)).json()["items"]
    assert any(i["subject"] == "新的群众意见" for i in items)

    # the same event delivered again sends nothing twice
    original = await db_pool.fetchrow(
        "SELECT event_id::text AS event_id, topic, record_key, headers, payload FROM feedback.outbox"
        " WHERE record_key = $1 AND event_type = 'cppcc.feedback.opinion.submitted.v1'", case["id"])
    headers = [(h.partition("=")[0], h.partition("=")[2].encode()) for h in original["headers"]]
    await produce_raw(platform, original["topic"], [(original["record_key"].encode(), original["payload"], headers)])
    marker = await submit(stack)  # on the same partition? no matter: wait until it is notified too
    marker_event = await eventually(lambda: db_pool.fetchval(
        "SELECT event_id::text FROM feedback.outbox WHERE record_key = $1", marker["id"]))
    await eventually(lambda: db_pool.fetchval(
        "SELECT count(*) FROM notify.notifications WHERE event_id = $1", marker_event))
    copies = await db_pool.fetch(
        "SELECT id::text FROM notify.notifications WHERE event_id = $1 AND channel = 'email'", original["event_id"])
    assert len(copies) == 1
    await eventually(lambda: db_pool.fetchval(
        "SELECT status = 'sent' FROM notify.notifications WHERE id = $1::uuid", copies[0]["id"]), timeout=30)
    sent = [m for m in stack["mailbox"].messages if m["id"] == f"<{copies[0]['id']}@cppcc-liaison>"]
    assert len(sent) == 1


async def test_an_assigned_department_hears_by_inbox_and_mail_and_opens_the_case_from_its_item(stack, platform):
    from notify.domain.labels import when

    case = await submit(stack)
    town = token_for(platform, "staff", HUANGQUQIAO)  # the town above the village handles it too
    assigned = await stack["feedback"].post(f"/api/v1/opinions/{case['id']}/actions", headers=town,
                                            json={"action": "assign", "department_ids": [stack["water"]]})
    assert assigned.status_code == 200, assigned.text
    mail_to = f"water-{stack['tag']}@pingluo.example.cn"
    deadline = when(assigned.json()["deadline"])  # in China's words: "12月17日", never "2026-12-17"
    mails = await eventually(lambda: [m for m in stack["mailbox"].messages
                                      if mail_to in m["to"] and m["subject"] == "意见交办通知"
                                      and deadline in m["body"]], timeout=30)
    assert "东风村" in mails[0]["body"] and assigned.json()["deadline"] not in mails[0]["body"]
    department = token_for(platform, "department", PINGLUO, dept=stack["water"])
    count = (await stack["notify"].get("/api/v1/inbox/unread-count", headers=department)).json()["unread"]
    assert count >= 1
    items = await eventually(lambda: _about(stack, department, case["id"]), timeout=30)
    [item] = [i for i in items if i["subject"] == "意见交办通知"]
    assert item["about"] == {"kind": "opinion", "id": case["id"], "org_unit": DONGFENG}
    assert item["link"] == {"service": "feedback", "api": f"/api/v1/opinions/{case['id']}", "page": None}
    opened = await stack[item["link"]["service"]].get(item["link"]["api"], headers=department)
    assert opened.status_code == 200 and opened.json()["id"] == case["id"]

    # 退单: the town that handles it hears why, and opens the case from its item
    returned = await stack["feedback"].post(f"/api/v1/opinions/{case['id']}/actions", headers=department,
                                            json={"action": "return", "reason": "不属于本单位职责"})
    assert returned.status_code == 200, returned.text
    point = token_for(platform, "staff", DONGFENG)  # the case's handling unit
    told = await eventually(lambda: _about(stack, point, case["id"], subject="意见退单"), timeout=30)
    assert "不属于本单位职责" in told[0]["body"] and f"平罗县水务局({stack['tag']})" in told[0]["body"]
    assert (await stack["feedback"].get(told[0]["link"]["api"], headers=point)).status_code == 200


async def _about(stack, headers, thing_id, subject=None):
    items = (await stack["notify"].get("/api/v1/inbox?limit=500", headers=headers)).json()["items"]
    return [i for i in items if i["about"]["id"] == thing_id and (subject is None or i["subject"] == subject)]


async def test_the_inbox_never_shows_another_users_items_and_read_state_is_per_person(stack, platform):
    await submit(stack)
    first = token_for(platform, "staff", DONGFENG, sub="staff-a")
    second = token_for(platform, "staff", DONGFENG, sub="staff-b")
    sibling = token_for(platform, "staff", "640221100202")  # the village next door, quiet in every test
    items = await eventually(lambda: _items(stack, first), timeout=30)
    assert (await stack["notify"].get("/api/v1/inbox?limit=500", headers=sibling)).json()["total"] == 0
    before = (await stack["notify"].get("/api/v1/inbox/unread-count", headers=second)).json()["unread"]
    assert (await stack["notify"].post(f"/api/v1/inbox/{items[0]['id']}/read", headers=first)).status_code == 204
    assert (await stack["notify"].get("/api/v1/inbox/unread-count", headers=second)).json()["unread"] == before
    assert (await stack["notify"].post(f"/api/v1/inbox/{items[0]['id']}/read", headers=sibling)).status_code == 404
    assert (await stack["notify"].get("/api/v1/inbox")).status_code == 401


async def _items(stack, headers):
    return (await stack["notify"].get("/api/v1/inbox?limit=500", headers=headers)).json()["items"]


async def test_the_delivery_log_shows_each_recipient_and_channel(stack, platform):
    town = token_for(platform, "staff", HUANGQUQIAO)
    log = await eventually(lambda: _deliveries(stack, town), timeout=30)
    assert {"inbox", "email"} <= {d["channel"] for d in log}
    # skipped: a member who gave no address for the channel (the inbox item reached them)
    assert all(d["status"] in ("sent", "pending", "skipped") for d in log)
    sibling = token_for(platform, "staff", "640221100202")  # the village next door, quiet in every test
    assert (await stack["notify"].get("/api/v1/deliveries", headers=sibling)).json()["total"] == 0


async def _deliveries(stack, headers):
    items = (await stack["notify"].get("/api/v1/deliveries?limit=500", headers=headers)).json()["items"]
    return items if any(d["channel"] == "email" and d["status"] == "sent" for d in items) else None


async def test_a_registered_member_is_welcomed_in_its_inbox(stack, platform):
    admin = token_for(platform, "admin", CITY)
    sector = (await stack["members"].post("/api/v1/sectors", headers=admin, json={
        "org_unit": PINGLUO, "name": f"教育界({stack['tag']})", "category": "professional"})).json()
    member = (await stack["members"].post("/api/v1/members", headers=admin, json={
        "name": "王玉兰", "sector_id": sector["id"], "org_unit": PINGLUO})).json()
    me = token_for(platform, "member", PINGLUO, member_id=member["id"])
    items = await eventually(lambda: _items(stack, me), timeout=30)
    assert items[0]["subject"] == "欢迎" and "王玉兰" in items[0]["body"]



async def test_a_consenting_submitter_gets_one_sms_with_the_rating_link_and_an_erased_one_none(stack, platform, db_pool):
    api = stack["feedback"]
    town = token_for(platform, "staff", HUANGQUQIAO)
    department = token_for(platform, "department", PINGLUO, dept=stack["water"])

    async def replied_case(**extra):
        created = (await api.post("/api/v1/opinions", json={
            "content": "路灯不亮", "org_unit": DONGFENG, "channel": "online", "consent": True,
            "submitter_name": "李四", "submitter_phone": "13900001111", **extra})).json()
        await api.post(f"/api/v1/opinions/{created['id']}/actions", headers=town,
                       json={"action": "assign", "department_ids": [stack["water"]]})
        return created

    kept = await replied_case()
    erased = await replied_case()
    assert (await api.delete(f"/api/v1/opinions/{erased['id']}/submitter", headers=town)).status_code == 204
    for case in (kept, erased):
        await api.post(f"/api/v1/opinions/{case['id']}/actions", headers=department,
                       json={"action": "reply", "text": "已修复"})

    async def outcome(case_id):
        return await db_pool.fetchrow(
            "SELECT id::text AS id, status, last_error FROM notify.notifications"
            " WHERE channel = 'sms' AND recipient_id = $1 AND status <> 'pending'", case_id)

    sent = await eventually(lambda: outcome(kept["id"]), timeout=30)
    assert sent["status"] == "sent"
    [message] = await db_pool.fetch("SELECT phone, body FROM notify.sms_messages WHERE idempotency_key = $1", sent["id"])
    # the page a person reads and rates on, not the JSON API
    assert message["phone"] == "13900001111" and f"/t/{kept['tracking_code']}" in message["body"]
    assert "/api/" not in message["body"]
    refused = await eventually(lambda: outcome(erased["id"]), timeout=30)
    assert refused["status"] == "failed" and "erased" in refused["last_error"]
    assert await db_pool.fetchval("SELECT count(*) FROM notify.sms_messages WHERE idempotency_key = $1",
                                  refused["id"]) == 0
    # the phone never went into an event or a notification row
    assert await db_pool.fetchval("SELECT count(*) FROM notify.notifications WHERE body LIKE '%13900001111%'") == 0


async def test_departments_are_reminded_before_a_deadline_once_per_reminder_point(stack, platform, db_pool):
    from datetime import timedelta

    from liaison_shared import db
    from liaison_shared.chinatime import today_in_china
    from liaison_shared.uow import UnitOfWork
    from notify.handlers.reminders import send_reminders

    town = token_for(platform, "staff", HUANGQUQIAO)
    case = await submit(stack)
    today = today_in_china()
    await stack["feedback"].post(f"/api/v1/opinions/{case['id']}/actions", headers=town, json={
        "action": "assign", "department_ids": [stack["water"]], "deadline": (today + timedelta(days=3)).isoformat()})
    await eventually(lambda: db_pool.fetchval("SELECT open FROM notify.deadlines WHERE source_id = $1", case["id"]),
                     timeout=30)
    pool = await db.create_pool(stack["settings"], "notify")
    try:
        async def remind(day):  # the job, told which day it is
            async with UnitOfWork(pool, schema="notify") as uow:
                return await send_reminders(uow, day, [3, 1])

        async def reminders_of():
            return await db_pool.fetch(
                "SELECT event_id, channel FROM notify.notifications WHERE event_source = '/cppcc-liaison/notify/reminders'"
                " AND event_id LIKE $1 || '%' ORDER BY event_id, channel", case["id"])

        await remind(today)
        await remind(today)  # again: nothing more
        assert [r["channel"] for r in await reminders_of()] == ["email", "inbox"]
        body = await db_pool.fetchval("SELECT body FROM notify.notifications WHERE event_id LIKE $1 || '%'"
                                      " AND channel = 'inbox'", case["id"])
        assert "群众意见" in body and not re.search(r"\d{4}-\d{2}-\d{2}", body), body
        await remind(today + timedelta(days=2))  # one day left: the second reminder point
        assert len(await reminders_of()) == 4
        department = token_for(platform, "department", PINGLUO, dept=stack["water"])
        await stack["feedback"].post(f"/api/v1/opinions/{case['id']}/actions", headers=department,
                                     json={"action": "reply", "text": "已答复"})
        await eventually(lambda: db_pool.fetchval(
            "SELECT NOT open FROM notify.deadlines WHERE source_id = $1", case["id"]), timeout=30)
        await remind(today + timedelta(days=3))
        assert len(await reminders_of()) == 4  # answered: no more reminders
    finally:
        await pool.close()


async def test_english_quiet_hours_and_a_daily_digest_are_each_recipients_choice(stack, platform, db_pool):
    from datetime import datetime, timedelta

    from liaison_shared.chinatime import CHINA
    from notify.handlers.delivery import send_digests

    # the department reads English and wants one digest a day
    department = token_for(platform, "department", PINGLUO, dept=stack["water"])
    saved = await stack["notify"].put("/api/v1/inbox/preferences", headers=department,
                                      json={"locale": "en", "digest": True})
    assert saved.status_code == 200 and saved.json()["digest"] is True
    # the contact point's staff keep quiet hours around now
    point = token_for(platform, "staff", DONGFENG)
    now = datetime.now(CHINA)
    quiet = {"quiet_from": (now - timedelta(hours=1)).strftime("%H:%M"),
             "quiet_to": (now + timedelta(hours=1)).strftime("%H:%M")}
    answer = await stack["notify"].put("/api/v1/inbox/preferences", headers=point, json=quiet)
    assert answer.status_code == 200, answer.text
    try:
        case = await submit(stack)
        town = token_for(platform, "staff", HUANGQUQIAO)
        await stack["feedback"].post(f"/api/v1/opinions/{case['id']}/actions", headers=town,
                                     json={"action": "assign", "department_ids": [stack["water"]]})

        async def row(kind):
            return await db_pool.fetchrow(
                "SELECT n.id::text AS id, n.subject, n.status, n.in_digest, n.next_attempt FROM notify.notifications n"
                " JOIN feedback.outbox o ON o.event_id::text = n.event_id"
                " WHERE o.record_key = $1 AND n.channel = 'email' AND n.recipient_kind = $2", case["id"], kind)

        to_department = await eventually(lambda: row("department"), timeout=30)
        assert to_department["subject"] == "Opinion assigned" and to_department["in_digest"]
        to_point = await eventually(lambda: row("org_staff"), timeout=30)
        assert to_point["status"] == "pending" and to_point["next_attempt"] > now + timedelta(minutes=30)

        class Runtime:  # what send_digests uses of a running service
            settings = stack["settings"]

            @staticmethod
            def uow():
                return stack["notify"].app.state.runtime.uow()

        assert await send_digests(Runtime) >= 1
        mail_to = f"water-{stack['tag']}@pingluo.example.cn"
        digest = [m for m in stack["mailbox"].messages if mail_to in m["to"] and m["subject"].startswith("Daily digest")]
        # each item says which: its subject and its text
        assert digest and "Opinion assigned：An opinion from 东风村" in digest[-1]["body"]
        assert (await db_pool.fetchval("SELECT status FROM notify.notifications WHERE id = $1::uuid",
                                       to_department["id"])) == "sent"
    finally:
        await stack["notify"].put("/api/v1/inbox/preferences", headers=department, json={})
        await stack["notify"].put("/api/v1/inbox/preferences", headers=point, json={})


async def test_quiet_hours_are_wall_clock_times_in_china_without_an_offset(stack, platform):
    """Quiet hours are read on China's wall clock: an offset would mean another clock, so it is a
    422, and the answer is the HH:MM:SS the schema declares (found by the fuzzer: an offset was
    dropped silently and the answer broke the declared format)."""
    staff = token_for(platform, "staff", DONGFENG)
    try:
        for bad in ("06:05:37Z", "11:03:35-02:54", "25:00", "22:00:00.5", "22h"):
            answer = await stack["notify"].put("/api/v1/inbox/preferences", headers=staff,
                                               json={"quiet_from": bad, "quiet_to": "07:30"})
            assert answer.status_code == 422, bad
        saved = await stack["notify"].put("/api/v1/inbox/preferences", headers=staff,
                                          json={"quiet_from": "22:00", "quiet_to": "07:30"})
        assert saved.status_code == 200
        assert (saved.json()["quiet_from"], saved.json()["quiet_to"]) == ("22:00:00", "07:30:00")
        read = (await stack["notify"].get("/api/v1/inbox/preferences", headers=staff)).json()
        assert read["quiet_from"] == "22:00:00"
    finally:
        await stack["notify"].put("/api/v1/inbox/preferences", headers=staff, json={})


def _example(model):
    """A valid instance of an event model, every id field filled, for the rules test."""
    import types
    import typing

    from pydantic import BaseModel

    def value(name, annotation):
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (typing.Union, types.UnionType):
            return value(name, next(a for a in args if a is not type(None)))
        if origin is typing.Literal:
            return args[0]
        if origin is list:
            return [value(name, args[0])]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return _example(annotation).model_dump()
        if annotation is bool:
            return True
        if annotation is int:
            return 1
        if annotation is float:
            return 0.5
        if any(part in name for part in ("org_unit", "unit", "contact_point", "region", "submitted_to", "leader_org",
                                         "moved_from")):
            return DONGFENG
        if any(part in name for part in ("deadline", "occurred_on", "starts_at", "ends_at")):
            return "2026-12-31"
        return f"{name}-{uuid.uuid4().hex[:6]}"

    return model(**{name: value(name, field.annotation) for name, field in model.model_fields.items()})


async def test_every_default_rule_fires_for_its_event_in_labels_and_china_time(stack, platform, db_pool):
    """One event per rule (its condition met), each reaching the rule's recipient; and no
    zh-CN text of any of them shows an enum value of the contract or an ISO date or instant."""
    from liaison_shared.contracts.consultation import SessionScheduled
    from liaison_shared.events import registry

    rules = await db_pool.fetch("SELECT event_type, recipient, field, channels, only_if FROM notify.rules"
                                " WHERE active AND recipient <> 'submitter'")
    by_type = {m.event_type.unversioned: m for m in registry.known()}
    produced = []
    for rule in rules:
        model = by_type[rule["event_type"]]
        event = _example(model)
        only_if = rule["only_if"] or {}
        for path, allowed in (json.loads(only_if) if isinstance(only_if, str) else only_if).items():
            head, _, tail = path.partition(".")
            value = getattr(event, head)
            event = event.model_copy(update={head: value.model_copy(update={tail: allowed[0]}) if tail else allowed[0]})
        data = event.model_dump(mode="json")
        if rule["field"] not in data:  # who took part in the topic: told by an earlier session
            invited = _example(SessionScheduled).model_copy(update={"topic_id": data["topic_id"]})
            await _produce(platform, invited)
            data[rule["field"]] = (invited.member_ids if "member" in rule["field"] else invited.department_ids)
            await eventually(lambda topic=data["topic_id"]: db_pool.fetchval(
                "SELECT count(*) FROM notify.topic_people WHERE topic_id = $1", topic), timeout=30)
        envelope = await _produce(platform, event)
        produced.append((rule, envelope.id, data))
    for rule, event_id, data in produced:
        wanted = data[rule["field"]]
        recipient = wanted[0] if isinstance(wanted, list) else wanted
        found = await eventually(lambda event_id=event_id, recipient=recipient: db_pool.fetchval(
            "SELECT count(*) FROM notify.notifications WHERE event_id = $1 AND recipient_id = $2 AND channel = 'inbox'",
            event_id, recipient), timeout=30)
        assert found == 1, rule
    texts = await db_pool.fetch("SELECT event_id, event_type, subject, subject || ' ' || body AS text, about_kind,"
                                " about_id, link_api"
                                " FROM notify.notifications WHERE event_id = ANY($1::text[])",
                                [event_id for _, event_id, _ in produced])
    enum_values = _enum_values()
    for row in texts:
        words = set(re.findall(r"[A-Za-z_]+", row["text"]))
        assert not words & enum_values, (row["event_type"], row["text"])
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\+00:00|UTC", row["text"]), (row["event_type"], row["text"])
        assert row["about_kind"] and row["about_id"], row["event_type"]
    # an opinion's conversion is 意见转化, not 成果转化 (what a consultation outcome's is)
    sources = {event_id: (data.get("source") or {}).get("kind") for _, event_id, data in produced}
    opinions = [r["subject"] for r in texts if ".feedback.outcome.converted" in r["event_type"]
                and sources[r["event_id"]] == "opinion"]
    assert opinions and set(opinions) == {"意见转化"}


async def _produce(platform, event):
    from liaison_shared.events import Envelope

    envelope = Envelope.wrap(event, subject=f"rule-test-{uuid.uuid4().hex[:6]}", org_unit=DONGFENG)
    await produce_raw(platform, envelope.topic, [(envelope.key.encode(), envelope.value(), envelope.headers())])
    return envelope


def _enum_values() -> set[str]:
    """Every value of a Literal in the event contracts, of two letters or more (A–D are written 'A类')."""
    import types
    import typing

    from liaison_shared.events import registry
    from pydantic import BaseModel

    def values(annotation):
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Literal:
            return {a for a in args if isinstance(a, str)}
        if origin in (typing.Union, types.UnionType, list, typing.Annotated):
            return set().union(*(values(a) for a in args))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return set().union(*(values(f.annotation) for f in annotation.model_fields.values()))
        return set()

    rendered = [m for m in registry.known() if m.event_type.service in ("members", "feedback", "consultation")]
    found = set().union(*(values(f.annotation) for m in rendered for f in m.model_fields.values()))
    return {v for v in found if len(v) > 1}


async def test_a_member_invited_to_a_session_gets_an_email_at_its_private_address(stack, platform):
    member, _, envelope = await invited_member(stack, platform, name="张志强", sector="经济界",
                                               email=f"zzq-{stack['tag']}@example.cn", title="村口灌溉渠改造议事会",
                                               starts_at="2026-12-20T09:00:00+08:00")
    admin = token_for(platform, "admin", CITY)
    await produce_raw(platform, envelope.topic, [(envelope.key.encode(), envelope.value(), envelope.headers())])
    mails = await eventually(lambda: [m for m in stack["mailbox"].messages
                                      if f"zzq-{stack['tag']}@example.cn" in m["to"]], timeout=30)
    assert mails[0]["subject"] == "协商议事邀请" and "村口灌溉渠改造议事会" in mails[0]["body"]
    # nobody but notify may ask members for the address
    forbidden = await stack["members"].get(f"/api/v1/internal/members/{member['id']}/contact", headers=admin)
    assert forbidden.status_code == 403


async def test_an_item_addressed_to_a_person_reaches_only_that_person(stack, platform, db_pool):
    await db_pool.execute(
        "INSERT INTO notify.notifications (id, event_source, event_id, event_type, org_unit, recipient_kind,"
        " recipient_id, channel, subject, body, status) VALUES (gen_random_uuid(), 'test', $1, 'test.v1', $2,"
        " 'person', 'staff-zhang', 'inbox', '个人通知', '只给张科长', 'sent')", str(uuid.uuid4()), DONGFENG)
    zhang = token_for(platform, "staff", DONGFENG, sub="staff-zhang")
    colleague = token_for(platform, "staff", DONGFENG, sub="staff-li")
    mine = (await stack["notify"].get("/api/v1/inbox?limit=500", headers=zhang)).json()["items"]
    theirs = (await stack["notify"].get("/api/v1/inbox?limit=500", headers=colleague)).json()["items"]
    assert "只给张科长" in {i["body"] for i in mine}
    assert "只给张科长" not in {i["body"] for i in theirs}


async def test_an_overdue_notice_reaches_the_department_duty_phone_by_sms(stack, platform, db_pool):
    from liaison_shared.contracts.feedback import OpinionOverdue
    from liaison_shared.events import Envelope

    admin = token_for(platform, "admin", CITY)
    await stack["members"].patch(f"/api/v1/departments/{stack['water']}", headers=admin,
                                 json={"duty_contact": {"email": f"water-{stack['tag']}@pingluo.example.cn",
                                                        "phone": "0952-6012345"}})
    await eventually(lambda: db_pool.fetchval("SELECT duty_phone = '0952-6012345' FROM notify.departments"
                                              " WHERE id = $1", stack["water"]), timeout=30)
    event = OpinionOverdue(opinion_id=str(uuid.uuid4()), org_unit=DONGFENG, handling_unit=HUANGQUQIAO,
                           deadline="2026-11-20", department_ids=[stack["water"]], supervisor_unit=PINGLUO)
    envelope = Envelope.wrap(event, subject=event.opinion_id, org_unit=DONGFENG)
    await produce_raw(platform, envelope.topic, [(envelope.key.encode(), envelope.value(), envelope.headers())] * 2)
    sms = await eventually(lambda: db_pool.fetch(
        "SELECT m.phone, m.body FROM notify.sms_messages m JOIN notify.notifications n ON n.id::text = m.idempotency_key"
        " WHERE n.event_id = $1", envelope.id), timeout=30)
    assert len(sms) == 1 and sms[0]["phone"] == "0952-6012345" and "11月20日" in sms[0]["body"]


async def test_erasing_a_submitter_leaves_no_copy_of_the_phone_or_tracking_link_in_notify(stack, platform, db_pool):
    """PIPL art. 47: after DELETE /opinions/{id}/submitter (feedback publishes SubmitterErased),
    no row of any notify table holds the phone number or the tracking code."""
    api, phone = stack["feedback"], "13900002222"
    town = token_for(platform, "staff", HUANGQUQIAO)
    department = token_for(platform, "department", PINGLUO, dept=stack["water"])
    case = (await api.post("/api/v1/opinions", json={
        "content": "村口灌溉渠堵塞", "org_unit": DONGFENG, "channel": "online", "consent": True,
        "submitter_name": "马兰花", "submitter_phone": phone})).json()
    await api.post(f"/api/v1/opinions/{case['id']}/actions", headers=town,
                   json={"action": "assign", "department_ids": [stack["water"]]})
    await api.post(f"/api/v1/opinions/{case['id']}/actions", headers=department,
                   json={"action": "reply", "text": "已疏通"})
    await eventually(lambda: _holding(db_pool, phone), timeout=30)  # the SMS went out, with both

    assert (await api.delete(f"/api/v1/opinions/{case['id']}/submitter", headers=town)).status_code == 204

    async def nothing_left():
        return not await _holding(db_pool, phone, case["tracking_code"])

    await eventually(nothing_left, timeout=30)


async def _holding(db_pool, *needles) -> list[str]:
    """The notify tables with a row whose text holds any of ``needles``."""
    tables = await db_pool.fetch("SELECT table_name FROM information_schema.tables"
                                 " WHERE table_schema = 'notify' AND table_type = 'BASE TABLE'")
    found = []
    for (table,) in tables:
        for needle in needles:
            if await db_pool.fetchval(f'SELECT count(*) FROM notify."{table}" t WHERE t::text LIKE $1',
                                      f"%{needle}%"):
                found.append(table)
    return found


async def test_a_submitted_plan_reaches_the_leaders_of_its_unit_who_open_the_topic_from_the_item(stack, platform):
    from liaison_shared.contracts.consultation import TopicStageChanged

    topic_id = str(uuid.uuid4())
    await _produce(platform, TopicStageChanged(topic_id=topic_id, org_unit=PINGLUO, title="村口灌溉渠改造",
                                               stage="plan_submitted", from_stage="selected"))
    leader = token_for(platform, "leader", PINGLUO)
    items = await eventually(lambda: _about(stack, leader, topic_id), timeout=30)
    assert items[0]["subject"] == "协商方案待审定" and "村口灌溉渠改造" in items[0]["body"]
    assert items[0]["link"] == {"service": "consultation", "api": f"/api/v1/topics/{topic_id}", "page": None}
    # the unit's staff and the leaders of another unit are not asked to approve it
    for other in (token_for(platform, "staff", PINGLUO), token_for(platform, "leader", HUANGQUQIAO)):
        assert not await _about(stack, other, topic_id)


async def test_the_citizen_of_a_converted_case_hears_of_the_result_of_what_it_became(stack, platform, db_pool):
    from liaison_shared.contracts.feedback import OpinionReplied, OutcomeRef

    case = (await stack["feedback"].post("/api/v1/opinions", json={
        "content": "村口灌溉渠堵塞", "org_unit": DONGFENG, "channel": "reception_day", "consent": True,
        "submitter_name": "马兰花", "submitter_phone": "13900004444"})).json()
    # what feedback publishes once the proposal the case became is answered (class A)
    answer = OpinionReplied(opinion_id=case["id"], org_unit=DONGFENG, department_ids=[], on_time=True,
                            contact_consented=True, source=OutcomeRef(kind="proposal", id=str(uuid.uuid4())),
                            result="A")
    envelope = await _produce(platform, answer)
    sms = await eventually(lambda: db_pool.fetch(
        "SELECT m.body FROM notify.sms_messages m JOIN notify.notifications n ON n.id::text = m.idempotency_key"
        " WHERE n.event_id = $1", envelope.id), timeout=30)
    assert len(sms) == 1
    assert "转为提案办理" in sms[0]["body"] and "A类" in sms[0]["body"]
    assert sms[0]["body"].endswith(f"/t/{case['tracking_code']}")


async def test_the_invited_hear_once_that_a_session_is_cancelled_and_why(stack, platform, db_pool):
    """协商议事取消: the member and the department the session invited get one inbox item and one
    e-mail each, the village's staff an inbox item — in China time, with the reason; a redelivered
    cancellation tells nobody twice."""
    from liaison_shared.contracts.consultation import SessionCancelled
    from liaison_shared.events import Envelope

    mail_to, water_mail = f"lxm-{stack['tag']}@example.cn", f"water-{stack['tag']}@pingluo.example.cn"
    member, scheduled, invitation = await invited_member(
        stack, platform, name="刘晓敏", sector="农业界", email=mail_to, title="渠道清淤议事会（取消）",
        starts_at="2026-12-21T09:00:00+08:00")
    await produce_raw(platform, invitation.topic, [(invitation.key.encode(), invitation.value(),
                                                    invitation.headers())])
    cancelled = SessionCancelled(session_id=scheduled.session_id, topic_id=scheduled.topic_id, org_unit=DONGFENG,
                                 title=scheduled.title, starts_at=scheduled.starts_at, reason="暴雨预警，议事厅停用",
                                 member_ids=[member["id"]], department_ids=[stack["water"]])
    envelope = Envelope.wrap(cancelled, org_unit=DONGFENG)
    assert envelope.key == scheduled.session_id  # in order after its invitation
    record = (envelope.key.encode(), envelope.value(), envelope.headers())
    await produce_raw(platform, envelope.topic, [record])

    def received():
        return [m for m in stack["mailbox"].messages if m["subject"] == "协商议事取消"
                and (mail_to in m["to"] or water_mail in m["to"]) and "渠道清淤议事会（取消）" in m["body"]]

    mails = await eventually(lambda: len(received()) == 2 and received(), timeout=30)
    body = next(m["body"] for m in mails if mail_to in m["to"])
    assert "暴雨预警，议事厅停用" in body and "12月21日" in body and "2026-12-21" not in body

    async def rows():
        return sorted(tuple(r) for r in await db_pool.fetch(
            "SELECT recipient_kind, recipient_id, channel FROM notify.notifications WHERE event_id = $1",
            envelope.id))

    expected = sorted([("member", member["id"], "inbox"), ("member", member["id"], "email"),
                       ("department", stack["water"], "inbox"), ("department", stack["water"], "email"),
                       ("org_staff", DONGFENG, "inbox")])
    assert await eventually(rows, timeout=30) == expected
    mine = token_for(platform, "member", PINGLUO, member_id=member["id"])
    items = [i for i in (await stack["notify"].get("/api/v1/inbox?limit=500", headers=mine)).json()["items"]
             if i["subject"] == "协商议事取消"]
    assert len(items) == 1 and items[0]["about"]["id"] == scheduled.session_id

    # delivered again, then a marker behind it on the same key: still one of each
    await produce_raw(platform, envelope.topic, [record])
    marker = Envelope.wrap(scheduled.model_copy(update={"title": "渠道清淤议事会（改期）"}), org_unit=DONGFENG)
    await produce_raw(platform, marker.topic, [(marker.key.encode(), marker.value(), marker.headers())])
    await eventually(lambda: db_pool.fetchval("SELECT count(*) FROM notify.notifications WHERE event_id = $1",
                                              marker.id), timeout=30)
    assert await rows() == expected
    assert len(received()) == 2
