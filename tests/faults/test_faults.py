"""Nothing lost, nothing doubled: a steady stream of public submissions and staff actions
through each fault, against real processes. Each scenario prints its figures."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest
from liaison_shared import registry
from liaison_shared.events import dlq_topic
from liaison_shared.kafka import consumer_group
from liaison_tools.apache_kafka import ApacheKafka
from liaison_tools.testing import collect, eventually, header, produce_raw, token_for

from .conftest import (
    VILLAGE,
    assert_nothing_lost_or_doubled,
    consumer_group_members,
    drive,
    figures,
)


async def later(seconds: float, action, *args):
    await asyncio.sleep(seconds)
    return await asyncio.to_thread(action, *args)


async def test_broker_unreachable_for_20_seconds(stack, db_pool_faults):
    """Requests keep succeeding while the broker is cut off; the events flow after."""
    seen = {"backlog": [], "broker_up": []}

    async def cut_then_restore():
        await later(3, stack.proxy.cut)
        async with httpx.AsyncClient(base_url=stack.services["feedback"].url, timeout=5) as client:
            for _ in range(18):  # what an operator sees during the cut
                await asyncio.sleep(1)
                seen["backlog"].append(await db_pool_faults.fetchval(
                    "SELECT count(*) FROM feedback.outbox WHERE published_at IS NULL"))
                seen["broker_up"].append((await client.get("/readyz")).json()["broker"]["up"])
        await later(2, stack.proxy.restore)

    load, _ = await asyncio.gather(drive(stack, seconds=28), cut_then_restore())
    print(f"\n[broker cut] unpublished outbox rows each second of the cut: {seen['backlog']}; "
          f"/readyz broker.up: {seen['broker_up']}")
    assert load.unreachable == load.timed_out == 0 and not load.refused, load  # the API never needed the broker
    # the cut took effect: the outbox held the writes, growing to the end of the cut …
    assert seen["backlog"][-1] > seen["backlog"][len(seen["backlog"]) // 2] > seen["backlog"][0], seen
    # … and readiness said the broker was gone (once the relay's sends went unanswered), to the end
    assert seen["broker_up"][-1] is False and seen["broker_up"].count(False) >= 5, seen
    counted = await figures(stack, load, timeout=120)
    assert_nothing_lost_or_doubled(counted, load)

    async def broker_up_again():
        async with httpx.AsyncClient(base_url=stack.services["feedback"].url, timeout=5) as client:
            return (await client.get("/readyz")).json()["broker"]["up"]
    await eventually(broker_up_again, timeout=30, interval=0.5)


async def test_a_consuming_service_killed_mid_stream(stack, db_pool_faults):
    in_flight: list[str] = []

    async def kill_then_restart():
        await later(4, stack.services["notify"].kill, signal.SIGKILL)
        # what the dead worker had claimed and not recorded: it may have sent some of it
        in_flight.extend(r["id"] for r in await db_pool_faults.fetch(
            "SELECT id::text FROM notify.notifications WHERE channel = 'email' AND status = 'pending'"
            " AND claimed_until > now()"))
        await later(4, stack.restart, "notify")

    load, _ = await asyncio.gather(drive(stack, seconds=16), kill_then_restart())
    # By design: killed between an SMTP send and its record, notify sends that e-mail again once
    # its claim lapses (DELIVERY_LEASE_S), with the same Message-ID — at most what it held
    # claimed at the kill, itself at most one batch of the worker (50).
    bound = min(len(in_flight), 50)
    counted = await figures(stack, load, timeout=120, resend_bound=bound,
                            why_resends=f"{len(in_flight)} e-mails claimed, unrecorded, by the killed notify")
    assert_nothing_lost_or_doubled(counted, load)
    assert load.unreachable == load.timed_out == 0 and not load.refused, load  # feedback never depended on notify
    # and what came twice is only what the dead worker held
    assert counted["resent"] <= {f"<{i}@cppcc-liaison>" for i in in_flight}, (counted["resent"], in_flight)


async def test_the_relay_killed_between_publish_and_mark(stack, db_pool_faults):
    """The relay dies after sending, before marking: the batch is sent again on restart, and
    the consumers' inbox absorbs the copies."""
    feedback = stack.restart("feedback", FAULT_CRASH_AFTER_PUBLISH="25")

    async def wait_for_the_crash_then_restart():
        await asyncio.to_thread(feedback.process.wait, 60)
        assert feedback.process.returncode == -signal.SIGKILL
        await asyncio.to_thread(stack.restart, "feedback")

    load, _ = await asyncio.gather(drive(stack, seconds=14), wait_for_the_crash_then_restart())
    counted = await figures(stack, load)
    assert_nothing_lost_or_doubled(counted, load)
    # the crash did resend: the topic holds more copies of these events than there are events
    event_ids = {r["event_id"] for r in await db_pool_faults.fetch(
        "SELECT event_id::text FROM feedback.outbox WHERE record_key = ANY($1::text[])"
        " AND event_type = 'cppcc.feedback.opinion.submitted.v1'", load.accepted)}
    copies = await collect(stack.settings, "cppcc.feedback.opinion", count=len(event_ids) + 1,
                           where=lambda r: (header(r, "ce_id") or "") in event_ids, timeout=30)
    print(f"[relay crash] events={len(event_ids)} copies on the topic={len(copies)} effects={counted['effects']}")
    assert len(copies) > len(event_ids) == counted["effects"]


