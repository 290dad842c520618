"""12345 hotline cases (热线工单) imported in batches: row by row, idempotent on the hotline's case
number, personal data sealed as at the intake and never in a report or a log."""

import asyncio
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest
from liaison_tools.testing import token_for

from .conftest import DONGFENG, HUANGQUQIAO, HUINONG, PINGLUO

pytestmark = pytest.mark.integration

HEADER = "工单号,来电时间,问题分类,诉求内容,来电人,联系电话,同意留存个人信息,区划代码,事发地点,紧急程度"
CALLER, PHONE = "王小明", "13912345678"


def numbers(count: int) -> list[str]:
    tag = uuid.uuid4().hex[:8].upper()
    return [f"SZS{tag}{i:03d}" for i in range(count)]


def yesterday() -> str:
    return (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")


async def import_file(api, headers, body: str, kind: str = "text/csv"):
    return await api.post("/api/v1/hotline/imports", headers={**headers, "content-type": kind},
                          content=body.encode())


def mixed_file(n: list[str]) -> str:
    when = yesterday()
    future = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    return "\n".join([
        HEADER,
        f"{n[0]},{when},水利,村口灌溉渠堵塞，影响春灌,{CALLER},{PHONE},是,{DONGFENG},,一般",
        f"{n[1]},{when},水利,东风村路灯不亮已经一周,,,否,,平罗县黄渠桥镇东风村村口,紧急",
        f"{n[0]},{when},水利,村口灌溉渠堵塞，影响春灌,{CALLER},{PHONE},是,{DONGFENG},,一般",  # twice in the file
        f"{n[2]},{when},水利,,{CALLER},{PHONE},是,{DONGFENG},,一般",  # no content
        f"{n[3]},{when},水利,垃圾无人清运,{CALLER},138-abc,是,{DONGFENG},,一般",  # a phone that is none
        f"{n[4]},{when},水利,惠农区的事,,,否,{HUINONG},,一般",  # outside the importer's county
        f"{n[4]}X,{future},水利,明天的电话,,,否,{DONGFENG},,一般",  # a call not yet taken
        f"{n[4]}Y,{when},水利,很急的事,,,否,{DONGFENG},,十万火急",  # no urgency we know
    ]) + "\n"


async def test_good_duplicate_and_bad_rows_are_each_reported_and_a_reimport_changes_nothing(world, db_pool, caplog):
    api, staff = world["api"], world["county_staff"]
    n = numbers(5)
    text = mixed_file(n)
    caplog.set_level(logging.DEBUG)
    first = await import_file(api, staff, text)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["rows"], report["created"], report["already_imported"], report["rejected"]) == (8, 2, 1, 5)
    outcomes = [(r["row"], r["case_number"], r["outcome"]) for r in report["results"]]
    assert outcomes[:3] == [(2, n[0], "created"), (3, n[1], "created"), (4, n[0], "already_imported")]
    assert report["results"][2]["opinion_id"] == report["results"][0]["opinion_id"]
    reasons = {r["case_number"]: r["reason"] for r in report["results"] if r["outcome"] == "rejected"}
    assert reasons[n[2]].startswith("content:")
    assert reasons[n[3]].startswith("caller_phone:")
    assert reasons[n[4]] == f"org unit {HUINONG} is outside your scope"
    assert reasons[f"{n[4]}X"].startswith("received_at:")
    assert reasons[f"{n[4]}Y"].startswith("urgency:")
    # nothing personal in what the importer reads back, nor in the logs
    assert CALLER not in first.text and PHONE not in first.text and "138-abc" not in first.text
    assert CALLER not in caplog.text and PHONE not in caplog.text

    created = {r["case_number"]: r["opinion_id"] for r in report["results"] if r["outcome"] == "created"}
    rows = {r["case_number"]: r for r in await db_pool.fetch(
        "SELECT h.case_number, h.received_at, o.channel, o.org_unit, o.urgency, o.subject_id, o.category"
        " FROM feedback.hotline_cases h JOIN feedback.opinions o ON o.id = h.opinion_id"
        " WHERE h.case_number = ANY($1::text[])", n + [f"{n[4]}X", f"{n[4]}Y"])}
    assert set(rows) == {n[0], n[1]}
    assert rows[n[0]]["channel"] == "hotline" and rows[n[0]]["subject_id"] is not None  # consented: sealed
    assert rows[n[1]]["org_unit"] == DONGFENG and rows[n[1]]["urgency"] == "urgent"  # found by its place
    assert rows[n[1]]["subject_id"] is None
    assert rows[n[0]]["received_at"] is not None
    # the name and phone are sealed: in no table in clear
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.opinions WHERE content LIKE '%' || $1 || '%'",
                                  CALLER) == 0
    sealed = await db_pool.fetchrow("SELECT name_sealed, phone_sealed FROM feedback.submitters WHERE subject_id = $1",
                                    rows[n[0]]["subject_id"])
    assert CALLER.encode() not in sealed["name_sealed"] and PHONE.encode() not in sealed["phone_sealed"]
    # the handling staff read them in clear, as for any consented intake; the history says where it came from
    case = (await api.get(f"/api/v1/opinions/{created[n[0]]}", headers=staff)).json()
    assert case["submitter_name"] == CALLER and case["channel"] == "hotline"
    assert any(h["action"] == "hotline_import" and h["detail"]["case_number"] == n[0] for h in case["history"])
    # the event names the hotline's number and nothing personal
    payload = await db_pool.fetchval("SELECT convert_from(payload, 'UTF8') FROM feedback.outbox"
                                     " WHERE record_key = $1 AND event_type LIKE '%opinion.submitted%'", created[n[0]])
    assert json.loads(payload)["hotline_case_number"] == n[0]
    assert CALLER not in payload and PHONE not in payload

    opinions = await db_pool.fetchval("SELECT count(*) FROM feedback.opinions WHERE channel = 'hotline'")
    events = await db_pool.fetchval("SELECT count(*) FROM feedback.outbox")
    again = (await import_file(api, staff, text)).json()
    assert (again["created"], again["already_imported"], again["rejected"]) == (0, 3, 5)
    assert {r["opinion_id"] for r in again["results"] if r["outcome"] == "already_imported"} == set(created.values())
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.opinions WHERE channel = 'hotline'") == opinions
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.outbox") == events


