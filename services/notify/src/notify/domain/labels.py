"""What a message says of a value: enum values by their label, times in China time.

Templates see labels, never the values of the contract ("reception_day", "satisfied") nor a
UTC instant ("2026-12-22T02:00:00+00:00"): every value of a field the contract declares as a
``Literal`` (and of the few free-text fields that hold a status) is looked up here, and every
ISO date or instant is written in China time.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Collection
from datetime import date, datetime

from liaison_shared.chinatime import CHINA, today_in_china

ZH, EN = "zh-CN", "en"

# value → (zh-CN, en). One vocabulary: a value means the same wherever the contract uses it.
LABELS: dict[str, tuple[str, str]] = {
    # channels of an opinion
    "online": ("网上", "online"), "reception_day": ("委员接待日", "reception day"), "visit": ("走访", "visit"),
    "contact_point": ("联系点", "contact point"), "hotline": ("热线电话", "hotline"),
    "consultation": ("协商议事", "consultation"),
    # ratings and evaluations
    "satisfied": ("满意", "satisfied"), "basically_satisfied": ("基本满意", "basically satisfied"),
    "unsatisfied": ("不满意", "unsatisfied"),
    # urgency and tracks
    "normal": ("一般", "normal"), "urgent": ("紧急", "urgent"), "standard": ("常规协商", "standard"),
    "small_matter": ("小事简议", "small matter"),
    # what an opinion or an outcome becomes
    "opinion": ("群众意见", "opinion"), "consultation_outcome": ("协商成果", "consultation outcome"),
    "proposal": ("提案", "proposal"), "public_opinion_report": ("社情民意信息", "public opinion report"),
    "special_report": ("政协专报", "special report"), "plenary_speech": ("大会发言", "plenary speech"),
    "topic": ("协商议题", "consultation topic"), "department_task": ("部门交办事项", "department task"),
    "party_report": ("报党委专报", "report to the party committee"),
    # occasions of a check-in (扫码签到) and kinds of research (调研)
    "activity": ("履职活动", "activity"), "session": ("协商会议", "consultation session"),
    "field_visit": ("实地调研", "field visit"), "material": ("书面调研", "desk research"),
    # reply classes of a proposal (提案办理结果)
    "A": ("A类（已解决或采纳）", "class A (solved or adopted)"),
    "B": ("B类（正在解决或列入计划）", "class B (being solved or planned)"),
    "C": ("C类（留作参考）", "class C (kept for reference)"),
    "D": ("D类（不予采纳）", "class D (not adopted)"),
    # kinds of proposal and of venue
    "member": ("委员个人提案", "member's proposal"), "joint": ("联名提案", "joint proposal"),
    "sector": ("界别提案", "sector proposal"), "special_committee": ("专委会提案", "special committee proposal"),
    "party_group": ("党派团体提案", "party group proposal"), "committee": ("政协委员会", "committee"),
    "deliberation_hall": ("议事厅", "deliberation hall"), "liaison_group": ("联络组", "liaison group"),
    "reception_room": ("接待室", "reception room"), "sector_studio": ("界别工作室", "sector studio"),
    # levels and adopters
    "national": ("全国政协", "national committee"), "province": ("省政协", "province"), "city": ("市级", "city"),
    "county": ("县级", "county"), "town": ("乡镇", "town"), "village": ("村（社区）", "village"),
    # states and results
    "received": ("已受理", "received"), "answered": ("已当场答复", "answered on the spot"),
    "assigned": ("已交办", "assigned"), "escalated": ("已上报", "escalated"), "replied": ("已答复", "replied"),
    "closed": ("已办结", "closed"), "converted": ("已转化", "converted"), "merged": ("已合并", "merged"),
    "declined": ("未采用", "declined"), "active": ("在办", "active"), "ended": ("已结束", "ended"),
    "adopted": ("已采纳", "adopted"), "implementing": ("正在落实", "being implemented"),
    "implemented": ("已落实", "implemented"), "not_adopted": ("未采纳", "not adopted"),
    "instructed": ("领导已批示", "instructed by a leader"), "proposed": ("已进入议题库", "in the topic pool"),
    "selected": ("已选定", "selected"), "plan_submitted": ("协商方案已报送审定", "plan submitted"),
    "approved": ("协商方案已获批准", "plan approved"), "consulting": ("协商议事中", "in consultation"),
    "concluded": ("协商已结束", "concluded"), "recalled": ("已撤回", "recalled"),
    "returned": ("已退回", "returned"), "rated": ("已评价", "rated"), "supervised": ("督办中", "supervised"),
    # 退单审核: staff's ruling on a return
    "upheld": ("退单成立", "return upheld"), "overruled": ("退单未获同意", "return overruled"),
    # who puts a topic in the pool
    "public": ("群众", "the public"), "department": ("部门", "a department"),
    "village_committee": ("村（居）委会", "the village committee"), "party_committee": ("党委", "the party committee"),
}

# Fields typed ``str`` in the contract that hold one of the values above all the same.
ENUM_FIELDS = {"final_status", "source_kind", "target_kind", "about_kind", "kind", "status", "stage", "result"}

_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def label(value: str, locale: str = ZH) -> str:
    """The label of an enum value, or the value itself when the catalogue does not know it."""
    labels = LABELS.get(value)
    if labels is None:
        return value
    return labels[1] if locale == EN else labels[0]


def when(value: str, locale: str = ZH, *, today: date | None = None) -> str:
    """An ISO date or instant as a person in China reads it: "12月22日 10:00", "2027年1月5日"."""
    if _DATE.match(value):
        day, clock = date.fromisoformat(value), ""
    elif _INSTANT.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA)  # a contract instant without offset is China time
        moment = moment.astimezone(CHINA)
        day, clock = moment.date(), moment.strftime("%H:%M")
    else:
        return value
    this_year = (today or today_in_china()).year
    if locale == EN:
        text = day.strftime("%d %b") + ("" if day.year == this_year else f" {day.year}")
        return f"{text}, {clock} (China time)" if clock else text
    text = f"{day.month}月{day.day}日" if day.year == this_year else f"{day.year}年{day.month}月{day.day}日"
    return f"{text} {clock}" if clock else text


def enum_fields(model) -> set[str]:
    """The fields of an event model whose values are a ``Literal`` of the contract."""
    return {name for name, field in model.model_fields.items() if _is_literal(field.annotation)}


def _is_literal(annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        return any(_is_literal(a) for a in typing.get_args(annotation))
    return False


def present(fields: dict, locale: str = ZH, *, enums: Collection[str] = frozenset()) -> dict:
    """The fields as a template shows them: labels for enum values, China time for times."""
    shown = {}
    for name, value in fields.items():
        labelled = name in enums or name in ENUM_FIELDS
        shown[name] = _show(value, locale, labelled)
    return shown


def _show(value, locale: str, labelled: bool):
    if isinstance(value, list):
        return [_show(v, locale, labelled) for v in value]
    if isinstance(value, datetime | date):
        value = value.isoformat()
    if not isinstance(value, str):
        return value
    if labelled:
        return label(value, locale)
    return when(value, locale)
