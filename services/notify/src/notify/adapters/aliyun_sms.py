"""Alibaba Cloud SMS (阿里云短信服务): ``SendSms`` over HTTPS, with the request signature V3.

The signature is V3, ``ACS3-HMAC-SHA256`` with the ``x-acs-*`` headers — Alibaba Cloud marks
V2 (HMAC-SHA1 over the query) as discontinued. The spec this follows, step for step:
"V3版本请求体&签名机制", https://help.aliyun.com/document_detail/2593177.html (in English:
https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature).
``SendSms`` (API version 2017-05-25, RPC style: its parameters travel in the query string and the
body is empty): https://help.aliyun.com/document_detail/55284.html. Its error codes:
https://help.aliyun.com/document_detail/101346.html.

The provider sends no free text: only a pre-approved template (``TemplateCode``) with the values
of its variables (``TemplateParam``). ``SMS_ALIYUN_TEMPLATES`` maps each notify template that goes
by SMS to its approved code and the ``{fields}`` it takes. Neither the phone number nor a value
of a message is ever logged; what a delivery records of a failure is written here, from the
provider's error code. ``SendSms`` is not idempotent (the spec says so): a timeout is retried and
may, rarely, send a second copy; ``OutId`` carries our idempotency key so receipts tell them apart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from liaison_shared.settings import Settings
from liaison_shared.uow import outside_transaction

from .failures import Undeliverable
from .webhooks import DeliveryRefused

log = logging.getLogger(__name__)

ALGORITHM = "ACS3-HMAC-SHA256"
ACTION, VERSION = "SendSms", "2017-05-25"
TIMEOUT_S = 10.0  # the spec asks for at least 1 s

# What the provider's codes mean for a delivery, in our words. Sending again cannot help these:
FINAL = {
    "isv.MOBILE_NUMBER_ILLEGAL": "not a valid mobile number",
    "isv.BLACK_KEY_CONTROL_LIMIT": "blacklisted by the provider",
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": "number not reachable with this template",
    "isv.MOBILE_COUNT_OVER_LIMIT": "too many numbers",
    "isv.SMS_TEMPLATE_ILLEGAL": "template code not approved",
    "isv.TEMPLATE_MISSING_PARAMETERS": "template variables missing",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "template variables not allowed",
    "isv.INVALID_JSON_PARAM": "template variables not valid",
    "isv.PARAM_LENGTH_LIMIT": "a template variable is too long",
    "isv.PARAM_NOT_SUPPORT_URL": "a template variable may not hold a URL",
    "isv.SMS_CONTENT_ILLEGAL": "content refused",
    "isv.SMS_SIGNATURE_ILLEGAL": "signature not approved",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "signature does not fit the template",
    "isv.SIGN_STATE_ILLEGAL": "signature not usable",
    "isv.SMS_SIGN_ILLEGAL": "signature not allowed",
    "isv.INVALID_PARAMETERS": "request refused as invalid",
}
# ...while these pass (a rate or a quota), or are the operator's to fix (the account, its balance,
# its keys): retried with the delivery's backoff, within DELIVERY_MAX_ATTEMPTS.
RETRIED = {
    "isv.BUSINESS_LIMIT_CONTROL": "rate limited",
    "isv.DAY_LIMIT_CONTROL": "daily limit reached",
    "isv.MONTH_LIMIT_CONTROL": "monthly limit reached",
    "isp.SYSTEM_ERROR": "provider system error",
    "isv.AMOUNT_NOT_ENOUGH": "account balance too low",
    "isv.OUT_OF_SERVICE": "account out of service",
}
ACCOUNT = {"isp.RAM_PERMISSION_DENY", "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL", "isv.PRODUCT_UN_SUBSCRIPT",
           "isv.PRODUCT_UNSUBSCRIBE", "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE", "SignatureDoesNotMatch",
           "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "IncompleteSignature",
           "InvalidTimeStamp.Expired", "SignatureNonceUsed"}
CODE = re.compile(r"[A-Za-z0-9_.]{1,64}")


@dataclass(frozen=True)
class ApprovedTemplate:
    """A template the provider approved: its code, and which of our fields fills each variable."""

    code: str
    params: Mapping[str, str]  # the provider's variable → the notify template's {field}


def approved_templates(raw: Mapping[str, object]) -> dict[str, ApprovedTemplate]:
    """``SMS_ALIYUN_TEMPLATES`` read; a ValueError names the entry that is wrong."""
    found = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or set(entry) - {"code", "params"} \
                or not isinstance(entry.get("code"), str) or not entry["code"].strip():
            raise ValueError(f'{key}: give {{"code": "SMS_…", "params": […]}}')
        params = entry.get("params", [])
        if isinstance(params, list) and all(isinstance(p, str) and p for p in params):
            params = {p: p for p in params}
        elif not (isinstance(params, dict) and all(isinstance(k, str) and isinstance(v, str) and k and v
                                                   for k, v in params.items())):
            raise ValueError(f"{key}: params are field names, or provider variable → field name")
        found[key] = ApprovedTemplate(entry["code"].strip(), dict(params))
    return found


def problems(settings: Settings) -> list[str]:
    """What keeps ``SMS_GATEWAY=aliyun`` from sending, for the check at start; nothing for others."""
    if settings.sms_gateway != "aliyun":
        return []
    wrong = [name.upper() for name in ("sms_aliyun_access_key_id", "sms_aliyun_access_key_secret",
                                       "sms_aliyun_sign_name", "sms_aliyun_templates")
             if not _given(getattr(settings, name))]
    try:
        approved_templates(settings.sms_aliyun_templates)
    except ValueError as error:
        wrong.append(f"SMS_ALIYUN_TEMPLATES ({error})")
    try:
        endpoint = httpx.URL(settings.sms_aliyun_endpoint)
        if endpoint.scheme not in ("https", "http") or not endpoint.host \
                or (endpoint.scheme != "https" and not settings.dev_mode):
            wrong.append("SMS_ALIYUN_ENDPOINT (an https URL)")
    except httpx.InvalidURL:
        wrong.append("SMS_ALIYUN_ENDPOINT (an https URL)")
    return wrong


def _given(value) -> bool:
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return bool(value.strip() if isinstance(value, str) else value)


# --- The signature V3 ---------------------------------------------------------------------------

def percent(value: str) -> str:
    """RFC 3986, as the spec asks: only A–Z a–z 0–9 - _ . ~ stay as they are (a space is %20, a * %2A)."""
    return quote(value, safe="-_.~")


def canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{percent(name)}={percent(query[name])}" for name in sorted(query))


def authorization(*, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes,
                  key_id: str, secret: str) -> str:
    """The ``Authorization`` header: HMAC-SHA256 of the hashed canonical request, over ``host``,
    ``content-type`` and every ``x-acs-*`` header."""
    signed = {name.lower(): value.strip() for name, value in headers.items()
              if name.lower() in ("host", "content-type") or name.lower().startswith("x-acs-")}
    names = sorted(signed)
    canonical = "\n".join([method.upper(), path or "/", canonical_query(query),
                           *(f"{name}:{signed[name]}" for name in names), "", ";".join(names),
                           hashlib.sha256(body).hexdigest()])
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={key_id},SignedHeaders={';'.join(names)},Signature={signature}"


def send_sms_request(settings: Settings, *, phone: str, template: ApprovedTemplate, values: Mapping[str, str],
                     out_id: str, now: datetime | None = None, nonce: str | None = None) -> httpx.Request:
    """The signed ``SendSms`` request of one message."""
    if settings.sms_aliyun_access_key_id is None or settings.sms_aliyun_access_key_secret is None \
            or settings.sms_aliyun_sign_name is None:
        raise DeliveryRefused("SMS provider not configured")  # refused at start (problems)
    query = {"PhoneNumbers": phone, "SignName": settings.sms_aliyun_sign_name, "TemplateCode": template.code,
             "OutId": out_id}
    if template.params:
        query["TemplateParam"] = json.dumps({variable: values[field] for variable, field in template.params.items()},
                                            ensure_ascii=False, separators=(",", ":"))
    endpoint = httpx.URL(settings.sms_aliyun_endpoint)
    headers = {
        "host": endpoint.netloc.decode("ascii"),
        "x-acs-action": ACTION,
        "x-acs-version": VERSION,
        "x-acs-date": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
    }
    headers["Authorization"] = authorization(
        method="POST", path="/", query=query, headers=headers, body=b"", key_id=settings.sms_aliyun_access_key_id,
        secret=settings.sms_aliyun_access_key_secret.get_secret_value())
    return httpx.Request("POST", endpoint.copy_with(path="/", query=canonical_query(query).encode("ascii")),
                         headers=headers, content=b"")


# --- Sending ------------------------------------------------------------------------------------

class AliyunGateway:
    """Sends through ``SendSms``; a refusal raises ``Undeliverable`` (final) or ``DeliveryRefused``
    (retried), a network failure or timeout the ``httpx`` error (retried)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = approved_templates(settings.sms_aliyun_templates)

    async def send(self, db, *, phone: str, text: str, idempotency_key: str, template: str | None = None,
                   fields: Mapping[str, str] | None = None) -> None:
        outside_transaction("an SMS")
        approved = self.templates.get(template or "")
        if approved is None:
            raise Undeliverable(f"no approved SMS template for {template or 'this message'}")
        values = dict(fields or {})
        missing = [field for field in approved.params.values() if field not in values]
        if missing:
            raise Undeliverable(f"SMS template {template} has no field {', '.join(missing)}")
        request = send_sms_request(self.settings, phone=phone, template=approved, values=values,
                                   out_id=idempotency_key)
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            response = await client.send(request)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = answer.get("Code") if isinstance(answer, dict) else None
        if response.status_code == 200 and code == "OK":
            log.debug("SMS %s accepted by Alibaba Cloud (template %s, BizId %s)", idempotency_key, approved.code,
                      answer.get("BizId"))
            return
        raise refusal(code if isinstance(code, str) else None, response.status_code)


def refusal(code: str | None, status: int) -> DeliveryRefused:
    """The provider's error code, in our words: final, or retried."""
    if code in ACCOUNT:
        log.error("Alibaba Cloud SMS refuses the account or its keys (%s): fix it, then redrive the failed", code)
    if code in FINAL:
        return Undeliverable(f"SMS provider: {FINAL[code]} ({code})")
    if code in RETRIED:
        return DeliveryRefused(f"SMS provider: {RETRIED[code]} ({code})")
    if code and code.startswith("Throttling") and CODE.fullmatch(code):
        return DeliveryRefused(f"SMS provider: rate limited ({code})")
    if status >= 500:
        return DeliveryRefused(f"HTTP {status} from the SMS provider")
    return DeliveryRefused(f"SMS provider: error {code}" if code and CODE.fullmatch(code)
                           else f"HTTP {status} from the SMS provider")
