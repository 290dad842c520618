"""The PII sweep: a citizen with a known, unusual name and phone number goes through the whole
story — public intake with consent, triage and assignment, a department's reply, an SMS to the
citizen and e-mails — on the four services as processes; then every row of every table of every
schema, every record of every topic and every log line of the services (and of PostgreSQL) is
searched for the name and the number. The only place they may be is the sealed submitter row,
where they are not in clear.

Then the citizen's data is erased, and the search runs again for them and for what could be
turned back into them: unkeyed hashes of the number, of the name, and of the request that carried
them (sha256 of the body and of the body with the ids of the events it caused, as the audit log
hashed it). Zero hits.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import tempfile
from pathlib import Path

import httpx
import pytest_asyncio
from liaison_tools.testing import eventually

from .security_support.inspect import (
    all_records,
    record_bytes,
    records_holding,
    rows_holding,
    settled,
    tables,
)
from .security_support.stack import COUNTY_A, VILLAGE_A, demo_stack

NAME, PHONE = "测试甄某某", "13912345678"

# Before erasure, the development SMS gateway's table stands in for the operator's SMS provider:
# the text has to reach the number. After erasure nothing may hold it.
SMS_PROVIDER = "notify.sms_messages"


async def postgres_log(pool) -> tuple[str, str | None]:
    """The embedded PostgreSQL's server log, beside its data directory or the link to it (None on a
    server of someone else's, whose log is not ours to read)."""
    try:
        data_directory = Path(await pool.fetchval("SHOW data_directory"))
    except Exception:
        return "postgres.log", None
    return "postgres.log", await asyncio.to_thread(_server_log, data_directory)


def _server_log(data_directory: Path) -> str | None:
    data_directory = data_directory.resolve()
    candidates = [data_directory.parent / "postgres.log", data_directory / "postgres.log"]
    candidates += [link.parent / "postgres.log" for link in Path(tempfile.gettempdir()).glob("liaison-pg-*/pgdata")
                   if link.resolve() == data_directory]
    found = next((path for path in candidates if path.is_file()), None)
    return found.read_text(errors="replace") if found else None


async def everywhere(stack, needle: str, records: list) -> dict[str, int]:
    """Where ``needle`` is: tables, topics and logs, with a count of rows, records or lines."""
    found = {f"table {name}": n for name, n in (await rows_holding(stack.pool, needle)).items()}
    found |= {f"topic {name}": n for name, n in records_holding(records, needle).items()}
    logs = stack.logs()
    name, text = await postgres_log(stack.pool)
    if text is not None:
        logs[name] = text
    mail = "\n".join(f"{m['to']} {m['subject']} {m['body']}" for m in stack.mailbox.messages)
    logs["e-mails sent"] = mail
    for name, text in logs.items():
        lines = sum(needle.lower() in line.lower() for line in text.splitlines())
        if lines:
            found[f"log {name}"] = lines
    return found


