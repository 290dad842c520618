"""Open311 GeoReport v2: civic apps hand in cases with a key staff issued, and follow them.

A request is a public intake (the same checks, the same events) by a client whose key says which
units it may hand in cases for; what the client reads back is the case's state, never its words.
A refusal names the parameter, never its value (docs/security.md): a code typed into a civic app
comes back in no error.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from liaison_shared import orgunits
from liaison_shared.auth import Principal
from liaison_shared.chinatime import CHINA
from liaison_shared.errors import Forbidden, NotFound, Unprocessable
from liaison_shared.settings import Settings
from liaison_shared.uow import UnitOfWork

from ..domain import open311 as geo
from ..domain.categories import Tree
from ..domain.opinion import Status
from ..schemas.open311 import ClientIn, RequestIn
from ..storage import categories as category_storage
from ..storage import open311 as storage
from ..storage import opinions as opinion_storage
from . import categories, intake

# GeoReport's default window of GET requests: 90 days, or the first 1000, whichever is smaller
DEFAULT_SPAN = timedelta(days=90)
MOST = 1000


async def issue_client(uow: UnitOfWork, principal: Principal, command: ClientIn) -> dict:
    """A key for a civic app handing in cases for a unit of the caller's scope: answered once."""
    if not principal.may_manage(command.org_unit):
        raise NotFound(f"no org unit {command.org_unit} in your scope")
    if not await opinion_storage.org_unit_exists(uow.conn, command.org_unit):
        raise Unprocessable(f"org unit {command.org_unit} is not known")
    key = geo.new_api_key()
    row = await storage.insert_client(uow.conn, command.model_dump(), geo.key_hash(key), principal.sub)
    return {**dict(row), "api_key": key}


async def revoke_client(uow: UnitOfWork, principal: Principal, client_id: str) -> dict:
    row = await storage.revoke_client(uow.conn, client_id, principal.managed_pattern)
    if row is None:
        raise NotFound(f"no Open311 client {client_id}")
    return dict(row)


async def client_for(conn, api_key: str | None) -> dict:
    """The client a key opens; 403 for none, an unknown one or a revoked one alike."""
    row = await storage.client_by_key(conn, geo.key_hash(api_key)) if api_key else None
    if row is None:
        raise Forbidden("api_key: missing, not valid or revoked")
    return dict(row)


async def services(conn, jurisdiction: str | None) -> list[dict]:
    """The categories a unit offers as services; without a unit, the base tree."""
    if jurisdiction is not None:
        await _known(conn, jurisdiction)
    return [geo.service_of(p) for p in (await categories.tree_at(conn, jurisdiction)).offered]


async def definition(conn, code: str, jurisdiction: str | None) -> dict:
    if jurisdiction is not None:
        await _known(conn, jurisdiction)
    placed = (await categories.tree_at(conn, jurisdiction)).by_code(code)
    if placed is None or not placed.offered:
        raise NotFound("service_code: no such service" + (" offered at jurisdiction_id" if jurisdiction else ""))
    return {"service_code": code, "attributes": [geo.URGENCY]}


async def submit(uow: UnitOfWork, settings: Settings, client: dict, body: RequestIn) -> dict:
    """A case of the jurisdiction, in the service's category, kept with where the client said it is."""
    if not orgunits.is_within(body.jurisdiction_id, client["org_unit"]):
        raise Forbidden("jurisdiction_id: this api_key hands in cases for its own unit and the units under it "
                        "only")
    await _known(uow.conn, body.jurisdiction_id)
    placed = (await categories.tree_at(uow.conn, body.jurisdiction_id)).by_code(body.service_code)
    if placed is None or not placed.offered:
        raise NotFound("service_code: no such service offered at jurisdiction_id")
    opinion_id = uuid.uuid4()
    created = await intake.submit(uow, settings, {
        "content": body.description, "org_unit": body.jurisdiction_id, "channel": "online",
        "category": placed.path, "urgency": body.urgency, "consent": False,
    }, opinion_id=opinion_id)
    await storage.insert_request(uow.writer, opinion_id, client["id"], body.model_dump())
    notice = geo.service_notice(settings.deadline_normal_days, settings.deadline_urgent_days, body.urgency == "urgent")
    return {"service_request_id": created["id"], "service_notice": notice, "account_id": None,
            "tracking_code": created["tracking_code"]}


async def requests_by_id(conn, ids: list[str]) -> list[dict]:
    return await _shown(conn, await storage.requests_by_id(conn, ids))


async def requests_of(conn, client: dict, *, codes: list[str] | None, start: datetime | None,
                      end: datetime | None, wanted: set[str] | None) -> list[dict]:
    """A client's requests, filtered as GeoReport's GET requests is; 90 days or 1000 by default."""
    start = start or (end or datetime.now(CHINA)) - DEFAULT_SPAN
    paths = None
    if codes is not None:
        everything = Tree(await category_storage.every_node(conn))
        paths = [p.path for code in codes if (p := everything.by_code(code)) is not None]
    statuses = None if wanted is None else [s.value for s in Status if geo.status_of(s.value) in wanted]
    rows = await storage.requests_of_client(conn, client["id"], start=start, end=end, categories=paths,
                                            statuses=statuses, limit=MOST)
    return await _shown(conn, rows)


async def _known(conn, unit: str) -> None:
    if not await opinion_storage.org_unit_exists(conn, unit):
        raise NotFound("jurisdiction_id: no such unit")


async def _shown(conn, rows) -> list[dict]:
    """Each case as a GeoReport request, its category placed in the tree its unit sees."""
    trees: dict[str, Tree] = {}
    shown = []
    for row in rows:
        if row["org_unit"] not in trees:
            trees[row["org_unit"]] = await categories.tree_at(conn, row["org_unit"])
        placed = trees[row["org_unit"]].placed_at(row["category"]) if row["category"] else None
        status = geo.status_of(row["status"])
        deadline = row["deadline"] if status == "open" else None  # an answered case waits for nothing
        shown.append({
            "service_request_id": row["id"], "status": status,
            "status_notes": geo.notes_of(row["status"], row["converted_to"]),
            "service_name": placed.node.name if placed else None, "service_code": placed.node.code if placed else None,
            "agency_responsible": row["agency"],
            "service_notice": f"承办单位应于{deadline.isoformat()}前答复" if deadline else None,
            "requested_datetime": geo.in_china_time(row["created_at"]),
            "updated_datetime": geo.in_china_time(row["updated_at"]),
            "expected_datetime": geo.expected_at(deadline),
        })
    return shown
