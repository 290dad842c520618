"""The console's overviews (sign-in): the topics board (consultation's stages as columns), the
proposals list, and the figures — the three rates and the on-time rate of each unit below, as a
bar chart drawn on the server (SVG, no script)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from . import session
from .backend import ApiProblem
from .web import backends_of, problem_words, redirect, render, settings_of, translator

router = APIRouter(prefix="/console")

STAGES = ("proposed", "selected", "plan_submitted", "approved", "consulting", "concluded", "closed", "declined")
PROPOSAL_STATUSES = ("draft", "filed", "accepted", "not_accepted", "merged", "assigned", "replied", "evaluated",
                     "supervised", "closed")
RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
# one colour per rate, each at least 3:1 against white (WCAG 1.4.11, graphical objects)
COLOURS = {"response_rate": "#0b4fa8", "resolution_rate": "#2e7d32", "satisfaction_rate": "#8a5a00",
           "on_time_rate": "#a8201a"}
BAR, GAP, LABEL_W, CHART_W = 14, 10, 96, 320


def _signed_in(request: Request) -> session.Session | None:
    me = session.current(settings_of(request), request)
    return me if me and me.role != "member" else None


def _trouble(request: Request, problem: ApiProblem) -> Response:
    return render(request, "message.html", problem.status, title_key="error.title",
                  text=problem_words(translator(request), problem))


@router.get("/topics", response_class=HTMLResponse)
async def topics_board(request: Request) -> Response:
    """议题看板: the topics of my units, one column per stage."""
    me = _signed_in(request)
    if me is None:
        return redirect("/console/signin")
    try:
        topics = (await backends_of(request).get("consultation", "/api/v1/topics", token=me.token,
                                                 params={"limit": 200}))["items"]
    except ApiProblem as problem:
        return _trouble(request, problem)
    columns = {stage: [t for t in topics if t["stage"] == stage] for stage in STAGES}
    return render(request, "topics.html", columns=columns, total=len(topics))


@router.get("/proposals", response_class=HTMLResponse)
async def proposals_list(request: Request) -> Response:
    """提案: my committees' (a department: assigned to it), by status."""
    me = _signed_in(request)
    if me is None:
        return redirect("/console/signin")
    status = request.query_params.get("status") or None
    try:
        proposals = (await backends_of(request).get("feedback", "/api/v1/proposals", token=me.token,
                                                    params={"status": status, "limit": 200}))["items"]
    except ApiProblem as problem:
        return _trouble(request, problem)
    return render(request, "proposals.html", proposals=proposals, statuses=PROPOSAL_STATUSES, chosen=status)


def chart(groups: list[dict], names: dict[str, str]) -> dict:
    """The bars of a grouped bar chart: per unit, one bar per rate (a rate of none: no bar)."""
    rows, y = [], 0
    for group in groups:
        bars = []
        for i, rate in enumerate(RATES):
            value = group.get(rate)
            bars.append({"rate": rate, "value": value, "y": y + i * BAR, "colour": COLOURS[rate],
                         "width": round((value or 0) * CHART_W, 1)})
        rows.append({"name": names.get(group["key"], group["key"]), "y": y, "bars": bars, "cases": group["cases"]})
        y += len(RATES) * BAR + GAP
    return {"rows": rows, "height": max(y, BAR), "width": LABEL_W + CHART_W + 48, "label_w": LABEL_W,
            "chart_w": CHART_W, "bar": BAR}


@router.get("/figures", response_class=HTMLResponse)
async def figures(request: Request) -> Response:
    """办理数据: the rates of each unit below mine (GET /api/v1/stats?group_by=org_unit)."""
    me = _signed_in(request)
    if me is None:
        return redirect("/console/signin")
    api = backends_of(request)
    try:
        stats = await api.get("feedback", "/api/v1/stats", token=me.token,
                              params={"org_unit": me.org, "group_by": "org_unit"})
        units = (await api.get("members", "/api/v1/org-units", params={"parent": me.org, "limit": 500}))["items"]
    except ApiProblem as problem:
        return _trouble(request, problem)
    names = {u["code"]: u["name"] for u in units}
    groups = stats["groups"]
    return render(request, "figures.html", groups=groups, names=names, chart=chart(groups, names), rates=RATES,
                  colours=COLOURS)
