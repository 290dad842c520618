"""Alibaba Cloud SMS without a network: the signature against the spec's own worked example, the
settings a start refuses, and what an SMS keeps for an approved template."""

import logging
from types import SimpleNamespace

import pytest
from liaison_shared.service import UnsafeSettings, check_start
from liaison_shared.settings import Settings
from notify.adapters.aliyun_sms import approved_templates, authorization, canonical_query
from notify.adapters.sms import DevelopmentGateway, gateway_for, say_which_gateway
from notify.app import spec
from notify.domain.rules import values_of
from pydantic import SecretStr

pytestmark = pytest.mark.unit

ALIYUN = {"sms_gateway": "aliyun", "sms_aliyun_access_key_id": "LTAI5tPingluo",
          "sms_aliyun_access_key_secret": SecretStr("s"), "sms_aliyun_sign_name": "平罗县政协",
          "sms_aliyun_templates": {"opinion_replied_citizen": {"code": "SMS_480010001", "params": ["link"]}}}


def test_the_signature_is_the_one_of_the_worked_example_in_the_v3_spec():
    # "V3版本请求体&签名机制", https://help.aliyun.com/document_detail/2593177.html — its fixed-parameter example
    headers = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances", "x-acs-version": "2014-05-26",
               "x-acs-date": "2023-10-26T10:22:32Z", "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
               "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
    signed = authorization(method="POST", path="/", headers=headers, body=b"", key_id="YourAccessKeyId",
                           secret="YourAccessKeySecret",  # noqa: S106 — the spec's placeholder
                           query={"RegionId": "cn-shanghai",
                                  "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"})
    assert signed == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
        "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0")


def test_the_canonical_query_is_sorted_and_percent_encoded_as_rfc_3986():
    assert canonical_query({"TemplateParam": '{"url":"a b*~"}', "SignName": "平罗", "OutId": "k"}) == (
        "OutId=k&SignName=%E5%B9%B3%E7%BD%97&TemplateParam=%7B%22url%22%3A%22a%20b%2A~%22%7D")


@pytest.mark.parametrize("missing", ["sms_aliyun_access_key_id", "sms_aliyun_access_key_secret",
                                     "sms_aliyun_sign_name", "sms_aliyun_templates"])
def test_notify_refuses_to_start_with_aliyun_and_a_setting_missing(missing):
    settings = Settings(dev_mode=True, notify_service_token=SecretStr("token-of-notify"),
                        **{**ALIYUN, missing: {} if missing == "sms_aliyun_templates" else None})
    with pytest.raises(UnsafeSettings, match=missing.upper()):
        check_start(spec(), settings)


def test_notify_refuses_a_plain_http_provider_outside_development_and_a_template_without_a_code():
    with pytest.raises(UnsafeSettings, match="SMS_ALIYUN_ENDPOINT"):
        spec().start_checks[-1](Settings(**ALIYUN, sms_aliyun_endpoint="http://dysmsapi.aliyuncs.com"))
    with pytest.raises(UnsafeSettings, match="opinion_replied_citizen"):
        spec().start_checks[-1](Settings(**{**ALIYUN, "sms_aliyun_templates": {
            "opinion_replied_citizen": {"params": ["link"]}}}))
    spec().start_checks[-1](Settings(**ALIYUN))  # complete: starts


def test_params_are_field_names_or_provider_variables_renamed():
    approved = approved_templates({"a": {"code": "SMS_1", "params": ["link"]},
                                   "b": {"code": "SMS_2", "params": {"url": "link"}}, "c": {"code": "SMS_3"}})
    assert [dict(t.params) for t in approved.values()] == [{"link": "link"}, {"url": "link"}, {}]
    with pytest.raises(ValueError, match="d:"):
        approved_templates({"d": {"code": "SMS_4", "params": [1]}})


def test_an_sms_keeps_the_values_of_its_templates_fields_only():
    fields = {"source_kind": "提案", "result": "A类", "link": "{link}", "submitter_phone": "13900001111"}
    assert values_of("您反映的问题已转为{source_kind}办理，结果：{result}。请查看并评价：{link}", fields) == {
        "source_kind": "提案", "result": "A类", "link": "{link}"}
    assert values_of("{deadline}前答复", {}) == {"deadline": "—"}


async def test_the_development_gateway_is_the_default_and_says_at_start_that_nothing_is_sent(caplog):
    settings = Settings()
    assert isinstance(gateway_for(settings), DevelopmentGateway)
    with caplog.at_level(logging.INFO, logger="notify.adapters.sms"):
        await say_which_gateway(SimpleNamespace(settings=settings))
    [line] = caplog.records
    assert "SMS are not sent" in line.getMessage() and "sms_messages" in line.getMessage()