def digests(value: bytes) -> list[str]:
    return [hashlib.new(name, value).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")]


@pytest_asyncio.fixture(scope="module")
async def story(platform, tmp_path_factory):
    """The citizen's story, to the SMS and the e-mails; yields the stack and what the story made."""
    async with demo_stack(platform, tmp_path_factory.mktemp("pii-sweep")) as stack:
        ids = stack.ids
        staff = stack.token("staff", COUNTY_A)
        department = stack.token("department", COUNTY_A, dept=ids["dept_a"])
        feedback = stack.url("feedback")
        body = json.dumps({
            "content": "小区门口的路灯坏了三个月，晚上出行不便", "org_unit": VILLAGE_A, "channel": "online",
            "category": "市政", "consent": True, "submitter_name": NAME, "submitter_phone": PHONE,
        }, ensure_ascii=False).encode()
        async with httpx.AsyncClient(timeout=30) as http:
            created = await http.post(f"{feedback}/api/v1/opinions", content=body,
                                      headers={"Content-Type": "application/json"})
            assert created.status_code == 201, created.text
            opinion = created.json()["id"]
            actions = f"{feedback}/api/v1/opinions/{opinion}/actions"
            # triage: staff read the case in clear, look at the proposed dispatch, assign it
            case = await http.get(f"{feedback}/api/v1/opinions/{opinion}", headers=staff)
            assert case.status_code == 200 and case.json()["submitter_phone"] == PHONE, case.text
            await http.get(f"{feedback}/api/v1/opinions/{opinion}/dispatch-proposal", headers=staff)
            assigned = await http.post(actions, headers=staff, json={"action": "assign",
                                                                     "department_ids": [ids["dept_a"]]})
            assert assigned.status_code == 200, assigned.text
            # the department reads its case and replies
            assert (await http.get(f"{feedback}/api/v1/opinions/{opinion}", headers=department)).status_code == 200
            replied = await http.post(actions, headers=department, json={"action": "reply", "text": "已更换路灯"})
            assert replied.status_code == 200, replied.text

            async def texted():
                return await stack.pool.fetchval(
                    "SELECT status FROM notify.notifications WHERE channel = 'sms' AND recipient_kind = 'submitter'"
                    " AND recipient_id = $1 AND status <> 'pending'", opinion)

            assert await eventually(texted, timeout=60) == "sent"
            await eventually(lambda: stack.mailbox.messages, timeout=60)
            await settled(stack.pool)
            records = await all_records(stack.settings)
            yield {"stack": stack, "opinion": opinion, "body": body, "records": records, "http": http,
                   "staff": staff}


async def test_the_citizens_name_and_number_are_nowhere_but_the_sealed_row(story):
    stack, records = story["stack"], story["records"]
    assert records and stack.mailbox.messages, "the story produced no events or no e-mail"
    sealed = await stack.pool.fetchval("SELECT count(*) FROM feedback.submitters")
    assert sealed >= 1, "the submitter was not kept at all: the sweep would prove nothing"
    # the search finds what is there: the case's id in rows, records; the logs are read
    assert await rows_holding(stack.pool, story["opinion"]) and records_holding(records, story["opinion"])
    assert all(stack.logs().values())
    if not os.environ.get("DATABASE_URL"):
        assert (await postgres_log(stack.pool))[1], "the embedded PostgreSQL's log was not found"
    found = {needle: await everywhere(stack, needle, records) for needle in (NAME, PHONE)}
    found[PHONE].pop(f"table {SMS_PROVIDER}", None)
    leaks = {needle: where for needle, where in found.items() if where}
    assert not leaks, f"the citizen's personal data, outside the sealed submitter row: {leaks}"


async def test_after_erasure_nothing_holds_the_citizen_nor_a_hash_of_them(story):
    stack, http = story["stack"], story["http"]
    erased = await http.delete(f"{stack.url('feedback')}/api/v1/opinions/{story['opinion']}/submitter",
                               headers=story["staff"])
    assert erased.status_code == 204, erased.text
    await settled(stack.pool)
    records = await all_records(stack.settings)
    # the ids of the events the intake and the case caused, in any order, as a hash of a change would
    # have taken them after the request's body
    event_ids = [dict((k, v.decode()) for k, v in r.headers or ()).get("ce_id", "")
                 for r in records if story["opinion"].encode() in record_bytes(r)]
    event_ids = [i for i in dict.fromkeys(event_ids) if i][:8]
    preimages = [PHONE.encode(), NAME.encode(), (NAME + PHONE).encode(), story["body"]]
    preimages += [story["body"] + "".join(chain).encode()
                  for n in (1, 2, 3) for chain in itertools.permutations(event_ids, n)]
    hashes = {h for value in preimages for h in digests(value)}
    leaks = {}
    for needle in (NAME, PHONE):
        if where := await everywhere(stack, needle, records):
            leaks[needle] = where
    # one pass over every row and record for all the hashes at once
    haystacks = [(f"table {name}", text) for name, text in await _all_rows(stack.pool)]
    haystacks += [(f"topic {r.topic}", record_bytes(r).decode(errors="replace").lower()) for r in records]
    haystacks += [(f"log {name}", text.lower()) for name, text in stack.logs().items()]
    haystacks += [("postgres.log", ((await postgres_log(stack.pool))[1] or "").lower())]
    for where, text in haystacks:
        for digest in hashes:
            if digest in text:
                leaks.setdefault("a hash of the citizen's data or of their request", {}).setdefault(where, 0)
                leaks["a hash of the citizen's data or of their request"][where] += 1
    assert event_ids, "no event of the case was found on the topics"
    assert not leaks, f"after erasure, still: {leaks}"


async def _all_rows(pool) -> list[tuple[str, str]]:
    found = []
    for name in await tables(pool):
        rows = await pool.fetch(f"SELECT lower(t::text) AS text FROM {name} t")
        found.append((name.replace('"', ""), "\n".join(row["text"] for row in rows)))
    return found