async def test_a_json_export_is_read_by_either_names_and_a_bad_case_does_not_stop_the_others(world, db_pool):
    api, staff = world["api"], world["town_staff"]
    n = numbers(3)
    cases = [
        {"工单号": n[0], "诉求内容": "黄渠桥镇街道积水", "区划代码": HUANGQUQIAO, "紧急程度": "特急"},
        {"case_number": n[1], "content": "东风村小学门口缺少减速带", "org_unit": DONGFENG, "received_at":
         (datetime.now() - timedelta(hours=3)).isoformat(timespec="seconds"), "consent": False,
         "caller_phone": PHONE},
        {"case_number": n[2], "content": "镇上噪音扰民", "org_unit": HUANGQUQIAO, "工单来源": "微信"},
        "不是一件工单",
    ]
    answer = await import_file(api, staff, json.dumps({"cases": cases}, ensure_ascii=False), "application/json")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert [r["outcome"] for r in report["results"]] == ["created", "created", "rejected", "rejected"]
    assert report["results"][2]["reason"].startswith("1 of 4 fields not recognised")
    assert "工单来源" not in answer.text
    # without consent the phone given is not kept
    assert await db_pool.fetchval(
        "SELECT o.subject_id FROM feedback.opinions o JOIN feedback.hotline_cases h ON h.opinion_id = o.id"
        " WHERE h.case_number = $1", n[1]) is None
    bare = await import_file(api, staff, json.dumps(cases[:2], ensure_ascii=False), "application/json")
    assert [r["outcome"] for r in bare.json()["results"]] == ["already_imported", "already_imported"]


