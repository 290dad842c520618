"""The 12345 hotline, both ways: a case imported from the city's hotline goes through triage, and
each status change the hotline follows reaches it as a signed message in its own field names and
status codes — counted and checked by a receiver standing in for the hotline."""

import asyncio
import base64
import hashlib
import hmac
import json
import uuid

import pytest
import pytest_asyncio
from liaison_tools.testing import eventually, token_for

from .conftest import CITY, DONGFENG, PINGLUO, RECEIVERS, submit
from .test_webhooks import receiving

pytestmark = pytest.mark.integration

CALLER, PHONE = "李桂兰", "13712345678"
REPLY = "已组织清淤，灌溉渠恢复通水"


@pytest_asyncio.fixture(scope="module")
async def hotline():
    """The city hotline's receiving end, on the loopback address the operator allowed."""
    async with receiving(RECEIVERS) as app:
        yield app


@pytest_asyncio.fixture(scope="module", autouse=True)
async def no_hotline_left_behind(db_pool):
    """The endpoints this module configures go with it: the database is shared, and a city with a
    hotline would send every later module's hotline-numbered events to a receiver long gone."""
    yield
    # and so do the messages still queued for them (a later module's notify would try them)
    await db_pool.execute("DELETE FROM notify.notifications WHERE recipient_kind = 'hotline' AND status <> 'sent'")
    await db_pool.execute("DELETE FROM notify.hotline_endpoints")
    # notify runs in this test process: its endpoints cache would outlive the rows by its TTL
    from notify.storage.hotline import ENDPOINTS

    ENDPOINTS.invalidate()


def verified(request, secret: str) -> dict:
    """The message, once its Standard Webhooks signature is checked as a receiver's library does."""
    headers, body = request["headers"], request["body"]
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    assert expected in headers["webhook-signature"].split(" ")
    assert headers["content-type"].startswith("application/json")
    return json.loads(body)


async def import_case(stack, db_pool, case_number: str) -> str:
    await eventually(lambda: db_pool.fetchval("SELECT true FROM feedback.org_units WHERE code = $1", DONGFENG),
                     timeout=30)
    staff = token_for(stack["settings"], "staff", PINGLUO)
    answer = await stack["feedback"].post(
        "/api/v1/hotline/imports", headers={**staff, "content-type": "text/csv"},
        content=(f"工单号,来电时间,问题分类,诉求内容,来电人,联系电话,同意留存个人信息,区划代码,紧急程度\n"
                 f"{case_number},2026-01-05 09:30,水利,村口灌溉渠堵塞，影响春灌,{CALLER},{PHONE},是,{DONGFENG},一般\n"
                 ).encode())
    assert answer.status_code == 200, answer.text
    row = answer.json()["results"][0]
    assert row["outcome"] == "created", row
    return row["opinion_id"]


async def test_a_hotline_case_moving_through_triage_sends_signed_messages_in_the_hotlines_shape(
        stack, platform, hotline, db_pool):
    admin = token_for(platform, "admin", CITY)
    configured = await stack["notify"].post("/api/v1/hotline/endpoints", headers=admin, json={
        "city": CITY, "name": "石嘴山市12345政务服务便民热线", "url": hotline.url,
        "fields": {"case_number": "workOrderNo", "reason": None}, "statuses": {"assigned": "20"}})
    assert configured.status_code == 200, configured.text
    endpoint = configured.json()
    secret = endpoint["secret"]
    assert secret and endpoint["fields"]["case_number"] == "workOrderNo" and endpoint["statuses"]["replied"] == "06"
    assert (await stack["notify"].get("/api/v1/hotline/endpoints", headers=admin)).json()[0].get("secret") is None

    case_number = f"SZS{uuid.uuid4().hex[:10].upper()}"
    opinion_id = await import_case(stack, db_pool, case_number)
    plain = await submit(stack)  # a case from elsewhere: the hotline hears nothing of it

    county, water = token_for(platform, "staff", PINGLUO), token_for(platform, "department", PINGLUO,
                                                                      dept=stack["water"])
    steps = [(county, {"action": "assign", "department_ids": [stack["water"]]}),
             (water, {"action": "reply", "text": REPLY}),
             (county, {"action": "close"})]
    for who, body in steps:
        done = await stack["feedback"].post(f"/api/v1/opinions/{opinion_id}/actions", headers=who, json=body)
        assert done.status_code == 200, done.text
        await asyncio.sleep(0.3)  # one step's event before the next: the hotline hears them in order
    await stack["feedback"].post(f"/api/v1/opinions/{plain['id']}/actions", headers=county,
                                 json={"action": "assign", "department_ids": [stack["water"]]})

    def for_case():
        return [r for r in hotline.received if case_number.encode() in r["body"]]

    await eventually(lambda: len(for_case()) >= 4, timeout=60)
    await asyncio.sleep(1.5)  # anything more would come now
    messages = [verified(r, secret) for r in for_case()]
    assert [m["blzt"] for m in messages] == ["01", "20", "06", "08"]  # 签收, 交办 (the city's code), 答复, 办结
    assert [m["blztmc"] for m in messages] == ["已签收", "已交办", "已答复", "已办结"]
    assigned = messages[1]
    assert assigned["workOrderNo"] == case_number and "gdbh" not in assigned
    assert assigned["ptbh"] == opinion_id and assigned["xzqh"] == DONGFENG and assigned["blsx"]
    assert assigned["cbdw"].startswith("平罗县水务局")
    assert messages[2]["asbj"] is True
    # 办理结果: the department's reply, asked of feedback at sending, in the replied and the closed message
    assert messages[2]["bljg"] == REPLY and messages[3]["bljg"] == REPLY
    assert "bljg" not in messages[0] and "bljg" not in messages[1]
    # ... and kept nowhere in notify: its delivery rows hold the messages without it
    bodies = await db_pool.fetch("SELECT body FROM notify.notifications WHERE about_id = $1", opinion_id)
    assert len(bodies) >= 4 and not any(REPLY in r["body"] for r in bodies)
    # the delivery id is the same on a retry, distinct per message; nothing personal travels
    assert len({r["headers"]["webhook-id"] for r in for_case()}) == 4
    everything = b"".join(r["body"] for r in hotline.received)
    assert CALLER.encode() not in everything and PHONE.encode() not in everything
    assert plain["id"].encode() not in everything
    sent = await db_pool.fetchval(
        "SELECT count(*) FROM notify.notifications WHERE recipient_kind = 'hotline' AND recipient_id = $1"
        " AND about_id = $2 AND status = 'sent'", endpoint["id"], opinion_id)
    assert sent == 4


