"""Alibaba Cloud SMS ``SendSms`` as its documentation describes it, served on 127.0.0.1.

It verifies each request's signature V3 by recomputing it here, step by step from the spec
(https://help.aliyun.com/document_detail/2593177.html) — never with the adapter's own signer —
and answers the documented responses of SendSms (https://help.aliyun.com/document_detail/55284.html):
``OK`` with a ``BizId``, or an error code (https://help.aliyun.com/document_detail/101346.html).
What a test wants answered is scripted per phone number; anything unscripted is ``OK``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import unquote

from liaison_tools.testing import request_body

UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
MUST_SIGN = {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
AUTHORIZATION = re.compile(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})")

# The documented answers (HTTP status, Code, Message) — business errors of SendSms come with 200.
ANSWERS = {
    "isv.BUSINESS_LIMIT_CONTROL": (200, "触发分钟级流控Permits:1"),
    "isv.MOBILE_NUMBER_ILLEGAL": (200, "非法手机号 {phone}"),
    "isv.BLACK_KEY_CONTROL_LIMIT": (200, "黑名单管控 {phone}"),
    "isv.SMS_TEMPLATE_ILLEGAL": (200, "模板不合法(不存在或被拉黑)"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (200, "模板缺少变量"),
    "isv.SMS_SIGNATURE_ILLEGAL": (200, "签名不合法(不存在或被拉黑)"),
    "isv.AMOUNT_NOT_ENOUGH": (200, "账户余额不足"),
    "isv.DAY_LIMIT_CONTROL": (200, "触发日发送限额"),
    "isp.SYSTEM_ERROR": (200, "系统错误"),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
}


def encode(text: str) -> str:
    """The spec's percent-encoding, written out: UTF-8 bytes, unreserved ones kept, others %XY."""
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


class FakeSendSms:
    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id, self.secret = key_id, secret
        self.received: list[dict[str, str]] = []      # the verified requests' parameters
        self.refused: list[str] = []                  # why a request's signature was refused
        self.script: dict[str, list[str]] = defaultdict(list)  # phone → codes answered in turn, then OK
        self.delay_s = 0.0
        self.nonces: set[str] = set()

    def answer(self, phone: str, *codes: str) -> None:
        self.script[phone].extend(codes)

    def to(self, phone: str) -> list[dict[str, str]]:
        return [r for r in self.received if r.get("PhoneNumbers") == phone]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = await request_body(receive)
        status, answer = self.handle(scope, body)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        payload = json.dumps(answer, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json;charset=utf-8")]})
        await send({"type": "http.response.body", "body": payload})

    def handle(self, scope, body: bytes) -> tuple[int, dict]:
        request_id = str(uuid.uuid4()).upper()
        refused = self.verify(scope, body)
        if refused:
            self.refused.append(refused)
            return 400, {"RequestId": request_id, "Code": refused, "Message": "refused by the fake"}
        params = dict(self.params(scope))
        self.received.append(params)
        if not params.get("PhoneNumbers") or not params.get("SignName") or not params.get("TemplateCode"):
            return 400, {"RequestId": request_id, "Code": "MissingParameter", "Message": "missing"}
        queue = self.script.get(params["PhoneNumbers"])
        if queue:
            code = queue[0] if code_repeats(queue[0]) else queue.pop(0)
            status, text = ANSWERS[code]
            return status, {"RequestId": request_id, "Code": code,
                            "Message": text.format(phone=params["PhoneNumbers"])}
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"{len(self.received)}9006197469364984^0",
                     "RequestId": request_id}

    @staticmethod
    def params(scope) -> list[tuple[str, str]]:
        pairs = []
        for part in scope["query_string"].decode("ascii").split("&"):
            if part:
                name, _, value = part.partition("=")
                pairs.append((unquote(name), unquote(value)))
        return pairs

    def verify(self, scope, body: bytes) -> str | None:
        """None when the request carries the signature the spec computes; else the error code."""
        headers = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1").lower(), value.decode("utf-8").strip())
        found = AUTHORIZATION.fullmatch(headers.get("authorization", ""))
        if not found:
            return "IncompleteSignature"
        credential, signed_headers, signature = found.groups()
        if credential != self.key_id:
            return "InvalidAccessKeyId.NotFound"
        names = signed_headers.split(";")
        if names != sorted(names) or not set(names) >= MUST_SIGN or not all(n in headers for n in names):
            return "IncompleteSignature"
        if headers["x-acs-action"] != "SendSms" or headers["x-acs-version"] != "2017-05-25":
            return "InvalidAction.NotFound"
        if headers["x-acs-content-sha256"] != hashlib.sha256(body).hexdigest():
            return "ContentSHA256NotMatch"
        sent_at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - sent_at).total_seconds()) > 15 * 60:
            return "InvalidTimeStamp.Expired"
        if headers["x-acs-signature-nonce"] in self.nonces:
            return "SignatureNonceUsed"
        self.nonces.add(headers["x-acs-signature-nonce"])
        query = "&".join(f"{encode(n)}={encode(v)}" for n, v in sorted(self.params(scope)))
        canonical_request = (f"{scope['method']}\n{scope['path']}\n{query}\n"
                             + "".join(f"{n}:{headers[n]}\n" for n in names)
                             + f"\n{signed_headers}\n{hashlib.sha256(body).hexdigest()}")
        string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
        expected = hmac.new(self.secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(expected, signature) else "SignatureDoesNotMatch"


def code_repeats(code: str) -> bool:
    """A number the provider refuses is refused every time; a rate limit passes."""
    return code in ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT")