async def test_a_file_that_cannot_be_read_is_refused_whole_and_writes_nothing(world, db_pool):
    api, staff = world["api"], world["county_staff"]
    before = await db_pool.fetchval("SELECT count(*) FROM feedback.hotline_cases")
    unknown = await import_file(api, staff, f"工单号,诉求内容,备注\n{numbers(1)[0]},路灯不亮,{PHONE}\n")
    assert unknown.status_code == 422 and "1 of 3 columns" in unknown.json()["error"]["message"]
    assert "备注" not in unknown.text and PHONE not in unknown.text
    limit = world["settings"].hotline_import_max_rows
    too_many = "工单号,诉求内容,区划代码\n" + "".join(f"{n},路灯不亮,{DONGFENG}\n" for n in numbers(limit + 1))
    assert (await import_file(api, staff, too_many)).status_code == 422
    assert (await import_file(api, staff, "{not json", "application/json")).status_code == 422
    assert (await import_file(api, staff, "<xml/>", "application/xml")).status_code == 422
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.hotline_cases") == before


async def test_a_file_without_its_header_row_is_refused_without_repeating_a_cell_of_it(world, db_pool):
    """The first row of cases read as the header: the refusal counts the columns it does not know and
    names those it does, never a caller's name or phone that stood where a header should."""
    api, staff = world["api"], world["county_staff"]
    n = numbers(2)
    headless = "\n".join(f"{number},{yesterday()},水利,村口灌溉渠堵塞,{CALLER},{PHONE},是,{DONGFENG},,一般"
                         for number in n) + "\n"
    before = await db_pool.fetchval("SELECT count(*) FROM feedback.hotline_cases")
    answer = await import_file(api, staff, headless)
    assert answer.status_code == 422, answer.text
    message = answer.json()["error"]["message"]
    assert "10 of 10 columns not recognised" in message and "工单号" in message and "诉求内容" in message
    assert not any(value in answer.text for value in (CALLER, PHONE, n[0], "村口灌溉渠堵塞"))
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.hotline_cases") == before


async def test_a_json_case_is_reported_without_repeating_an_unknown_key_or_a_case_number_that_is_none(world):
    api, staff = world["api"], world["county_staff"]
    n = numbers(2)
    cases = [{"case_number": n[0], "content": "路灯不亮", "org_unit": DONGFENG, f"{CALLER}{PHONE}": "回电"},
             {"case_number": f"{CALLER}{PHONE}", "content": "路灯不亮", "org_unit": DONGFENG},
             {"case_number": n[1], "content": "路灯不亮", "org_unit": DONGFENG, "caller_phone": f"{CALLER}的电话"}]
    answer = await import_file(api, staff, json.dumps(cases, ensure_ascii=False), "application/json")
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["row"], r["case_number"], r["outcome"]) for r in results] == [
        (1, n[0], "rejected"), (2, None, "rejected"), (3, n[1], "rejected")]
    assert results[0]["reason"].startswith("1 of 4 fields not recognised") and "case_number" in results[0]["reason"]
    assert results[1]["reason"].startswith("case_number:")
    assert results[2]["reason"].startswith("caller_phone:")
    assert CALLER not in answer.text and PHONE not in answer.text


