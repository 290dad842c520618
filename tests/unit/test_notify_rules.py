"""Recipients and templates of the notify rules."""

import pytest
from notify.domain.rules import Rule, recipients, render

pytestmark = pytest.mark.unit


def test_rules_expand_lists_and_channels_and_name_each_recipient_once():
    rules = [Rule("department", "department_ids", ("inbox", "email"), "t"),
             Rule("supervisor_staff", "supervisor_unit", ("inbox",), "t"),
             Rule("org_staff", "supervisor_unit", ("inbox",), "t")]
    found = recipients(rules, {"department_ids": ["d1", "d2"], "supervisor_unit": "640221000000"})
    assert sorted((d.recipient_kind, d.recipient_id, d.channel) for d in found) == [
        ("department", "d1", "email"), ("department", "d1", "inbox"),
        ("department", "d2", "email"), ("department", "d2", "inbox"),
        ("org_staff", "640221000000", "inbox"),
    ]


def test_a_missing_field_notifies_nobody():
    assert recipients([Rule("member", "member_id", ("inbox",), "t")], {"member_id": None}) == []


def test_templates_fill_known_fields_and_dash_the_unknown():
    assert render("请于{deadline}前答复{missing}", {"deadline": "2026-12-15"}) == "请于2026-12-15前答复—"


def test_a_rule_with_a_condition_fires_only_for_the_values_it_names():
    rule = Rule("org_staff", "org_unit", ("inbox",), "opinion_converted", {"source.kind": ["opinion"]})
    assert recipients([rule], {"org_unit": "640221100201", "source": {"kind": "opinion"}})
    assert recipients([rule], {"org_unit": "640221100201", "source": {"kind": "consultation_outcome"}}) == []


def test_every_enum_value_of_every_contract_has_a_chinese_and_an_english_label():
    import types
    import typing

    from liaison_shared.contracts import consultation, feedback, members  # noqa: F401 — registers them
    from liaison_shared.events import registry
    from notify.domain.labels import LABELS
    from pydantic import BaseModel

    def values(annotation):
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Literal:
            return set(args)
        if origin in (typing.Union, types.UnionType, list, typing.Annotated):
            return set().union(*(values(a) for a in args))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return set().union(*(values(f.annotation) for f in annotation.model_fields.values()))
        return set()

    rendered = [m for m in registry.known() if m.event_type.service in ("members", "feedback", "consultation")]
    wanted = set().union(*(values(f.annotation) for m in rendered for f in m.model_fields.values()))
    assert wanted - set(LABELS) == set()
    assert all(zh and en and not zh.isascii() for zh, en in LABELS.values())


def test_times_are_written_in_china_time_and_labels_in_the_readers_language():
    from datetime import date

    from notify.domain.labels import present

    shown = present({"starts_at": "2026-12-22T02:00:00+00:00", "deadline": "2027-01-05", "channel": "reception_day",
                     "title": "村口灌溉渠改造"}, "zh-CN", enums={"channel"})
    assert shown["starts_at"].endswith("12月22日 10:00")
    assert shown["deadline"] in ("1月5日", "2027年1月5日")
    assert shown["channel"] == "委员接待日" and shown["title"] == "村口灌溉渠改造"
    assert present({"rating": "satisfied"}, "en", enums={"rating"}) == {"rating": "satisfied"}
    from notify.domain.labels import when
    assert when("2026-12-22T02:00:00+00:00", today=date(2026, 12, 3)) == "12月22日 10:00"
    assert when("2027-01-05", today=date(2026, 12, 3)) == "2027年1月5日"


def test_an_item_names_what_it_is_about_and_the_api_path_that_opens_it():
    from notify.domain.about import about

    case = about("cppcc.feedback.opinion.assigned", {"opinion_id": "o-1"}, "640221100201")
    assert (case.kind, case.id, case.service, case.api) == ("opinion", "o-1", "feedback", "/api/v1/opinions/o-1")
    became = about("cppcc.feedback.outcome.converted", {"source": {"kind": "opinion", "id": "o-1"},
                                                        "target": {"kind": "topic", "id": "t-1"}, "title": "灌溉渠"},
                   "640221000000")
    assert (became.kind, became.api, became.title) == ("topic", "/api/v1/topics/t-1", "灌溉渠")
    plan = about("cppcc.consultation.topic.plan_submitted", {"topic_id": "t-1", "title": "灌溉渠"}, "640221000000")
    assert (plan.service, plan.api) == ("consultation", "/api/v1/topics/t-1")


def test_the_citizens_link_is_feedbacks_page_and_follows_its_port_unless_a_public_base_is_set():
    from liaison_shared.settings import Settings
    from notify.handlers.delivery import tracking_link

    assert tracking_link(Settings(feedback_port=18003), "AB12CD34") == "http://127.0.0.1:18003/t/AB12CD34"
    assert tracking_link(Settings(feedback_port=18003, public_base_url="https://liaison.example.cn/"),
                         "AB12CD34") == "https://liaison.example.cn/t/AB12CD34"


def test_a_notification_made_again_is_the_same_notification():
    """After a restore or a replay, the same event, recipient and channel give the same id, so the
    copy carries the first one's Message-ID (and webhook delivery id) and receivers can drop it."""
    from notify.storage.notifications import notification_id

    values = {"event_source": "/cppcc-liaison/feedback", "event_id": "e-1", "recipient_kind": "department",
              "recipient_id": "d-1", "channel": "email"}
    assert notification_id(values) == notification_id(dict(values))
    assert notification_id(values) != notification_id(values | {"channel": "inbox"})
    assert notification_id(values) != notification_id(values | {"event_id": "e-2"})