async def test_postgresql_stopped_and_started(stack):
    """During the outage writes answer 503 with Retry-After, never 500; afterwards everything
    works without restarting a service."""
    async def stop_then_start():
        await later(4, stack.postgres.stop)
        await later(8, stack.postgres.start)

    pids = {name: s.process.pid for name, s in stack.services.items()}
    load, _ = await asyncio.gather(drive(stack, seconds=22), stop_then_start())
    assert load.refused.get(503, 0) > 0, load.refused  # the outage was seen …
    assert set(load.refused) == {503} and load.retry_after_missing == 0  # … and only as 503 + Retry-After
    assert load.timed_out == load.unreachable == 0, load  # … at once: not one request left hanging
    assert_nothing_lost_or_doubled(await figures(stack, load, timeout=120), load)
    assert {name: s.process.pid for name, s in stack.services.items()} == pids


@pytest.mark.parametrize("leaves", ["stopped", "SIGKILLed"])
async def test_a_second_consumer_joins_and_leaves_under_load(stack, leaves):
    second = stack.process("notify")
    group: dict[str, list] = {}

    # Tansu does not describe a group's assignments (DescribeGroups answers no members there), so
    # the evidence that the second notify took partitions is gathered on Apache Kafka only
    described = isinstance(stack.broker, ApacheKafka)

    async def join_then_leave():
        await later(2, second.start)
        if not described:
            await asyncio.sleep(10)
            await asyncio.to_thread(second.stop if leaves == "stopped" else second.kill)
            return

        async def both_assigned():  # the second notify took partitions: two members, each with some
            members = group["last seen"] = await consumer_group_members(stack.settings, consumer_group("notify"))
            return members if len(members) == 2 and all(members) else None
        group["while both ran"] = await eventually(both_assigned, timeout=30, interval=0.5)
        await asyncio.sleep(6)
        await asyncio.to_thread(second.stop if leaves == "stopped" else second.kill)

        async def one_has_all():  # and gave them back (a killed one: once its session timed out)
            members = await consumer_group_members(stack.settings, consumer_group("notify"))
            everything = sum(len(m) for m in group["while both ran"])
            return members if len(members) == 1 and len(members[0]) == everything else None
        group["after"] = await eventually(one_has_all, timeout=40, interval=0.5)

    load, _ = await asyncio.gather(drive(stack, seconds=22), join_then_leave())
    print(f"\n[second notify, {leaves}] partitions per member of the group: "
          + ", ".join(f"{k}: {[len(m) for m in v]}" for k, v in group.items() if k != "last seen"))
    if leaves == "SIGKILLed":
        assert second.process.returncode == -signal.SIGKILL, second.process.returncode
    # a SIGKILLed notify may have sent e-mails it never recorded: at most its one batch (50), again
    counted = await figures(stack, load, timeout=120, resend_bound=50 if leaves == "SIGKILLed" else 0,
                            why_resends="the killed second notify's claimed batch" if leaves == "SIGKILLed" else "")
    assert_nothing_lost_or_doubled(counted, load)