async def test_a_control_character_rejects_its_row_only_and_the_rows_after_it_are_imported(world, db_pool):
    """A NUL the database would refuse mid-import is the schema's refusal of that row's field: the
    rows before and after it are imported and the report is whole."""
    api, staff = world["api"], world["county_staff"]
    n = numbers(4)
    cases = [{"case_number": n[0], "content": "东风村路灯不亮", "org_unit": DONGFENG},
             {"case_number": n[1], "content": "村口\u0000灌溉渠堵塞", "org_unit": DONGFENG},
             {"case_number": n[2], "content": "渠道漏水", "org_unit": DONGFENG, "caller_name": "王\u0007五",
              "consent": True},
             {"case_number": n[3], "content": "路面坑洼\n已有一月\t仍未修", "org_unit": DONGFENG}]
    answer = await import_file(api, staff, json.dumps(cases, ensure_ascii=False), "application/json")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["created"], report["rejected"]) == (4, 2, 2)
    assert [r["outcome"] for r in report["results"]] == ["created", "rejected", "rejected", "created"]
    assert report["results"][1]["reason"].startswith("content:")
    assert report["results"][2]["reason"].startswith("caller_name:")
    kept = await db_pool.fetch("SELECT case_number FROM feedback.hotline_cases WHERE case_number = ANY($1::text[])", n)
    assert {r["case_number"] for r in kept} == {n[0], n[3]}


async def test_a_json_file_nested_beyond_reading_is_refused_whole(world, db_pool):
    api, staff = world["api"], world["county_staff"]
    before = await db_pool.fetchval("SELECT count(*) FROM feedback.hotline_cases")
    for deep in ("[" * 100_000, '{"a":' * 100_000):
        answer = await import_file(api, staff, deep, "application/json")
        assert answer.status_code == 422, answer.text[:200]
        assert answer.json()["error"]["message"] == "not a JSON document: nested too deeply"
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.hotline_cases") == before


async def test_only_staff_import_and_each_reads_its_own_subtree(world):
    api = world["api"]
    n = numbers(1)[0]
    body = f"工单号,诉求内容,区划代码\n{n},渠道漏水,{DONGFENG}\n"
    assert (await import_file(api, world["water"], body)).status_code == 403
    member = token_for(world["settings"], "member", PINGLUO, member_id=world["member_id"])
    assert (await import_file(api, member, body)).status_code == 403
    assert (await import_file(api, {}, body)).status_code == 401
    assert (await import_file(api, world["county_staff"], body)).json()["created"] == 1
    mine = (await api.get("/api/v1/hotline/cases", params={"case_number": n}, headers=world["county_staff"])).json()
    assert mine["total"] == 1 and mine["items"][0]["org_unit"] == DONGFENG
    sibling = token_for(world["settings"], "staff", HUINONG)
    assert (await api.get("/api/v1/hotline/cases", params={"case_number": n}, headers=sibling)).json()["total"] == 0
    # the sibling county imports the same number for a case of its own: refused, and neither the
    # other county's case nor its place is named
    again = (await import_file(api, sibling, f"工单号,诉求内容,区划代码\n{n},路面坑洼,{HUINONG}\n")).json()
    assert again["created"] == 0 and again["rejected"] == 1
    assert again["results"][0]["opinion_id"] is None
    assert again["results"][0]["reason"] == "case_number: already imported by another unit"
    assert mine["items"][0]["opinion_id"] not in json.dumps(again) and DONGFENG not in json.dumps(again)


