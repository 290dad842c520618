"""The operator's tools against the embedded broker and database: redrive after a fix applies
each dead letter once; the CLI lists dead letters, outbox backlog and lag, exports an org unit,
replays a topic into a service (the projection comes back identical), and every command has
its --help (and a dry run where it changes data)."""

import asyncio
import csv
import os
import subprocess
import sys
import uuid

from liaison_shared import ops
from liaison_tools.testing import eventually, produce_raw, running, token_for

from .probe import FAILING
from .test_inbox import TOPIC, count_effects, probe_record


async def test_a_redrive_after_the_fix_applies_each_dead_letter_once(probe, platform, db_pool):
    title = f"fixable-{uuid.uuid4().hex[:6]}"
    FAILING.add(title)
    try:
        async with running(probe(), platform):
            await produce_raw(platform, TOPIC, [probe_record(title, key=title), probe_record("poison", key=title)])

            async def dead():
                letters = await ops.dead_letters(platform, service="probe", limit=10_000)
                mine = [x for x in letters if not x.redriven and x.error and "fails" in x.error]
                return mine if len(mine) >= 2 else None
            await eventually(dead, timeout=40)
        assert await count_effects(db_pool, title) == 0
        dry = await ops.redrive(probe(), platform, dry_run=True)
        assert dry.outcomes["would_apply"] >= 2 and await count_effects(db_pool, title) == 0
        FAILING.discard(title)  # the fix
        report = await ops.redrive(probe(), platform)
        assert report.outcomes["handled"] >= 1 and await count_effects(db_pool, title) == 1
        # the unfixed poison failed again and went back to the end of its queue, for the next fix
        assert report.outcomes["failed_again"] >= 1 and len(report.failed) == report.outcomes["failed_again"]
        again = await ops.redrive(probe(), platform)
        assert again.outcomes["handled"] == 0 and await count_effects(db_pool, title) == 1
        waiting = [x for x in await ops.dead_letters(platform, service="probe", limit=10_000) if not x.redriven]
        assert len(waiting) == again.outcomes["failed_again"]
    finally:
        FAILING.discard(title)


def liaison(platform, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": platform.database_url,
           "KAFKA_BOOTSTRAP_SERVERS": platform.kafka_bootstrap_servers, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "liaison_shared.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def every_command() -> list[list[str]]:
    """Each command ``liaison`` offers, as its ``--help`` lists it (the tooling's included): a new
    command is checked without anyone adding it here."""
    listed = liaison_help()
    commands = []
    for name in listed:
        sub = liaison_help(name)
        commands += [[name, s] for s in sub] if sub else [[name]]
    return commands


def liaison_help(*group: str) -> list[str]:
    import re

    done = subprocess.run([sys.executable, "-m", "liaison_shared.cli", *group, "--help"], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120)
    block = done.stdout.split("Commands", 1)
    return re.findall(r"^[│|] ([a-z][a-z-]*)\s", block[1], re.MULTILINE) if len(block) == 2 else []


def test_every_command_has_help(platform):
    commands = every_command()
    for wanted in (["serve"], ["migrate"], ["replay"], ["rewrap"], ["dlq", "redrive"], ["strimzi"], ["run"]):
        assert wanted in commands, (wanted, commands)
    for command in commands:
        done = liaison(platform, *command, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout, (command, done.stderr)
    for command in (["create-topics"], ["init"], ["migrate"], ["replay"], ["export"], ["dlq", "redrive"], ["rewrap"]):
        assert "--dry-run" in liaison(platform, *command, "--help").stdout, command
    topics = liaison(platform, "create-topics", "--dry-run")
    assert topics.returncode == 0 and "cppcc.feedback.opinion.dlq" in topics.stdout
    status = liaison(platform, "migrate", "--dry-run", "consultation")
    assert status.returncode == 0 and "20261129013000_consultation.sql" in status.stdout and "Pending: 0" in status.stdout


async def test_backlog_lag_dead_letters_and_export(platform, service_specs, tmp_path):
    county = "640221000000"
    async with running(service_specs["members"], platform) as members:
        admin = token_for(platform, "admin", "640200000000")
        for code, name in [("640200000000", "石嘴山市"), (county, "平罗县")]:
            created = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert created.status_code in (201, 409)
    await asyncio.to_thread(_backlog_lag_dead_letters_and_export, platform, tmp_path, county)


def _backlog_lag_dead_letters_and_export(platform, tmp_path, county):
    backlog = liaison(platform, "outbox")
    assert backlog.returncode == 0 and "members" in backlog.stdout and "unpublished" in backlog.stdout
    lag = liaison(platform, "lag")
    assert lag.returncode == 0 and "consultation" in lag.stdout and "cppcc.members.org_unit" in lag.stdout
    letters = liaison(platform, "dlq", "list", "--limit", "5")
    assert letters.returncode == 0 and "dead letter(s)" in letters.stderr
    counted = liaison(platform, "export", county, "--dry-run", "--out", str(tmp_path / "none"))
    assert counted.returncode == 0 and "members.org_units" in counted.stdout and not (tmp_path / "none").exists()
    done = liaison(platform, "export", county, "--out", str(tmp_path / "x"))
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "x" / "members.members.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert "email" not in rows[0] and "phone" not in rows[0] and "name" in rows[0]
    with open(tmp_path / "x" / "members.org_units.csv", encoding="utf-8-sig") as handle:
        units = {r[0] for r in csv.reader(handle)}
    assert county in units and all(u == "code" or u.startswith("640221") for u in units)
    assert liaison(platform, "export", "12", "--dry-run").returncode == 2


async def test_replay_through_the_cli_rebuilds_a_projection_identically(platform, service_specs, db_pool):
    village = "640221100201"
    async with running(service_specs["members"], platform) as members, \
            running(service_specs["consultation"], platform):
        admin = token_for(platform, "admin", "640200000000")
        for code, name in [("640200000000", "石嘴山市"), ("640221000000", "平罗县"), ("640221100000", "黄渠桥镇"),
                           (village, "东风村")]:
            created = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert created.status_code in (201, 409)
        venue = await members.post("/api/v1/venues", headers=admin, json={
            "kind": "contact_point", "name": f"联系点{uuid.uuid4().hex[:4]}", "org_unit": village})
        assert venue.status_code == 201, venue.text
        await eventually(lambda: db_pool.fetchval("SELECT count(*) FROM consultation.venues WHERE id = $1",
                                                  venue.json()["id"]), timeout=30)
    before = [dict(r) for r in await db_pool.fetch("SELECT * FROM consultation.venues ORDER BY id")]
    dry = await asyncio.to_thread(liaison, platform, "replay", "consultation", "cppcc.members.venue", "--dry-run")
    assert dry.returncode == 0 and '"dry_run": true' in dry.stdout
    await db_pool.execute("DELETE FROM consultation.venues")
    done = await asyncio.to_thread(liaison, platform, "replay", "consultation", "cppcc.members.venue")
    assert done.returncode == 0, done.stderr
    assert [dict(r) for r in await db_pool.fetch("SELECT * FROM consultation.venues ORDER BY id")] == before
    refused = await asyncio.to_thread(liaison, platform, "replay", "consultation", "cppcc.nothing")
    assert refused.returncode == 2
