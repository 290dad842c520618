"""The audit log: every write recorded with who, what, which resource and trace; chained so
that tampering shows; readable by auditors only; checked by ``liaison audit-verify``."""

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg
from liaison_shared import audit
from liaison_tools.testing import eventually, running, token_for

CITY, PINGLUO = "640200000000", "640221000000"


async def test_writes_are_audited_chained_and_tampering_is_found(platform, service_specs, db_pool):
    async with running(service_specs["members"], platform) as members:
        admin = token_for(platform, "admin", CITY)
        city = await members.post("/api/v1/org-units", headers=admin, json={"code": CITY, "name": "石嘴山市"})
        assert city.status_code in (201, 409), city.text
        staff = token_for(platform, "staff", CITY, sub=f"staff-{uuid.uuid4().hex[:6]}")
        headers = {**staff, "traceparent": "00-" + uuid.uuid4().hex + "-" + uuid.uuid4().hex[:16] + "-01"}
        created = await members.post("/api/v1/departments", headers=headers,
                                     json={"name": f"审计测试局{uuid.uuid4().hex[:4]}", "org_unit": CITY})
        assert created.status_code == 201, created.text
        dept = created.json()["id"]
        refused = await members.post("/api/v1/departments", headers=staff, json={"name": "", "org_unit": CITY})
        assert refused.status_code == 422
        await members.get("/api/v1/departments", headers=staff)  # reads are not audited

        async def entry():
            items = (await members.get("/api/v1/audit", headers=admin, params={"resource_id": dept})).json()["items"]
            return items if items and items[0]["seal"] is not None else None
        items = await eventually(entry, timeout=20)
        assert len(items) == 1
        row = items[0]
        assert row["actor_role"] == "staff" and row["actor_org"] == CITY and row["action"] == "POST /api/v1/departments"
        assert row["trace_id"] == headers["traceparent"].split("-")[1]
        assert row["events"] == ["cppcc.members.department.registered.v1"] and len(row["change_hash"]) == 64
        mine = (await members.get("/api/v1/audit", headers=admin, params={"actor_sub": row["actor_sub"]})).json()
        assert mine["total"] == 1  # the refused write left nothing
        county_leader = token_for(platform, "leader", PINGLUO)
        seen = (await members.get("/api/v1/audit", headers=county_leader, params={"resource_id": dept})).json()
        assert seen["total"] == 0  # a city staff member's write is not the county's to see
        assert (await members.get("/api/v1/audit", headers=staff)).status_code == 403

    async with db_pool.acquire() as conn:
        await conn.execute("SET search_path TO members")
        assert (await audit.verify(conn, audit.key_of(platform))).ok
        try:
            await conn.execute("UPDATE audit_log SET actor_sub = 'someone-else' WHERE resource_id = $1", dept)
            raise AssertionError("a row was changed")
        except asyncpg.RaiseError as error:
            assert "append-only" in str(error)
        original = await conn.fetchrow("SELECT id, actor_sub FROM audit_log WHERE resource_id = $1", dept)
        block = await conn.fetchval("SELECT s.seq FROM audit_log a JOIN audit_seals s ON a.txid >= s.from_txid"
                                    " AND a.txid < s.to_txid WHERE a.id = $1", original["id"])
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        try:
            await conn.execute("UPDATE audit_log SET actor_sub = 'someone-else' WHERE id = $1", original["id"])
            broken = await audit.verify(conn, audit.key_of(platform))
            assert not broken.ok and broken.reason == "the block does not match its hash"
            assert broken.broken_at == block
            code, output = await asyncio.to_thread(_verify_command, platform, "members")
            assert code == 1 and "BROKEN" in output
        finally:
            await conn.execute("UPDATE audit_log SET actor_sub = $2 WHERE id = $1", original["id"],
                               original["actor_sub"])
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        assert (await audit.verify(conn, audit.key_of(platform))).ok
    code, output = await asyncio.to_thread(_verify_command, platform, "members")
    assert code == 0 and "members: ok" in output, output


def _verify_command(settings, service: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS":
           settings.kafka_bootstrap_servers}
    done = subprocess.run([sys.executable, "-m", "liaison_shared.cli", "audit-verify", service],
                          capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, done.stdout + done.stderr
