"""``liaison hotline-import``: a 12345 hotline export imported from the operator's shell — the same
handler as ``POST /api/v1/hotline/imports``, row by row and idempotent on the case number, run on
the feedback schema with the service's settings (``DATABASE_URL``, ``DATA_MASTER_KEY``, …), as
``liaison replay`` and ``backup`` are. The events wait in feedback's outbox for its relay.

Registered through feedback's ``cppcc_liaison.commands`` entry point: an image with feedback
installed has it."""

from __future__ import annotations

import asyncio
import getpass
import json
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import typer
from liaison_shared import audit, db, orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.cli import refusals
from liaison_shared.service import UnsafeSettings, refuse_development_secrets
from liaison_shared.settings import Settings, get_settings
from liaison_shared.uow import UnitOfWork

from .domain import hotline as rows_of
from .handlers import hotline

COMMAND = "liaison hotline-import"


@dataclass
class Offline:
    """What the import asks of a running service — its settings and units of work — on a pool of
    the command's own."""

    settings: Settings
    pool: asyncpg.Pool

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool, schema="feedback", acquire_timeout=self.settings.db_acquire_timeout_s,
                          settings=self.settings)


def hotline_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="The hotline's export: CSV (UTF-8, a BOM is fine) or JSON, the columns of "
                                     "docs/hotline.md."),
    org_unit: str = typer.Option(..., "--org-unit", help="The importing office's unit (12-digit division code): "
                                 "rows of it and of the units under it are imported, any other is rejected."),
    by: str = typer.Option(None, "--by", help="Who imports, as the cases' history and the audit log name them "
                           "(default: operator:<login>)."),
    kind: str = typer.Option(None, "--format", help="csv or json (default: the file's extension; csv otherwise)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as the HTTP import answers it."),
) -> None:
    """Import a 12345 hotline export (热线工单) as POST /api/v1/hotline/imports does: each row its own
    transaction, a case number imported before creates nothing. Prints the report row by row
    (case numbers, outcomes, reasons: no value of a row); exits 1 when a row was rejected, 2 when
    the file cannot be read at all (nothing written), 3 when the import stopped midway (the
    database away: run it again)."""
    settings = get_settings()
    with refusals():
        if not orgunits.is_valid_code(org_unit):
            raise ValueError("--org-unit: a 12-digit division code")
        if (kind or "csv") not in ("csv", "json"):
            raise ValueError("--format: csv or json")
        try:
            refuse_development_secrets(settings)  # personal data would be sealed with the development key
        except UnsafeSettings as unsafe:
            raise ValueError(str(unsafe)) from None
        raw = file.read_bytes()
        rows = rows_of.file_rows(raw, kind or ("json" if file.suffix.lower() == ".json" else "csv"),
                                 max_rows=settings.hotline_import_max_rows)
    importer = Principal(sub=by or f"operator:{_login()}", role=Role.STAFF, org=org_unit)
    try:
        report = asyncio.run(_import(settings, importer, rows, raw))
    except Exception as error:  # a traceback would print its locals: the file's rows
        typer.echo(f"stopped: {type(error).__name__}; the rows before it are imported, a second run goes on "
                   "from there", err=True)
        raise typer.Exit(3) from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        for row in report["results"]:
            typer.echo(f"{row['row']:>6}  {row['case_number'] or '-':<24}  {row['outcome']:<16}  "
                       f"{row['opinion_id'] or row['reason']}")
        typer.echo(f"{report['rows']} rows: {report['created']} created, {report['already_imported']} already "
                   f"imported, {report['rejected']} rejected")
    raise typer.Exit(1 if report["rejected"] else 0)


async def _import(settings: Settings, importer: Principal, rows: list[tuple[int, dict]], raw: bytes) -> dict:
    pool = await db.create_pool(settings, "feedback")
    # each row's transaction appends its audit row, as a request's does: who, this command, the file's
    # MAC (the context lives in this run's task only)
    body = audit.keyed(audit.key_of(settings), audit.mac_of(settings))
    body.update(raw)
    audit.current.set(audit.AuditContext(method="CLI", path=COMMAND, scope={"path": COMMAND, "route": COMMAND},
                                         body=body, principal=importer))
    try:
        return await hotline.import_cases(Offline(settings, pool), importer, rows)
    finally:
        await pool.close()


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container's user without a name
        return "unknown"