async def test_poison_on_every_consumed_topic_goes_to_the_dlq_and_a_redrive_after_the_fix_applies_once(
        stack, db_pool_faults):
    specs = registry.specs()
    consumed = sorted({t for name in stack.services for t in (specs[name].consumer.topics
                                                              if specs[name].consumer else [])})
    for topic in consumed:
        await produce_raw(stack.settings, topic, [(b"poison", b"\x00 not an event", [("ce_type", b"garbage")])])
    # a rule whose template was forgotten: notify cannot handle opinion.answered until it exists
    await db_pool_faults.execute(
        "INSERT INTO notify.rules (event_type, recipient, field, channels, template)"
        " VALUES ('cppcc.feedback.opinion.answered', 'org_staff', 'org_unit', '{inbox}', 'fault_answered')"
        " ON CONFLICT DO NOTHING")
    load = await drive(stack, seconds=14, answer_every=4)
    assert load.answered
    counted = await figures(stack, load)
    assert_nothing_lost_or_doubled(counted, load)  # the stream went on around the poison

    async def answered_notifications():
        return await db_pool_faults.fetchval(
            "SELECT count(*) FROM notify.notifications WHERE event_type = 'cppcc.feedback.opinion.answered.v1'"
            " AND recipient_kind = 'org_staff'")
    assert await answered_notifications() == 0

    async def dead_lettered():
        listed = await asyncio.to_thread(stack.liaison, "dlq", "list", "--limit", "100000")
        lines = [line for line in listed.stdout.splitlines() if line.startswith("{")]
        return lines if sum('"redriven": false' in x for x in lines) >= len(consumed) + len(load.answered) else None
    lines = await eventually(dead_lettered, timeout=90, interval=1)
    for topic in consumed:
        assert any(f'"topic": "{dlq_topic(topic)}"' in line for line in lines), topic

    await db_pool_faults.execute(
        "INSERT INTO notify.templates (key, locale, subject, body) VALUES ('fault_answered', 'zh-CN', '已答复',"
        " '{org_unit_name}的意见已当场答复') ON CONFLICT DO NOTHING")  # the fix
    redriven = await asyncio.to_thread(stack.liaison, "dlq", "redrive", "notify")
    assert '"handled": ' in redriven.stdout, redriven.stdout + redriven.stderr
    # the garbage can never be handled: the redrive says so in its exit code, one per topic
    assert redriven.returncode == 1 and redriven.stdout.count("missing CloudEvents headers") == len(consumed), \
        redriven.stdout
    assert await answered_notifications() == len(load.answered)
    again = await asyncio.to_thread(stack.liaison, "dlq", "redrive", "notify")
    # nothing more to apply: only the same garbage fails again, and says so in the exit code
    assert again.returncode == 1 and again.stdout.count("missing CloudEvents headers") == len(consumed), \
        again.stdout + again.stderr
    assert '"handled"' not in again.stdout
    assert await answered_notifications() == len(load.answered)
    outcomes = redriven.stdout[redriven.stdout.index('"outcomes"'):redriven.stdout.index(', "failed"')]
    print(f"\n[poison] topics={len(consumed)} answered={len(load.answered)} redrive {outcomes}")


async def test_the_deadline_scheduler_restarted_around_a_deadline_says_overdue_once(stack, db_pool_faults):
    load = await drive(stack, seconds=3)
    staff_token = token_for(stack.settings, "staff", VILLAGE)
    async with httpx.AsyncClient(base_url=stack.services["feedback"].url, headers=staff_token, timeout=10) as client:
        for opinion in load.accepted:
            assigned = await client.post(f"/api/v1/opinions/{opinion}/actions", json={
                "action": "assign", "department_ids": [stack.department]})
            assert assigned.status_code == 200, assigned.text
    # the deadline passes: yesterday, for every one of them
    await db_pool_faults.execute(
        "UPDATE feedback.opinions SET deadline = current_date - 1 WHERE id = ANY($1::uuid[])", load.accepted)
    await db_pool_faults.execute(
        "UPDATE feedback.assignments SET deadline = current_date - 1 WHERE opinion_id = ANY($1::uuid[])",
        load.accepted)
    for _ in range(4):  # restarted over and over around the scans
        await asyncio.sleep(0.7)
        await asyncio.to_thread(stack.restart, "feedback")

    async def all_overdue():
        n = await db_pool_faults.fetchval(
            "SELECT count(*) FROM feedback.outbox WHERE event_type = 'cppcc.feedback.opinion.overdue.v1'"
            " AND record_key = ANY($1::text[])", load.accepted)
        return n if n >= len(load.accepted) else None
    await eventually(all_overdue, timeout=60)
    await asyncio.sleep(3)
    per_case = await db_pool_faults.fetch(
        "SELECT record_key, count(*) AS n FROM feedback.outbox WHERE event_type = 'cppcc.feedback.opinion.overdue.v1'"
        " AND record_key = ANY($1::text[]) GROUP BY 1", load.accepted)
    assert len(per_case) == len(load.accepted) and all(r["n"] == 1 for r in per_case), per_case

    async def notified():
        rows = await db_pool_faults.fetch(
            "SELECT n.event_id, n.recipient_kind, n.recipient_id, n.channel, count(*) AS copies"
            " FROM notify.notifications n WHERE n.event_type = 'cppcc.feedback.opinion.overdue.v1'"
            " AND n.event_id IN (SELECT event_id::text FROM feedback.outbox WHERE record_key = ANY($1::text[])"
            " AND event_type = 'cppcc.feedback.opinion.overdue.v1') GROUP BY 1, 2, 3, 4", load.accepted)
        return rows if len({r["event_id"] for r in rows}) == len(load.accepted) else None
    rows = await eventually(notified, timeout=60)
    assert all(r["copies"] == 1 for r in rows)
    print(f"\n[overdue] cases={len(load.accepted)} overdue events={len(per_case)} notifications={len(rows)} "
          f"duplicates=0 lost=0")


async def test_the_platform_still_answers(stack, db_pool_faults):
    """After every fault: one more clean round, and no outbox row left unpublished."""
    load = await drive(stack, seconds=4)
    assert_nothing_lost_or_doubled(await figures(stack, load), load)
    assert await db_pool_faults.fetchval("SELECT count(*) FROM feedback.outbox WHERE published_at IS NULL") == 0
