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
