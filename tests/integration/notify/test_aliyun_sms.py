"""SMS through Alibaba Cloud: the signed SendSms request, the approved template, and what each
answer of the provider does to a delivery — against a local SendSms that checks the signature."""

import json

import httpx
import pytest
import pytest_asyncio
from liaison_tools.devstack import free_port
from liaison_tools.testing import eventually, token_for
from notify.adapters import aliyun_sms
from notify.adapters.aliyun_sms import AliyunGateway
from notify.adapters.failures import FAILURES, Undeliverable, describe
from pydantic import SecretStr

from .conftest import CHENGGUAN, PINGLUO, served
from .fake_aliyun_sms import FakeSendSms

pytestmark = pytest.mark.integration

KEY_ID, SECRET = "LTAI5tPingluoNotify", "pingluo-sms-secret-for-tests"
TEMPLATES = {
    "opinion_replied_citizen": {"code": "SMS_480010001", "params": {"url": "link"}},
    "conversion_answered_citizen": {"code": "SMS_480010002", "params": {"kind": "source_kind", "result": "result",
                                                                         "url": "link"}},
    "opinion_overdue": {"code": "SMS_480010003", "params": ["org_unit_name", "deadline"]},
}


@pytest_asyncio.fixture(scope="module")
async def provider():
    fake, port = FakeSendSms(KEY_ID, SECRET), free_port()
    async with served(fake, port):
        yield fake, f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture(scope="module")
async def notify_overrides(provider):
    _, endpoint = provider
    return {"sms_gateway": "aliyun", "sms_aliyun_access_key_id": KEY_ID,
            "sms_aliyun_access_key_secret": SecretStr(SECRET), "sms_aliyun_sign_name": "平罗县政协",
            "sms_aliyun_endpoint": endpoint, "sms_aliyun_templates": TEMPLATES}


def _gateway(platform, endpoint, **changes) -> AliyunGateway:
    return AliyunGateway(platform.model_copy(update={
        "sms_gateway": "aliyun", "sms_aliyun_access_key_id": KEY_ID, "sms_aliyun_access_key_secret": SecretStr(SECRET),
        "sms_aliyun_sign_name": "平罗县政协", "sms_aliyun_endpoint": endpoint, "sms_aliyun_templates": TEMPLATES,
        **changes}))


async def _text(gateway, phone, key, template="opinion_replied_citizen", fields=None):
    await gateway.send(None, phone=phone, text="您反映的问题已有答复", idempotency_key=key, template=template,
                       fields=fields if fields is not None else {"link": "https://pingluo.example.cn/t/K7QM2XWD"})


async def test_a_reply_goes_as_its_approved_template_in_a_request_the_provider_verifies(platform, provider):
    fake, endpoint = provider
    await _text(_gateway(platform, endpoint), "13900005101", "a1f0c9de-0000-4000-8000-000000000001")
    [request] = fake.to("13900005101")
    assert request["TemplateCode"] == "SMS_480010001" and request["SignName"] == "平罗县政协"
    assert json.loads(request["TemplateParam"]) == {"url": "https://pingluo.example.cn/t/K7QM2XWD"}
    assert request["OutId"] == "a1f0c9de-0000-4000-8000-000000000001"
    assert not fake.refused


async def test_a_request_signed_with_another_secret_is_refused_by_the_provider(platform, provider):
    fake, endpoint = provider
    with pytest.raises(FAILURES) as refused:
        await _text(_gateway(platform, endpoint, sms_aliyun_access_key_secret=SecretStr("not-the-secret")),
                    "13900005102", "k-wrong-secret")
    assert fake.refused[-1] == "SignatureDoesNotMatch" and fake.to("13900005102") == []
    assert not isinstance(refused.value, Undeliverable)  # the operator's to fix; the message waits


REFUSALS = [
    ("isv.MOBILE_NUMBER_ILLEGAL", True, "not a valid mobile number"),
    ("isv.BLACK_KEY_CONTROL_LIMIT", True, "blacklisted"),
    ("isv.SMS_TEMPLATE_ILLEGAL", True, "template code not approved"),
    ("isv.TEMPLATE_MISSING_PARAMETERS", True, "template variables missing"),
    ("isv.SMS_SIGNATURE_ILLEGAL", True, "signature not approved"),
    ("isv.BUSINESS_LIMIT_CONTROL", False, "rate limited"),
    ("Throttling.User", False, "rate limited"),
    ("isv.DAY_LIMIT_CONTROL", False, "daily limit"),
    ("isv.AMOUNT_NOT_ENOUGH", False, "balance"),
    ("isp.SYSTEM_ERROR", False, "system error"),
    ("ServiceUnavailable", False, "HTTP 503"),
]


@pytest.mark.parametrize(("phone", "code", "final", "said"),
                         [(f"139000061{i:02d}", *refusal) for i, refusal in enumerate(REFUSALS)])
