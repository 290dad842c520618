"""Routes of topics (议题), their research, the selection weights and the four levels' positioning."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.contracts.consultation import Stage, Track
from liaison_shared.contracts.members import Level
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..domain import selection
from ..handlers import lineage
from ..handlers import sessions as session_handlers
from ..handlers import topics as handlers
from ..schemas.topics import (
    LevelOut,
    ResearchIn,
    ResearchOut,
    TopicAction,
    TopicDetail,
    TopicIn,
    TopicLineage,
    TopicOut,
    TopicPatch,
    WeightOut,
    WeightsIn,
)
from ..storage import sessions as session_storage
from ..storage import topics as storage

router = APIRouter()
admins = require_roles(Role.ADMIN)
overseers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)


async def scored(conn, rows) -> list[TopicOut]:
    """Topics with their selection score: the weights and departments read once per page."""
    weights = await storage.weights(conn)
    units = await storage.department_units(conn, sorted({d for r in rows for d in r["department_ids"]}))
    out = []
    for row in rows:
        values = dict(row)
        values["score"] = selection.score(
            weights, org_unit=row["org_unit"], source_units=[s["org_unit"] for s in row["sources"]],
            people_concerned=row["people_concerned"], linked_opinions=row["linked_opinions"],
            supporters=row["supporters"], department_units=[units[d] for d in row["department_ids"] if d in units],
        ).as_dict()
        out.append(TopicOut(**{k: values[k] for k in TopicOut.model_fields}))
    return out


async def detail(conn, row) -> TopicDetail:
    base = (await scored(conn, [row]))[0]
    history = [dict(h) for h in await storage.history(conn, row["id"])]
    research = [dict(r) for r in await session_storage.research_of(conn, row["id"])]
    sessions, outcomes = await lineage.sessions_and_outcomes(conn, row["id"])
    return TopicDetail(**base.model_dump(), history=history, research=research,
                       sessions=[lineage.session_ref(s) for s in sessions],
                       outcomes=[lineage.outcome_ref(o) for o in outcomes])


@router.get("/topics", response_model=Page[TopicOut], tags=["topics"],
            summary="The topic pools (议题库) of the caller's units, with each topic's selection score")
async def list_topics(request: Request, page: PageParams = Depends(page_params), stage: Stage | None = None,
                      track: Track | None = None, level: Level | None = None,
                      principal: Principal = Depends(current_principal)) -> Page[TopicOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.topics_page(
            conn, pattern=principal.managed_pattern, stage=stage,
            track=track, level=level, department=principal.dept if principal.role is Role.DEPARTMENT else None,
            raised_from=principal.subtree_pattern if principal.role in (Role.STAFF, Role.LEADER) else None,
            limit=page.limit, offset=page.offset)
        return Page(items=await scored(conn, rows), total=total)


@router.post("/topics", response_model=TopicDetail, status_code=201, tags=["topics"],
             summary="Put a topic into a unit's pool (staff, members, departments, the party committee)")
async def create_topic(request: Request, body: TopicIn, principal: Principal = Depends(current_principal)):
    async with runtime_of(request).uow() as uow:
        row = await handlers.propose(uow, principal, body)
        return await detail(uow.conn, row)


@router.get("/topics/{topic_id}", response_model=TopicDetail, tags=["topics"],
            summary="A topic with its sources, score, history and research")
async def get_topic(request: Request, topic_id: UuidStr, principal: Principal = Depends(current_principal)):
    async with runtime_of(request).snapshot() as conn:
        row = await storage.topic(conn, topic_id)
        if row is None or not handlers.can_read(principal, row):
            raise NotFound(f"no topic {topic_id}")
        return await detail(conn, row)


@router.get("/topics/{topic_id}/lineage", response_model=TopicLineage, tags=["topics"],
            summary="Every opinion that fed the topic and the people behind them, its moves, sessions and outcomes")
async def topic_lineage(request: Request, topic_id: UuidStr, principal: Principal = Depends(overseers)) -> TopicLineage:
    async with runtime_of(request).snapshot() as conn:
        return TopicLineage(**await lineage.topic_lineage(conn, principal, topic_id))


@router.patch("/topics/{topic_id}", response_model=TopicDetail, tags=["topics"],
              summary="Edit a topic still in the pool or selected (staff)")
async def edit_topic(request: Request, topic_id: UuidStr, body: TopicPatch,
                     principal: Principal = Depends(current_principal)):
    async with runtime_of(request).uow() as uow:
        row = await handlers.edit(uow, principal, topic_id, body)
        return await detail(uow.conn, row)


@router.post("/topics/{topic_id}/actions", response_model=TopicDetail, tags=["topics"],
             summary="select, decline, support, raise, hand_down, submit_plan, approve, return_plan, conclude, close")
async def act_on_topic(request: Request, topic_id: UuidStr, body: TopicAction,
                       principal: Principal = Depends(current_principal)):
    async with runtime_of(request).uow() as uow:
        row = await handlers.act(uow, principal, topic_id, body)
        return await detail(uow.conn, row)


@router.post("/topics/{topic_id}/research", response_model=ResearchOut, status_code=201, tags=["topics"],
             summary="Record a field visit or material (学习调研) with the members who did it")
async def add_research(request: Request, topic_id: UuidStr, body: ResearchIn,
                       principal: Principal = Depends(current_principal)) -> ResearchOut:
    async with runtime_of(request).uow() as uow:
        return ResearchOut(**await session_handlers.record_research(uow, principal, topic_id, body))


@router.get("/selection-weights", response_model=list[WeightOut], tags=["topics"],
            summary="The weights of the selection score (切口小、关注多、能解决)")
async def get_weights(request: Request, principal: Principal = Depends(current_principal)) -> list[WeightOut]:
    async with runtime_of(request).snapshot() as conn:
        return [WeightOut(**dict(r)) for r in await storage.weights_rows(conn)]


@router.put("/selection-weights", response_model=list[WeightOut], tags=["topics"],
            summary="Change the weights (admin); every score follows at once")
async def put_weights(request: Request, body: WeightsIn, principal: Principal = Depends(admins)) -> list[WeightOut]:
    async with runtime_of(request).uow() as uow:
        return [WeightOut(**r) for r in await handlers.set_weights(uow, principal, body)]


@router.get("/levels", response_model=list[LevelOut], tags=["topics"],
            summary="市县镇村: what each level's platform takes up, its forms, and the deadlines of each track")
async def levels(request: Request, principal: Principal = Depends(current_principal)) -> list[LevelOut]:
    async with runtime_of(request).snapshot() as conn:
        deadlines: dict[str, dict[str, int]] = {}
        for row in await storage.tracks(conn):
            deadlines.setdefault(row["track"], {})[row["step"]] = row["days"]
        return [LevelOut(level=r["level"], focus=r["focus"], forms=list(r["forms"]), deadlines=deadlines)
                for r in await storage.positioning(conn)]
