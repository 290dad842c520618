"""What the 12345 hotline is told of its cases, in its own words. Pure: no I/O.

A case imported from a city's hotline keeps the hotline's case number (工单号); each status change
of it that the hotline follows goes back as one JSON message. The platform says it in its own
field names and statuses (the left columns of docs/hotline.md); each city's endpoint renames the
fields and gives the status codes its hotline uses, over these defaults. Nothing personal is in a
message: the case number is the hotline's administrative id, the rest is the case's handling."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from liaison_shared.chinatime import CHINA

# Our event (unversioned) → the case's status as the hotline follows it.
STATUS_OF_EVENT = {
    "cppcc.feedback.opinion.submitted": "received",
    "cppcc.feedback.opinion.answered": "answered",
    "cppcc.feedback.opinion.assigned": "assigned",
    "cppcc.feedback.opinion.escalated": "escalated",
    "cppcc.feedback.opinion.recalled": "recalled",
    "cppcc.feedback.opinion.returned": "returned",
    "cppcc.feedback.opinion.return_ruled": "return_ruled",
    "cppcc.feedback.opinion.deadline_extended": "extended",
    "cppcc.feedback.opinion.replied": "replied",
    "cppcc.feedback.opinion.rated": "rated",
    "cppcc.feedback.opinion.merged": "merged",
    "cppcc.feedback.opinion.closed": "closed",
}

STATUS_NAMES = {
    "received": "已签收", "answered": "已当场答复", "assigned": "已交办", "escalated": "已上报", "recalled": "已召回",
    "returned": "承办单位退单", "return_ruled": "退单已审核", "extended": "已延期", "replied": "已答复",
    "rated": "已评价", "merged": "已合并", "closed": "已办结",
}

# Our status → the hotline's status code. A status not here (or mapped to null) is not sent:
# recalls, return rulings and merges are the platform's own routing, which a hotline does not follow.
DEFAULT_STATUSES: dict[str, str | None] = {
    "received": "01", "assigned": "02", "escalated": "03", "returned": "04", "extended": "05",
    "answered": "06", "replied": "06", "rated": "07", "closed": "08",
}

# Our field → the hotline's name for it (null: left out of the message).
DEFAULT_FIELDS: dict[str, str | None] = {
    "case_number": "gdbh",        # 工单编号
    "status": "blzt",             # 办理状态 (the code)
    "status_name": "blztmc",      # 办理状态名称
    "platform_status": "ptzt",    # our status word
    "at": "clsj",                 # 处理时间
    "platform_case_id": "ptbh",   # 平台编号: the case's id here
    "org_unit": "xzqh",           # 行政区划代码
    "departments": "cbdw",        # 承办单位
    "deadline": "blsx",           # 办理时限
    "reason": "yy",               # 原因 (return, escalation, recall, extension)
    "rating": "myd",              # 满意度
    "on_time": "asbj",            # 按时办结
    "answer": "bljg",             # 办理结果: the answer's text, asked of feedback at sending (ANSWERED)
}

# The statuses whose message says what the case was answered (办理结果). No event carries the text (a
# reply may quote the caller): the delivery row keeps only the hotline's name for the field, and the
# sender asks feedback for the text just before it sends (adapters.hotline), keeping none of it.
ANSWERED = frozenset({"answered", "replied", "closed"})

RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


def mapped(defaults: Mapping[str, str | None], overrides: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """An endpoint's mapping: the defaults, with the endpoint's own names or codes over them."""
    return {**defaults, **(overrides or {})}


def unknown_keys(fields: Mapping[str, object] | None, statuses: Mapping[str, object] | None) -> list[str]:
    """Keys of an endpoint's mapping that name no field or status of ours."""
    return sorted([f"fields.{k}" for k in fields or {} if k not in DEFAULT_FIELDS]
                  + [f"statuses.{k}" for k in statuses or {} if k not in STATUS_NAMES])


def status_of(event_type: str) -> str | None:
    return STATUS_OF_EVENT.get(event_type)


def facts(status: str, data: Mapping[str, object], *, case_number: str, at: datetime,
          department_names: list[str]) -> dict[str, object]:
    """What the platform can say of a status change, in its own field names; None left out."""
    rating = data.get("rating")
    said: dict[str, object] = {
        "case_number": case_number,
        "platform_status": status,
        "status_name": STATUS_NAMES[status],
        "at": at.astimezone(CHINA).isoformat(timespec="seconds"),
        "platform_case_id": data.get("opinion_id"),
        "org_unit": data.get("org_unit"),
        "departments": "、".join(department_names) or None,
        "deadline": data.get("deadline"),
        "reason": data.get("reason"),
        "rating": RATINGS.get(str(rating)) if rating else None,
        "on_time": data.get("on_time"),
    }
    return {k: v for k, v in said.items() if v is not None}


def filled_at_sending(status: str, fields: Mapping[str, str | None]) -> dict[str, str] | None:
    """Our field → the hotline's name of what a message of ``status`` gets at sending; None: nothing."""
    name = fields.get("answer")
    return {"answer": name} if status in ANSWERED and name else None


def with_answer(body: str, name: str, answer: str) -> str:
    """The message with the answer's text under the hotline's name for it, last."""
    return json.dumps({**json.loads(body), name: answer}, ensure_ascii=False, separators=(",", ":"))


def message(said: Mapping[str, object], status: str, *, fields: Mapping[str, str | None],
            statuses: Mapping[str, str | None]) -> str | None:
    """The JSON body the hotline receives, or None when its mapping sends nothing of ``status``."""
    code = statuses.get(status)
    if code is None:
        return None
    named = {"status": code, **said}
    body = {name: v for k, v in named.items() if (name := fields.get(k))}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