async def test_each_documented_refusal_is_final_or_retried_in_our_words(platform, provider, phone, code, final,
                                                                         said):
    fake, endpoint = provider
    fake.answer(phone, code)
    with pytest.raises(FAILURES) as refused:
        await _text(_gateway(platform, endpoint), phone, f"k-{code}")
    assert isinstance(refused.value, Undeliverable) is final
    assert said in describe(refused.value) and phone not in describe(refused.value)
    fake.script.pop(phone, None)


async def test_a_provider_that_does_not_answer_in_time_is_retried(platform, provider, monkeypatch):
    fake, endpoint = provider
    monkeypatch.setattr(aliyun_sms, "TIMEOUT_S", 0.3)
    fake.delay_s = 1.0
    try:
        with pytest.raises(httpx.TimeoutException) as late:
            await _text(_gateway(platform, endpoint), "13900005103", "k-late")
    finally:
        fake.delay_s = 0.0
    assert describe(late.value) == "timeout" and not isinstance(late.value, Undeliverable)


async def test_a_template_without_an_approved_code_fails_without_a_request(platform, provider):
    fake, endpoint = provider
    with pytest.raises(Undeliverable, match="no approved SMS template for welcome"):
        await _text(_gateway(platform, endpoint), "13900005104", "k-unmapped", template="welcome")
    with pytest.raises(Undeliverable, match="has no field source_kind"):
        await _text(_gateway(platform, endpoint), "13900005104", "k-fieldless",
                    template="conversion_answered_citizen", fields={"result": "已修复", "link": "https://x/t/1"})
    assert fake.to("13900005104") == []


# --- Through the delivery worker, for a consenting citizen ---------------------------------------

async def _replied_case(stack, platform, phone: str) -> dict:
    """A case of 城关镇: its failed SMS stay out of the delivery log of 黄渠桥镇, which other modules read."""
    api = stack["feedback"]
    town = token_for(platform, "staff", CHENGGUAN)
    department = token_for(platform, "department", PINGLUO, dept=stack["water"])
    case = (await api.post("/api/v1/opinions", json={
        "content": "村口路灯不亮", "org_unit": CHENGGUAN, "channel": "online", "consent": True,
        "submitter_name": "马桂兰", "submitter_phone": phone})).json()
    await api.post(f"/api/v1/opinions/{case['id']}/actions", headers=town,
                   json={"action": "assign", "department_ids": [stack["water"]]})
    await api.post(f"/api/v1/opinions/{case['id']}/actions", headers=department,
                   json={"action": "reply", "text": "路灯已修复"})
    return case


async def _outcome(db_pool, case_id):
    return await db_pool.fetchrow(
        "SELECT status, attempts, last_error FROM notify.notifications"
        " WHERE channel = 'sms' AND recipient_id = $1 AND status <> 'pending'", case_id)


async def test_a_consenting_citizen_is_texted_the_approved_template_with_the_rating_link(stack, platform, db_pool,
                                                                                        provider):
    fake, _ = provider
    case = await _replied_case(stack, platform, "13900005201")
    sent = await eventually(lambda: _outcome(db_pool, case["id"]), timeout=30)
    assert sent["status"] == "sent"
    [request] = fake.to("13900005201")
    assert request["TemplateCode"] == "SMS_480010001"
    assert json.loads(request["TemplateParam"])["url"].endswith(f"/t/{case['tracking_code']}")
    # nothing went to the development gateway's table
    assert await db_pool.fetchval("SELECT count(*) FROM notify.sms_messages WHERE phone = '13900005201'") == 0


async def test_a_rate_limited_sms_is_retried_then_delivered(stack, platform, db_pool, provider):
    fake, _ = provider
    fake.answer("13900005202", "isv.BUSINESS_LIMIT_CONTROL")
    case = await _replied_case(stack, platform, "13900005202")
    sent = await eventually(lambda: _outcome(db_pool, case["id"]), timeout=30)
    assert sent["status"] == "sent" and sent["attempts"] == 2
    assert len(fake.to("13900005202")) == 2


async def test_a_blacklisted_number_fails_at_once_and_is_not_retried(stack, platform, db_pool, provider):
    fake, _ = provider
    fake.answer("13900005203", "isv.BLACK_KEY_CONTROL_LIMIT")
    refused_before = len(fake.refused)
    case = await _replied_case(stack, platform, "13900005203")
    failed = await eventually(lambda: _outcome(db_pool, case["id"]), timeout=30)
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["last_error"] == "SMS provider: blacklisted by the provider (isv.BLACK_KEY_CONTROL_LIMIT)"
    assert len(fake.to("13900005203")) == 1
    assert len(fake.refused) == refused_before  # every request the worker made was signed as documented
