"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), as feedback speaks it: the category tree
as services, a case as a service request. Pure: what a case and a category look like to a civic app.

Nothing personal leaves through it: a request shows its status, a fixed note per status, the
agency, the deadline and the times — not the citizen's words (``description``), nor where they
said it happened, which can point at a home.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time

from liaison_shared.chinatime import CHINA

from .categories import SEPARATOR, Placed
from .opinion import Status

KEY_PREFIX = "o311_"

# open toward the citizen until answered: a converted case is answered when what it became is
CLOSED = {Status.ANSWERED, Status.REPLIED, Status.RATED, Status.MERGED, Status.CLOSED}

NOTES = {
    Status.RECEIVED: "已受理，等待分办",
    Status.ESCALATED: "已上报上级政协组织办理",
    Status.ASSIGNED: "已交办承办单位办理",
    Status.ANSWERED: "已当场答复",
    Status.REPLIED: "承办单位已答复",
    Status.RATED: "已答复并评价",
    Status.SUPERVISED: "答复不满意，督办中",
    Status.MERGED: "已与反映同一问题的诉求合并办理",
    Status.CLOSED: "已办结",
}
CONVERTED_INTO = {"proposal": "提案", "topic": "协商议题", "public_opinion_report": "社情民意信息",
                  "special_report": "政协专报", "plenary_speech": "大会发言"}

# The one attribute every service takes (GeoReport's service definition): how urgent it is.
URGENCY = {
    "variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
    "datatype_description": "normal（一般）或 urgent（急事快议）", "order": 1, "description": "紧急程度",
    "values": [{"key": "normal", "name": "一般"}, {"key": "urgent", "name": "急事快议"}],
}


def status_of(status: str) -> str:
    return "closed" if Status(status) in CLOSED else "open"


def notes_of(status: str, converted_to: dict | None) -> str:
    """A fixed sentence per state — never a reply's text, which may name someone."""
    if Status(status) is Status.CONVERTED:
        kind = str((converted_to or {}).get("kind"))
        return f"已转为{CONVERTED_INTO.get(kind, '其他形式')}办理"
    return NOTES[Status(status)]


def expected_at(deadline: date | None) -> datetime | None:
    """The deadline is a day in China time: the request is expected by its end."""
    return datetime.combine(deadline, time(23, 59, 59), CHINA) if deadline else None


def in_china_time(moment: datetime) -> datetime:
    return moment.astimezone(CHINA)


def service_of(placed: Placed) -> dict:
    """A category as a GeoReport service: its code, its name, its top-level category as the group."""
    node = placed.node
    return {"service_code": node.code, "service_name": node.name,
            "description": node.description or placed.path, "metadata": True, "type": "realtime",
            "keywords": ",".join(placed.path.split(SEPARATOR)), "group": placed.path.split(SEPARATOR)[0]}


def service_notice(normal_days: int, urgent_days: int, urgent: bool) -> str:
    days = urgent_days if urgent else normal_days
    return f"已受理：交办承办单位后{days}个工作日内答复" + ("（急事快议）" if urgent else "")


def new_api_key() -> str:
    """256 random bits; only its hash is kept."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()