def liaison(settings, *args: str) -> subprocess.CompletedProcess:
    """The operator's command, as a shell runs it, on the test database with the services' settings."""
    env = {**os.environ, "DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS":
           settings.kafka_bootstrap_servers, "DEV_MODE": "true", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "liaison_shared.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


async def test_the_liaison_command_imports_a_file_as_the_route_does_and_a_second_run_changes_nothing(
        world, db_pool, tmp_path):
    settings, n = world["settings"], numbers(3)
    when = yesterday()
    export = tmp_path / "12345-export.csv"
    export.write_text("\n".join([
        HEADER,
        f"{n[0]},{when},水利,村口灌溉渠堵塞，影响春灌,{CALLER},{PHONE},是,{DONGFENG},,一般",
        f"{n[1]},{when},水利,东风村路灯不亮已经一周,,,否,,平罗县黄渠桥镇东风村村口,紧急",
        f"{n[2]},{when},水利,惠农区的事,{CALLER},{PHONE},是,{HUINONG},,一般",  # outside the importer's county
    ]) + "\n", encoding="utf-8-sig")
    by = f"operator:{uuid.uuid4().hex[:6]}"
    first = await asyncio.to_thread(liaison, settings, "hotline-import", str(export), "--org-unit", PINGLUO,
                                    "--by", by)
    assert first.returncode == 1, first.stderr  # a row was rejected
    lines = first.stdout.splitlines()
    assert [line.split()[1:3] for line in lines[:3]] == [[n[0], "created"], [n[1], "created"], [n[2], "rejected"]]
    assert f"org unit {HUINONG} is outside your scope" in lines[2]
    assert lines[-1] == "3 rows: 2 created, 0 already imported, 1 rejected"
    assert CALLER not in first.stdout + first.stderr and PHONE not in first.stdout + first.stderr

    created = {r["case_number"]: r for r in await db_pool.fetch(
        "SELECT h.case_number, h.opinion_id::text AS id, h.imported_by, o.channel, o.org_unit"
        " FROM feedback.hotline_cases h JOIN feedback.opinions o ON o.id = h.opinion_id"
        " WHERE h.case_number = ANY($1::text[])", n)}
    assert set(created) == {n[0], n[1]} and created[n[1]]["org_unit"] == DONGFENG
    assert all(r["imported_by"] == by and r["channel"] == "hotline" for r in created.values())
    # sealed with the services' own keys: the handling staff read the caller in clear, as after the route
    case = (await world["api"].get(f"/api/v1/opinions/{created[n[0]]['id']}", headers=world["county_staff"])).json()
    assert case["submitter_name"] == CALLER
    assert any(h["action"] == "hotline_import" and h["actor_sub"] == by for h in case["history"])
    # the events wait in the outbox for feedback's relay; the audit log names who and which command
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.outbox WHERE record_key = ANY($1::text[])"
                                  " AND event_type LIKE '%opinion.submitted%'",
                                  [r["id"] for r in created.values()]) == 2
    audited = await db_pool.fetch("SELECT action, actor_role, actor_org, resource_id FROM feedback.audit_log"
                                  " WHERE actor_sub = $1", by)
    assert {tuple(r)[:3] for r in audited} == {("CLI liaison hotline-import", "staff", PINGLUO)}
    assert {r["id"] for r in created.values()} <= {r["resource_id"] for r in audited}

    opinions = await db_pool.fetchval("SELECT count(*) FROM feedback.opinions")
    events = await db_pool.fetchval("SELECT count(*) FROM feedback.outbox")
    again_file = tmp_path / "again.json"
    again_file.write_text(json.dumps([{"case_number": n[0], "content": "村口灌溉渠堵塞", "org_unit": DONGFENG},
                                      {"工单号": n[1], "诉求内容": "路灯不亮", "区划代码": DONGFENG}],
                                     ensure_ascii=False), encoding="utf-8")
    again = await asyncio.to_thread(liaison, settings, "hotline-import", str(again_file), "--org-unit", PINGLUO,
                                    "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["created"], report["already_imported"], report["rejected"]) == (0, 2, 0)
    assert [r["opinion_id"] for r in report["results"]] == [created[n[0]]["id"], created[n[1]]["id"]]
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.opinions") == opinions
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.outbox") == events

    unreadable = tmp_path / "bad.csv"
    unreadable.write_text(f"工单号,诉求内容,备注\n{numbers(1)[0]},路灯不亮,{PHONE}\n", encoding="utf-8")
    refused = await asyncio.to_thread(liaison, settings, "hotline-import", str(unreadable), "--org-unit", PINGLUO)
    assert refused.returncode == 2 and "1 of 3 columns" in refused.stderr and PHONE not in refused.stderr
    assert "备注" not in refused.stderr
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.opinions") == opinions
