"""The 12345 hotline's rules without I/O: how its exports read, and what the hotline is told."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from feedback.domain import hotline as inbound
from feedback.schemas.hotline import HotlineCaseIn
from notify.domain import hotline as outbound
from pydantic import ValidationError

pytestmark = pytest.mark.unit

UNITS = [("640200000000", "石嘴山市"), ("640221000000", "平罗县"), ("640205000000", "惠农区"),
         ("640221101000", "城关镇"), ("640205101000", "城关镇"), ("640221100000", "黄渠桥镇"),
         ("640221100201", "东风村")]


def test_a_csv_export_reads_under_chinese_or_english_names_and_skips_blank_lines():
    rows = inbound.csv_rows("\ufeff工单号,诉求内容,urgency\nA1,路灯不亮,紧急\n\n,,\nA2,路面破损\n", max_rows=10)
    assert rows[0] == (2, {"工单号": "A1", "诉求内容": "路灯不亮", "urgency": "紧急"})
    assert rows[1] == (5, {"__error__": "2 values for 3 columns"})
    values, unknown = inbound.fields_of({"工单编号": "A1", "来电人": " 王五 ", "联系电话": "", "备注": "x"})
    assert values == {"case_number": "A1", "caller_name": "王五"} and unknown == 1  # a count: never the name


def test_a_file_is_refused_whole_for_an_unknown_column_or_too_many_rows():
    with pytest.raises(inbound.BadFile, match="1 of 2 columns not recognised.*工单号") as unknown:
        inbound.csv_rows("工单号,备注\nA1,x\n", max_rows=10)
    assert "备注" not in str(unknown.value)  # a header cell may be a caller's name: never repeated
    with pytest.raises(inbound.BadFile, match="at most 2"):
        inbound.csv_rows("工单号\nA1\nA2\nA3\n", max_rows=2)
    with pytest.raises(inbound.BadFile):
        inbound.json_rows({"orders": []}, max_rows=2)


def test_urgency_consent_and_the_time_of_the_call_read_as_a_hotline_writes_them():
    assert inbound.urgency_of("特急") == "urgent" and inbound.urgency_of("一般") == "normal"
    assert inbound.consent_of("是") is True and inbound.consent_of(False) is False
    with pytest.raises(ValueError, match="urgency"):
        inbound.urgency_of("十万火急")
    assert inbound.received_at_of("2026-01-05 09:30").utcoffset() == timedelta(hours=8)
    assert inbound.received_at_of("2026年01月05日 09:30") == inbound.received_at_of("2026-01-05T01:30:00Z")
    with pytest.raises(ValueError, match="received_at"):
        inbound.received_at_of(datetime.now(UTC) + timedelta(days=1))


def test_a_place_in_words_finds_its_unit_or_is_refused_when_it_names_none_or_two():
    assert inbound.unit_named_in("石嘴山市平罗县黄渠桥镇东风村村口", UNITS) == "640221100201"
    assert inbound.unit_named_in("平罗县城关镇南街", UNITS) == "640221101000"
    for vague in ("城关镇南街", "银川市兴庆区"):
        with pytest.raises(inbound.Unlocated):
            inbound.unit_named_in(vague, UNITS)


def test_a_bad_row_is_refused_without_repeating_what_it_said():
    with pytest.raises(ValidationError) as invalid:
        HotlineCaseIn.model_validate({"case_number": "A1", "content": "x", "caller_phone": "王五的电话"})
    from feedback.handlers.hotline import reasons

    said = reasons(invalid.value)
    assert said.startswith("caller_phone:") and "王五" not in said


def test_the_hotline_hears_its_own_names_and_codes_and_nothing_it_does_not_follow():
    fields = outbound.mapped(outbound.DEFAULT_FIELDS, {"case_number": "workOrderNo", "reason": None})
    statuses = outbound.mapped(outbound.DEFAULT_STATUSES, {"assigned": "20"})
    said = outbound.facts("assigned", {"opinion_id": "o-1", "org_unit": "640221100201", "deadline": "2026-12-20",
                                       "reason": "x"}, case_number="SZS1",
                          at=datetime(2026, 12, 6, 1, 0, tzinfo=UTC), department_names=["平罗县水务局", "住建局"])
    body = json.loads(outbound.message(said, "assigned", fields=fields, statuses=statuses))
    assert body == {"blzt": "20", "workOrderNo": "SZS1", "ptzt": "assigned", "blztmc": "已交办",
                    "clsj": "2026-12-06T09:00:00+08:00", "ptbh": "o-1", "xzqh": "640221100201",
                    "cbdw": "平罗县水务局、住建局", "blsx": "2026-12-20"}
    assert outbound.message(said, "recalled", fields=fields, statuses=statuses) is None
    assert outbound.unknown_keys({"case_no": "x"}, {"reopened": "9", "closed": "8"}) == ["fields.case_no",
                                                                                       "statuses.reopened"]


def test_the_hotline_hears_the_latest_answer_each_department_named_when_several_answered():
    day = datetime(2026, 12, 6, tzinfo=UTC)
    first = {"round": 1, "department": "平罗县住建局", "reply": "不属我局职责", "replied_at": day}
    water = {"round": 2, "department": "平罗县水务局", "reply": "已组织清淤", "replied_at": day + timedelta(days=3)}
    town = {"round": 2, "department": "黄渠桥镇人民政府", "reply": "已配合清理", "replied_at": day + timedelta(days=2)}
    assert inbound.latest_answer(None, None, [], []) is None
    assert inbound.latest_answer("当场答复", None, [], []) == "当场答复"
    assert inbound.latest_answer(None, None, [first, water], []) == "已组织清淤"
    assert inbound.latest_answer(None, None, [first, water, town], []) == "平罗县水务局：已组织清淤\n黄渠桥镇人民政府：已配合清理"
    # what the case became answered later than the departments did
    later = {"text": "提案已办复：列入明年计划", "at": day + timedelta(days=30)}
    assert inbound.latest_answer("当场答复", day, [first], [later]) == later["text"]
    assert inbound.latest_answer("当场答复", day + timedelta(days=1), [first], []) == "当场答复"


def test_the_answer_is_named_for_the_statuses_that_say_it_and_added_at_sending():
    fields = outbound.mapped(outbound.DEFAULT_FIELDS, None)
    assert outbound.filled_at_sending("replied", fields) == {"answer": "bljg"}
    assert outbound.filled_at_sending("closed", outbound.mapped(fields, {"answer": "result"})) == {"answer": "result"}
    assert outbound.filled_at_sending("assigned", fields) is None
    assert outbound.filled_at_sending("replied", outbound.mapped(fields, {"answer": None})) is None
    sent = outbound.with_answer('{"blzt":"06","gdbh":"SZS1"}', "bljg", "已组织清淤")
    assert sent == '{"blzt":"06","gdbh":"SZS1","bljg":"已组织清淤"}'
