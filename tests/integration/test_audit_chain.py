"""The audit chain against someone with database access (issue 14, finding 5): a row edited and
every seal recomputed without the key, TRUNCATE, and the newest blocks cut off."""

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg
import pytest
from liaison_shared import audit, db

KEY = "the-operators-audit-key-0123456789abcdef"
STOLEN_GUESS = "an-attackers-guess-at-the-audit-key-0123456"


@pytest.fixture
async def chain(platform, db_pool):
    """A schema of its own with the core migrations and three sealed blocks of two rows each."""
    schema = f"audit_chain_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(db.migrate, platform, schema, db.migration_dirs("liaison_shared"))
    async with db_pool.acquire() as conn:
        await conn.execute(f"SET search_path TO {schema}")
        for block in range(3):
            await _append(conn, 2, f"block-{block}")
            assert await audit.seal(conn, KEY) == 2
        try:
            yield conn
        finally:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
            await conn.execute("RESET search_path")


async def _append(conn, rows: int, tag: str) -> None:
    async with conn.transaction():
        for n in range(rows):
            await conn.execute(
                "INSERT INTO audit_log (actor_sub, actor_role, actor_org, action, resource, resource_id, change_hash)"
                " VALUES ('staff-马兰花', 'staff', '640221000000', 'POST /api/v1/departments', '/api/v1/departments',"
                " $1, $2)", f"{tag}-{n}", "0" * 64)


async def _recompute_seals(conn, key: str) -> None:
    """What an attacker with write access does: recompute every seal from the rows as they are now."""
    await conn.execute("ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only")
    try:
        prev = audit.GENESIS
        for seal in await conn.fetch("SELECT seq, from_txid::text AS f, to_txid::text AS t FROM audit_seals ORDER BY seq"):
            rows = await conn.fetch(f"SELECT {audit.ROW} FROM audit_log WHERE txid >= $1::xid8 AND txid < $2::xid8"
                                    " ORDER BY id", int(seal["f"]), int(seal["t"]))
            digest = audit.block_hash(key, prev, rows)
            await conn.execute("UPDATE audit_seals SET prev_hash = $2, hash = $3 WHERE seq = $1", seal["seq"], prev,
                               digest)
            prev = digest
    finally:
        await conn.execute("ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_append_only")


async def test_an_edited_row_with_every_seal_recomputed_without_the_key_fails_verification(chain):
    assert (await audit.verify(chain, KEY)).ok
    await chain.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    try:
        await chain.execute("UPDATE audit_log SET actor_sub = 'someone-else' WHERE resource_id = 'block-1-0'")
    finally:
        await chain.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    await _recompute_seals(chain, STOLEN_GUESS)
    assert (await audit.verify(chain, STOLEN_GUESS)).ok  # the forgery is whole under the wrong key…
    forged = await audit.verify(chain, KEY)
    assert not forged.ok and forged.broken_at == 1  # …and the real key sees it from the first seal


