"""The 12345 government hotline's cases (12345 工单) as a hotline exports them, in the platform's
words: which column says what, and how its values read. Pure: no I/O.

A hotline's export is not ours to design: its columns carry Chinese names that differ a little
from one city's platform to the next (工单号 or 工单编号), so each field takes the names seen in
practice, and its English name too (a JSON export, or a hand-made file)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from liaison_shared import jsonbody, orgunits
from liaison_shared.chinatime import CHINA

HEADERS: dict[str, str] = {
    "工单号": "case_number", "工单编号": "case_number", "工单号码": "case_number", "热线工单号": "case_number",
    "来电时间": "received_at", "受理时间": "received_at", "登记时间": "received_at",
    "问题分类": "category", "诉求分类": "category", "事项分类": "category", "分类": "category",
    "诉求内容": "content", "来电内容": "content", "工单内容": "content", "内容": "content",
    "来电人": "caller_name", "来电人姓名": "caller_name", "姓名": "caller_name", "诉求人": "caller_name",
    "联系电话": "caller_phone", "来电号码": "caller_phone", "电话": "caller_phone",
    "同意留存个人信息": "consent", "是否同意": "consent", "同意": "consent",
    "区划代码": "org_unit", "所属区划": "org_unit", "行政区划代码": "org_unit",
    "事发地点": "location", "发生地点": "location", "地址": "location",
    "紧急程度": "urgency", "缓急程度": "urgency",
}
FIELDS = frozenset(HEADERS.values())
# A case number as a hotline writes one: a row's number is repeated in its report only when it is one
# (a number column that holds a caller's name or phone is not).
CASE_NUMBER = r"^[0-9A-Za-z_\-]{1,64}$"

URGENCY = {"一般": "normal", "普通": "normal", "正常": "normal", "normal": "normal",
           "紧急": "urgent", "加急": "urgent", "特急": "urgent", "急": "urgent", "urgent": "urgent"}
CONSENT = {"是": True, "同意": True, "y": True, "yes": True, "true": True, "1": True,
           "否": False, "不同意": False, "n": False, "no": False, "false": False, "0": False}
# When a hotline wrote the time without a zone it is China time; a few minutes ahead of our clock
# is a clock's drift, more is a wrong row.
CLOCK_DRIFT = timedelta(minutes=10)
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y%m%d%H%M%S")


class BadFile(ValueError):
    """The file as a whole cannot be read (not a row of it): the message names no value of it."""


class Unlocated(ValueError):
    """A row's place names no single org unit; the message names no value of the row."""


def fields_of(raw: Mapping[str, object]) -> tuple[dict[str, object], int]:
    """A row's values under the platform's names, and how many names it gave that are no field —
    a count, not the names: a name nobody knows may be a value in the wrong place (a caller's
    phone where a header should be), and what is said of it must not repeat it."""
    values: dict[str, object] = {}
    unknown = 0
    for name, value in raw.items():
        key = str(name).strip()
        field = HEADERS.get(key) or (key if key in FIELDS else None)
        if field is None:
            unknown += 1
        elif value is not None and not (isinstance(value, str) and not value.strip()):
            values[field] = value.strip() if isinstance(value, str) else value
    return values, unknown


def not_recognised(count: int, of: int, what: str, hint: str = "") -> str:
    """The refusal of names nobody knows, by their number and the names we know."""
    return (f"{count} of {of} {what} not recognised{hint}; recognised: {', '.join(HEADERS)} or "
            f"{', '.join(sorted(FIELDS))}")