async def test_only_the_notify_service_reads_a_hotline_cases_answer(stack, platform, db_pool):
    opinion_id = await import_case(stack, db_pool, f"SZS{uuid.uuid4().hex[:10].upper()}")
    unanswered = await import_case(stack, db_pool, f"SZS{uuid.uuid4().hex[:10].upper()}")
    plain = await submit(stack)
    county = token_for(platform, "staff", PINGLUO)
    spot = "已当场答复：水务站本周内疏通"
    done = await stack["feedback"].post(f"/api/v1/opinions/{opinion_id}/actions", headers=county,
                                        json={"action": "answer_on_spot", "text": spot})
    assert done.status_code == 200, done.text
    notify = {"Authorization": f"Bearer {platform.notify_service_token.get_secret_value()}"}

    def answer(case: str, headers: dict):
        return stack["feedback"].get(f"/api/v1/internal/hotline-cases/{case}/answer", headers=headers)

    assert (await answer(opinion_id, {})).status_code == 401
    for caller in (county, token_for(platform, "admin", CITY, sub=platform.notify_service_subject),
                   token_for(platform, "service", CITY, sub="service:consultation")):
        refused = await answer(opinion_id, caller)
        assert refused.status_code == 403 and spot not in refused.text
    given = await answer(opinion_id, notify)
    assert given.status_code == 200 and given.json() == {"answer": spot}
    # only a hotline case's, and only once it has one
    assert (await answer(plain["id"], notify)).status_code == 404
    assert (await answer(unanswered, notify)).status_code == 404


async def test_an_answer_feedback_cannot_give_now_fails_the_attempt_for_a_retry(stack, platform, hotline, db_pool):
    from liaison_tools.devstack import free_port
    from notify.adapters import hotline as adapter
    from notify.adapters.failures import FAILURES, Undeliverable, describe
    from notify.adapters.webhooks import RefusedDestination
    from notify.handlers.delivery import NobodyToReach

    opinion_id = await import_case(stack, db_pool, f"SZS{uuid.uuid4().hex[:10].upper()}")
    done = await stack["feedback"].post(f"/api/v1/opinions/{opinion_id}/actions",
                                        headers=token_for(platform, "staff", PINGLUO),
                                        json={"action": "answer_on_spot", "text": "已当场答复"})
    assert done.status_code == 200, done.text
    settings = stack["notify"].app.state.settings
    endpoint_id, secret = uuid.uuid4(), "a-key-the-hotline-gave-us-0123456789"
    row = {"id": str(uuid.uuid4()), "url": hotline.url, "recipient_id": str(endpoint_id), "about_id": opinion_id,
           "secret_sealed": adapter.seal_secret(settings, endpoint_id, secret), "body": '{"gdbh":"SZS1","blzt":"06"}',
           "template_fields": {"answer": "bljg"}}
    away = settings.model_copy(update={"feedback_url": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(FAILURES) as failed:
        await adapter.post(away, row)
    # retried with backoff like a receiver's failure, not failed at once, and nothing went out without it
    assert not isinstance(failed.value, NobodyToReach | RefusedDestination | Undeliverable)
    assert describe(failed.value) == "connection refused"
    assert not [r for r in hotline.received if r["headers"]["webhook-id"] == row["id"]]
    await adapter.post(settings, row)  # the retry, feedback back
    sent = [verified(r, secret) for r in hotline.received if r["headers"]["webhook-id"] == row["id"]]
    assert sent == [{"gdbh": "SZS1", "blzt": "06", "bljg": "已当场答复"}]


async def test_only_admins_configure_a_hotline_and_only_for_a_city(stack, platform):
    body = {"city": CITY, "name": "热线", "url": "https://hotline.example.cn/callback"}
    assert (await stack["notify"].post("/api/v1/hotline/endpoints", headers=token_for(platform, "staff", CITY),
                                       json=body)).status_code == 403
    admin = token_for(platform, "admin", CITY)
    county = await stack["notify"].post("/api/v1/hotline/endpoints", headers=admin, json={**body, "city": PINGLUO})
    assert county.status_code == 422
    unknown = await stack["notify"].post("/api/v1/hotline/endpoints", headers=admin,
                                         json={**body, "city": "640300000000", "statuses": {"reopened": "9"}})
    assert unknown.status_code == 422 and "statuses.reopened" in unknown.json()["error"]["message"]
    inside = await stack["notify"].post("/api/v1/hotline/endpoints", headers=admin,
                                        json={**body, "city": "640300000000", "url": "http://10.0.0.7/callback"})
    assert inside.status_code == 422