async def test_truncate_of_the_log_or_its_seals_is_refused(chain):
    for statement in ("TRUNCATE audit_log", "TRUNCATE audit_seals", "TRUNCATE audit_log, audit_seals"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await chain.execute(statement)
    assert await chain.fetchval("SELECT count(*) FROM audit_log") == 6
    assert (await audit.verify(chain, KEY)).ok


async def test_cutting_off_the_newest_blocks_is_found_against_a_kept_head(chain):
    kept = audit.parse_head(await audit.head(chain))
    assert kept[0] == 3 and (await audit.verify(chain, KEY, against=kept)).ok
    await _drop_newest_blocks(chain, 2)
    assert (await audit.verify(chain, KEY)).ok  # what is left is a whole chain…
    cut = await audit.verify(chain, KEY, against=kept)
    assert not cut.ok and cut.reason == "the kept head's seal 3 is missing"  # …shorter than the one published
    for tag in ("after-1", "after-2"):
        await _append(chain, 1, tag)
        await audit.seal(chain, KEY)
    refilled = await audit.verify(chain, KEY, against=kept)  # a new seal 2, 3 in its place is not the kept one
    assert not refilled.ok and refilled.reason == "seal 3 differs from the kept head"


async def _drop_newest_blocks(conn, blocks: int) -> list:
    """As a superuser: triggers off, the newest seals and their rows deleted. Returns what was removed."""
    newest = await conn.fetchval("SELECT max(seq) FROM audit_seals")
    first = newest - blocks + 1
    since = await conn.fetchval("SELECT from_txid::text FROM audit_seals WHERE seq = $1", first)
    await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    await conn.execute("ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only")
    try:
        rows = await conn.fetch("DELETE FROM audit_log WHERE txid >= $1::xid8 RETURNING *", int(since))
        seals = await conn.fetch("DELETE FROM audit_seals WHERE seq >= $1 RETURNING *", first)
    finally:
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        await conn.execute("ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_append_only")
    return [rows, seals]


async def test_the_operator_commands_print_the_head_and_verify_against_it(platform, db_pool):
    async with db_pool.acquire() as conn:
        await conn.execute("SET search_path TO members")
        await _append(conn, 2, f"cli-{uuid.uuid4().hex[:6]}")
        code, output = await asyncio.to_thread(_cli, platform, "audit-head", "members")
        assert code == 0, output
        head = output.split()[-1]
        assert audit.parse_head(head)
        code, output = await asyncio.to_thread(_cli, platform, "audit-verify", "members", "--against", head)
        assert code == 0 and "members: ok" in output, output
        await _append(conn, 1, f"cli-{uuid.uuid4().hex[:6]}")
        code, output = await asyncio.to_thread(_cli, platform, "audit-head", "members")
        removed = await _drop_newest_blocks(conn, 1)
        try:
            code, output = await asyncio.to_thread(_cli, platform, "audit-verify", "members", "--against",
                                                   output.split()[-1])
            assert code == 1 and "BROKEN" in output and "missing" in output, output
        finally:
            await _restore(conn, *removed)
            assert (await audit.verify(conn, audit.key_of(platform))).ok
            await conn.execute("RESET search_path")


async def _restore(conn, rows, seals) -> None:
    await conn.execute("ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only")
    try:
        for table, records in (("audit_log", rows), ("audit_seals", seals)):
            for record in records:
                columns = list(record.keys())
                await conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
                                   f" ({', '.join(f'${i + 1}' for i in range(len(columns)))})", *record.values())
    finally:
        await conn.execute("ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_append_only")


def _cli(settings, *args: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS":
           settings.kafka_bootstrap_servers}
    done = subprocess.run([sys.executable, "-m", "liaison_shared.cli", *args],
                          capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, done.stdout + done.stderr


async def test_a_chain_that_moved_to_hmac_sm3_verifies_block_by_block_and_each_seal_names_its_mac(chain):
    """CRYPTO_SUITE=sm4-gcm seals with HMAC-SM3 (GB/T 32905, for 密评) from the next block on; the
    blocks sealed before keep HMAC-SHA256, and the chain verifies across the switch."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import hmac as crypto_hmac

    await _append(chain, 3, "after-the-switch")
    assert await audit.seal(chain, KEY, mac="hmac-sm3") == 3
    seals = await chain.fetch("SELECT seq, mac, prev_hash, hash, from_txid::text AS f, to_txid::text AS t"
                              " FROM audit_seals ORDER BY seq")
    assert [s["mac"] for s in seals] == ["hmac-sha256"] * 3 + ["hmac-sm3"]
    newest = seals[-1]
    rows = await chain.fetch(audit.BLOCK, int(newest["f"]), int(newest["t"]))
    independent = crypto_hmac.HMAC(KEY.encode(), hashes.SM3())
    independent.update(newest["prev_hash"].encode())
    for row in rows:
        independent.update(b"\n" + audit._canonical(row).encode())
    assert newest["hash"] == independent.finalize().hex()
    assert (await audit.verify(chain, KEY)).ok
    # a seal that claims the other algorithm no longer matches its rows
    await chain.execute("ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only")
    try:
        await chain.execute("UPDATE audit_seals SET mac = 'hmac-sha256' WHERE seq = $1", newest["seq"])
    finally:
        await chain.execute("ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_append_only")
    broken = await audit.verify(chain, KEY)
    assert not broken.ok and broken.broken_at == newest["seq"]