def shown_case_number(value: object) -> str | None:
    """A row's case number as its report repeats it: only one that is a case number."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return text if re.fullmatch(CASE_NUMBER, text) else None


def csv_rows(text: str, *, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """(line number, column → value) of a CSV export (UTF-8, a BOM is fine); blank lines skipped."""
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise BadFile("the file is empty")
        unknown = sum(h not in HEADERS and h not in FIELDS for h in header)
        if unknown:
            raise BadFile(not_recognised(unknown, len(header), "columns", " (is the first line the header?)"))
        rows: list[tuple[int, dict[str, str]]] = []
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= max_rows:
                raise BadFile(f"at most {max_rows} cases per file (HOTLINE_IMPORT_MAX_ROWS)")
            if len(values) != len(header):
                rows.append((number, {"__error__": f"{len(values)} values for {len(header)} columns"}))
                continue
            rows.append((number, dict(zip(header, values, strict=True))))
    except csv.Error:
        raise BadFile("not a CSV file") from None  # csv's message may quote the line
    return rows


def json_rows(payload: object, *, max_rows: int) -> list[tuple[int, dict]]:
    """(position from 1, field → value) of a JSON export: a list of cases, or ``{"cases": [...]}``."""
    cases = payload.get("cases") if isinstance(payload, dict) else payload
    if not isinstance(cases, list):
        raise BadFile('expected a JSON list of cases, or {"cases": [...]}')
    if len(cases) > max_rows:
        raise BadFile(f"at most {max_rows} cases per file (HOTLINE_IMPORT_MAX_ROWS)")
    return [(number, case if isinstance(case, dict) else {"__error__": "a case is a JSON object"})
            for number, case in enumerate(cases, start=1)]


def file_rows(raw: bytes, kind: str, *, max_rows: int) -> list[tuple[int, dict]]:
    """The rows of an export as its bytes came, ``kind`` ``csv`` or ``json``: what the HTTP import
    and ``liaison hotline-import`` both read. BadFile when the file cannot be read at all."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadFile("the file is not UTF-8") from None
    if kind != "json":
        return csv_rows(text, max_rows=max_rows)
    try:
        payload = jsonbody.parse(text)
    except jsonbody.NotJson as broken:
        raise BadFile(str(broken)) from None
    return json_rows(payload, max_rows=max_rows)


def urgency_of(value: object) -> str:
    found = URGENCY.get(str(value).strip().lower())
    if found is None:
        raise ValueError(f"urgency: one of {', '.join(URGENCY)}")
    return found


def consent_of(value: object) -> bool:
    if isinstance(value, bool):
        return value
    found = CONSENT.get(str(value).strip().lower())
    if found is None:
        raise ValueError(f"consent: one of {', '.join(CONSENT)}")
    return found


def received_at_of(value: object, now: datetime | None = None) -> datetime:
    """The hotline's time of the call; without a zone, China time."""
    at = value if isinstance(value, datetime) else _parsed(str(value).strip())
    if at.tzinfo is None:
        at = at.replace(tzinfo=CHINA)
    if at.year < 2000 or at > (now or datetime.now(CHINA)) + CLOCK_DRIFT:
        raise ValueError("received_at: not a time of a call already taken")
    return at


def _parsed(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)  # noqa: DTZ007 — a zone-less time is China time, set above
        except ValueError:
            continue
    raise ValueError("received_at: a date and time such as 2026-12-06 09:30 (China time) or ISO 8601")


def city_of(code: str) -> str:
    """The city whose hotline numbers a case of ``code``: case numbers are unique within it."""
    return (orgunits.ancestors_of(code) or [code])[-1]


def unit_named_in(location: str, units: Iterable[tuple[str, str]]) -> str:
    """The org unit a place's description names (平罗县黄渠桥镇东风村 → 东风村's code): of the units
    whose names it contains, the deepest under the most of the others (two towns called 城关镇: the
    county named too picks one). ``units``: (code, name)."""
    named = [code for code, name in units if name and name in location]
    if not named:
        raise Unlocated("location: names no known org unit; give org_unit (区划代码)")

    def fit(code: str) -> tuple[int, int]:
        return sum(orgunits.is_within(code, other) for other in named), len(orgunits.ancestors_of(code))

    best = max(map(fit, named))
    chosen = [code for code in named if fit(code) == best]
    if len(chosen) != 1:
        raise Unlocated("location: names no single org unit; give org_unit (区划代码)")
    return chosen[0]


# --- what the hotline is told was answered (办理结果) -------------------------------------------

_NEVER = datetime.min.replace(tzinfo=CHINA)


def latest_answer(on_the_spot: str | None, on_the_spot_at: datetime | None, replies: Sequence[Mapping[str, Any]],
                  conversions: Sequence[Mapping[str, Any]]) -> str | None:
    """办理结果: what a case was last answered, as its hotline hears it — the departments' replies of
    the latest round that has any (each under its department's name when there are several), the
    answer that came back from what the case became, or the answer given on the spot; of these the
    latest. ``replies``: ``round``, ``department``, ``reply``, ``replied_at``, in the round's order
    (lead first); ``conversions``: ``text``, ``at``."""
    said: list[tuple[datetime, str]] = []
    if on_the_spot:
        said.append((on_the_spot_at or _NEVER, on_the_spot))
    answered = [r for r in replies if r["reply"]]
    if answered:
        last = [r for r in answered if r["round"] == max(r["round"] for r in answered)]
        text = (last[0]["reply"] if len(last) == 1
                else "\n".join(f"{r['department']}：{r['reply']}" for r in last))
        said.append((max(r["replied_at"] or _NEVER for r in last), text))
    said += [(c["at"] or _NEVER, c["text"]) for c in conversions if c["text"]]
    return max(said, key=lambda pair: pair[0])[1] if said else None
