"""Rotating DATA_MASTER_KEY (issue 22.7): on test data written by the code before and after
versions, `liaison rewrap` moves every wrapped key and webhook secret under the new key —
resumably, batch by batch — and then every submitter opens with the new key and none with the
old one alone. Runs in a database of its own: the rest of the suite keeps the development key."""

import asyncio
import base64
import json
import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from liaison_shared import crypto, db, rewrap
from liaison_shared.uow import UnitOfWork
from pydantic import SecretStr

pytestmark = pytest.mark.integration

DONGFENG = "640221100201"
PEOPLE = [("张三", "13812345678"), ("马桂兰", "13909512345"), ("李四", "13995200001")]
BEFORE_VERSIONS = [("王五", "13700000001"), ("赵六", "13700000002")]  # written before keys had versions
OLD, NEW = os.urandom(32), os.urandom(32)


class Stopped(Exception):
    """The operator's Ctrl-C, a lost connection: the run ends between two batches."""


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def legacy_seal(key: bytes, aad: bytes, value: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, value, aad)


@pytest.fixture
async def own_database(platform, db_pool, service_specs):
    """feedback and notify migrated into a new database; its settings."""
    name = f"liaison_rotation_{uuid.uuid4().hex[:8]}"
    await db_pool.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(platform.database_url)._replace(path=f"/{name}"))
    settings = platform.model_copy(update={"database_url": url, "data_master_key": SecretStr(b64(OLD))})
    for service in ("feedback", "notify"):
        await asyncio.to_thread(db.migrate, settings, service, service_specs[service].migration_dirs())
    yield settings
    await db_pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def liaison(settings, *args: str, current: str, previous: str = "", suite: str = "aes-gcm"):
    env = {k: v for k, v in os.environ.items() if k not in ("LIAISON_SECRETS_DIR", "DEV_MODE")}
    env.update({"DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
                "DATA_MASTER_KEY": current, "DATA_MASTER_KEYS_PREVIOUS": previous, "CRYPTO_SUITE": suite,
                "COLUMNS": "200"})
    return subprocess.run([sys.executable, "-m", "liaison_shared.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


async def write_test_data(settings) -> tuple[list[uuid.UUID], uuid.UUID, str]:
    """Three submitters through intake, two in the first format, one erased; a webhook subscription
    whose secret was rotated (so a replaced secret is sealed too). Everything under OLD."""
    from feedback.handlers import intake
    from notify.adapters import webhooks
    from notify.storage import notifications

    pool = await db.create_pool(settings, "feedback")
    try:
        await pool.execute("INSERT INTO org_units (code, name, parent, level, kind, source_time)"
                           " VALUES ($1, '东风村', '640221100000', 'village', 'village', now())", DONGFENG)
        for name, phone in PEOPLE:
            async with UnitOfWork(pool, schema="feedback", settings=settings) as uow:
                await intake.submit(uow, settings, {
                    "content": "村口灌溉渠堵塞，影响春灌", "org_unit": DONGFENG, "channel": "reception_day",
                    "submitter_name": name, "submitter_phone": phone, "consent": True})
        for name, phone in BEFORE_VERSIONS:
            subject = uuid.uuid4()
            key = AESGCM.generate_key(bit_length=256)
            await pool.execute(
                "INSERT INTO submitters (subject_id, wrapped_key, name_sealed, phone_sealed) VALUES ($1, $2, $3, $4)",
                subject, legacy_seal(OLD, b"key:" + subject.bytes, key),
                legacy_seal(key, b"name:" + subject.bytes, name.encode()),
                legacy_seal(key, b"phone:" + subject.bytes, phone.encode()))
        await pool.execute("INSERT INTO submitters (subject_id, wrapped_key, erased_at) VALUES ($1, NULL, now())",
                           uuid.uuid4())
        subjects = [r["subject_id"] for r in await pool.fetch(
            "SELECT subject_id FROM submitters WHERE wrapped_key IS NOT NULL")]
    finally:
        await pool.close()
    conn = await db.connect(settings, "notify")
    try:
        subscription = uuid.uuid4()
        await notifications.insert_subscription(
            conn, subscription, {"name": "12345热线", "url": "https://hotline.example.gov.cn/events",
                                 "event_types": ["*"], "org_unit": DONGFENG},
            webhooks.seal_secret(settings, subscription, "the-first-secret"), "test")
        secret = "the-second-secret"
        assert await notifications.rotate_secret(conn, subscription, "6402%",
                                                 webhooks.seal_secret(settings, subscription, secret), 3600.0)
    finally:
        await conn.close()
    return subjects, subscription, secret


async def submitters(settings) -> dict:
    from feedback.handlers import intake

    conn = await db.connect(settings, "feedback")
    try:
        rows = await conn.fetch("SELECT subject_id FROM submitters WHERE wrapped_key IS NOT NULL")
        return {row["subject_id"]: await intake.reveal_submitter(conn, settings, row["subject_id"]) for row in rows}
    finally:
        await conn.close()


async def sealed(settings, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(settings.asyncpg_dsn())
    try:
        return await conn.fetch(query)
    finally:
        await conn.close()


@pytest.mark.parametrize("suite", ["aes-gcm", "sm4-gcm"])
async def test_after_rewrap_every_submitter_opens_with_the_new_key_and_none_with_the_old_alone(
        own_database, service_specs, suite):
    from notify.adapters import webhooks

    before = own_database
    subjects, subscription, secret = await write_test_data(before)
    current, previous = f"v2:{b64(NEW)}", f"v1:{b64(OLD)}"
    rotated = before.model_copy(update={"data_master_key": SecretStr(current),
                                        "data_master_keys_previous": SecretStr(previous), "crypto_suite": suite})
    new_only = before.model_copy(update={"data_master_key": SecretStr(current), "crypto_suite": suite})
    head = crypto.keyring(rotated).current_header
    old_only = before

    # the new key is set, the old one kept beside it: everything still opens, nothing moved yet
    assert {s.name for s in (await submitters(rotated)).values()} == {n for n, _ in PEOPLE + BEFORE_VERSIONS}
    dry = await asyncio.to_thread(liaison, before, "rewrap", "--dry-run", current=current, previous=previous,
                                  suite=suite)
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout.strip().splitlines()[-1])
    assert report["counts"]["feedback.submitters.wrapped_key"] == {"would_rewrap": 5, "current": 0}
    assert report["versions"]["feedback.submitters.wrapped_key"] == {"v1 aes-gcm": 3, rewrap.FIRST_FORMAT: 2}
    assert report["counts"]["notify.subscriptions.secret_sealed"]["would_rewrap"] == 1
    assert report["counts"]["notify.subscriptions.previous_secret_sealed"]["would_rewrap"] == 1
    assert not [r for r in await sealed(before, "SELECT wrapped_key FROM feedback.submitters WHERE wrapped_key"
                                                " IS NOT NULL") if r["wrapped_key"].startswith(head)]

    # a run that stops after its first batch has committed that batch, and only that
    def stop_after_first_batch(done, total):
        raise Stopped

    with pytest.raises(Stopped):
        await rewrap.rewrap(rotated, [service_specs["feedback"]], batch_size=2, progress=stop_after_first_batch)
    keys = [r["wrapped_key"] for r in await sealed(before, "SELECT wrapped_key FROM feedback.submitters"
                                                           " WHERE wrapped_key IS NOT NULL")]
    assert sum(k.startswith(head) for k in keys) == 2

    # started again, it goes on with what is left
    done = await asyncio.to_thread(liaison, before, "rewrap", "--batch-size", "2", current=current, previous=previous,
                                   suite=suite)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["counts"]["feedback.submitters.wrapped_key"]["rewrapped"] == 3
    assert report["counts"]["notify.subscriptions.secret_sealed"]["rewrapped"] == 1
    assert report["counts"]["notify.subscriptions.previous_secret_sealed"]["rewrapped"] == 1
    for name, phone in PEOPLE + BEFORE_VERSIONS:  # counts and nothing else: no name, phone or id
        assert name not in done.stdout + done.stderr and phone not in done.stdout + done.stderr
    assert not any(str(s) in done.stdout + done.stderr for s in subjects)
    again = await asyncio.to_thread(liaison, before, "rewrap", current=current, previous=previous, suite=suite)
    assert json.loads(again.stdout.strip().splitlines()[-1])["counts"]["feedback.submitters.wrapped_key"] == {}

    # Done when: every submitter readable under the new key, none under the old one alone
    readable = await submitters(new_only)
    assert sorted((p.name, p.phone) for p in readable.values()) == sorted(PEOPLE + BEFORE_VERSIONS)
    for subject in subjects:
        conn = await db.connect(old_only, "feedback")
        try:
            from feedback.handlers import intake

            with pytest.raises(crypto.UnknownKeyVersion):
                await intake.reveal_submitter(conn, old_only, subject)
        finally:
            await conn.close()
    keys = await sealed(before, "SELECT wrapped_key FROM feedback.submitters WHERE wrapped_key IS NOT NULL")
    assert all(crypto.header_of(r["wrapped_key"]) == crypto.Header(suite, 2) for r in keys)
    assert await sealed(before, "SELECT 1 FROM feedback.submitters WHERE erased_at IS NOT NULL"
                                " AND wrapped_key IS NOT NULL") == []

    # the webhook's secrets, current and replaced, moved too
    row = (await sealed(before, f"SELECT secret_sealed, previous_secret_sealed FROM notify.subscriptions"
                                f" WHERE id = '{subscription}'"))[0]
    assert webhooks.open_secret(new_only, str(subscription), row["secret_sealed"]) == secret
    assert webhooks.open_secret(new_only, str(subscription), row["previous_secret_sealed"]) == "the-first-secret"
    with pytest.raises(crypto.UnknownKeyVersion):
        webhooks.open_secret(old_only, str(subscription), row["secret_sealed"])


async def test_rewrap_refuses_keys_that_do_not_hold_together(own_database):
    done = await asyncio.to_thread(liaison, own_database, "rewrap", "--dry-run", current=f"v2:{b64(NEW)}",
                                   previous=f"v2:{b64(OLD)}")
    assert done.returncode == 2 and "DATA_MASTER_KEYS_PREVIOUS" in done.stderr
    assert b64(NEW) not in done.stderr + done.stdout and b64(OLD) not in done.stderr + done.stdout
