"""The development commands of ``liaison``: ``run`` (the engine of ``make run``), ``token``,
``mail`` and ``strimzi``. They are plain functions that liaison-tools registers on the operator's
``liaison`` (liaison_shared.cli) through the ``cppcc_liaison.commands`` entry points: one command
for a developer, and only the operator's commands in a service image."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer
from liaison_shared.settings import get_settings


def token(
    role: str = typer.Option(..., help="member | staff | department | leader | admin"),
    org: str = typer.Option(..., help="12-digit division code of the user's org unit"),
    dept: str = typer.Option(None, help="department id (role department)"),
    member_id: str = typer.Option(None, "--member-id", help="member id (role member)"),
    sub: str = typer.Option(None, help="subject; a random development subject by default"),
    ttl: int = typer.Option(12 * 3600, help="seconds until it expires"),
) -> None:
    """Print a development token signed with the development key."""
    from liaison_shared.auth import issue_dev_token
    from liaison_shared.errors import Unauthorized

    try:
        typer.echo(issue_dev_token(get_settings(), role=role, org=org, dept=dept,
                                   member_id=member_id, sub=sub, ttl_s=ttl))
    except Unauthorized as error:
        typer.echo(f"refused: {error.message}", err=True)
        raise typer.Exit(2) from None


def mail(
    message: str = typer.Argument(None, help="Show this message (its id, or its number in the list)."),
    sms: bool = typer.Option(False, "--sms", help="The development SMS gateway's messages instead."),
    home: Path = typer.Option(None, help="LIAISON_HOME of `make run` (default: $LIAISON_HOME or .run)."),
    limit: int = typer.Option(50, help="List at most the newest this many."),
) -> None:
    """What `make run` sent: e-mail kept by its development mail sink, or SMS recorded by the
    development gateway — listed (time in China, to, subject), or one shown in full."""
    from liaison_shared.chinatime import CHINA

    if sms:
        rows = asyncio.run(_sms_messages(limit))
        chosen = [r for i, r in enumerate(rows, 1) if message in (None, str(i), r["idempotency_key"])]
        if message is not None and not chosen:
            typer.echo(f"no SMS {message}", err=True)
            raise typer.Exit(1)
        for i, row in enumerate(chosen, 1):
            when = row["sent_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
            if message is None:
                typer.echo(f"{i:>3}  {when}  {row['phone']:<15} {row['body'][:60]}  {row['idempotency_key']}")
            else:
                typer.echo(f"Id:   {row['idempotency_key']}\nTo:   {row['phone']}\nTime: {when}\n\n{row['body']}")
        return
    from . import devmail

    directory = Path(home or os.environ.get("LIAISON_HOME") or get_settings().liaison_home) / "mail"
    messages = devmail.kept(directory)[-limit:]
    if message is None:
        for i, kept in enumerate(messages, 1):
            when = kept.received.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
            typer.echo(f"{i:>3}  {when}  {kept.to:<40} {kept.subject}  {kept.id}")
        typer.echo(f"{len(messages)} message(s) in {directory}", err=True)
        return
    chosen = [k for i, k in enumerate(messages, 1) if message in (str(i), k.id)]
    if not chosen:
        typer.echo(f"no message {message} in {directory}", err=True)
        raise typer.Exit(1)
    kept = chosen[0]
    typer.echo(f"Id:      {kept.id}\nTo:      {kept.to}\nSubject: {kept.subject}\n"
               f"Time:    {kept.received.astimezone(CHINA):%Y-%m-%d %H:%M:%S}\n\n{kept.body}")


async def _sms_messages(limit: int):
    from liaison_shared import db

    conn = await db.connect(get_settings(), "notify")
    try:
        rows = await conn.fetch("SELECT idempotency_key, phone, body, sent_at FROM sms_messages"
                                " ORDER BY sent_at DESC LIMIT $1", limit)
    finally:
        await conn.close()
    return list(reversed(rows))


def run() -> None:
    """Start everything on the embedded default (or on KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL)."""
    from .launcher import Launcher

    launcher = Launcher(get_settings(), external_kafka="KAFKA_BOOTSTRAP_SERVERS" in os.environ,
                        external_database="DATABASE_URL" in os.environ)
    raise typer.Exit(launcher.run_forever())


def strimzi(
    what: str = typer.Argument(..., help="topics | users"),
    partitions: int = typer.Option(6, help="Partitions of every topic."),
    replicas: int = typer.Option(1, help="Replicas of every topic (the prod overlay patches 3)."),
) -> None:
    """Print the Strimzi KafkaTopic or KafkaUser manifests the code implies (deploy/k8s/base/kafka)."""
    from liaison_shared import registry

    from . import strimzi as manifests

    specs = registry.specs()
    if what == "topics":
        typer.echo(manifests.topics(specs.values(), partitions, replicas), nl=False)
    elif what == "users":
        typer.echo(manifests.users(specs.values()), nl=False)
    else:
        raise typer.BadParameter("topics or users")
