"""Bulk import from CSV: UTF-8 (a BOM is fine), Chinese or English headers."""

from __future__ import annotations

import csv
import io
import re

from liaison_shared.errors import Unprocessable

HEADERS: dict[str, dict[str, str]] = {
    "org-units": {
        "代码": "code", "区划代码": "code", "名称": "name", "值班人": "duty_name",
        "值班邮箱": "duty_email", "值班电话": "duty_phone", "职责": "duties", "地址": "address",
    },
    "members": {
        "姓名": "name", "界别": "sector", "所属政协": "org_unit", "委员会": "org_unit",
        "专委会": "special_committee", "职业": "occupation", "工作单位": "work_unit",
        "所在地区": "region", "区域": "region", "届次": "term", "照片": "photo_url",
        "公开联系方式": "public_contact", "邮箱": "email", "电话": "phone", "手机": "phone",
        "联系点": "contact_points",
    },
    "venues": {
        "类型": "kind", "名称": "name", "所属单位": "org_unit", "组织单元": "org_unit",
        "地址": "address", "开放时间": "opening_hours", "界别": "sector",
    },
}

VENUE_KIND_NAMES = {
    "界别委员工作室": "sector_studio", "委员会客室": "reception_room",
    "基层联系点": "contact_point", "联系点": "contact_point", "协商议事厅": "deliberation_hall",
}

MAX_ROWS = 20_000


def parse(kind: str, text: str) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, field → value), empty values dropped, headers normalised."""
    try:
        return _parse(kind, text)
    except csv.Error as error:
        raise Unprocessable(f"not a CSV file: {error}") from None


def _parse(kind: str, text: str) -> list[tuple[int, dict[str, str]]]:
    mapping = HEADERS[kind]
    english = set(mapping.values())
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Unprocessable("the file is empty") from None
    fields = []
    for raw in header:
        name = raw.strip()
        field = mapping.get(name) or (name if name in english else None)
        if field is None:
            raise Unprocessable(f"unknown column {name!r}; known: {', '.join(sorted(mapping))}")
        fields.append(field)
    rows = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(fields):
            rows.append((number, {"__error__": f"{len(values)} values for {len(fields)} columns"}))
            continue
        rows.append((number, {f: v.strip() for f, v in zip(fields, values, strict=True) if v.strip()}))
        if len(rows) > MAX_ROWS:
            raise Unprocessable(f"at most {MAX_ROWS} rows per import")
    return rows


def split_list(value: str | None) -> list[str]:
    return [part for part in re.split(r"[;；、,，\s]+", value or "") if part]
