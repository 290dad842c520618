"""The member's own view (委员): my contact points, my reception days, log an activity (履职活动),
my score (考核) with its breakdown — with the member's own token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from liaison_shared.chinatime import today_in_china

from . import session
from .backend import ApiProblem
from .web import backends_of, form, one, problem_words, redirect, render, settings_of, translator

router = APIRouter(prefix="/console/member")
ACTIVITY_TYPES = ("visit", "pairing", "seminar", "research_inspection", "lecture", "reception_day",
                  "public_service", "themed_campaign", "training", "open_day")


async def _member_page(request: Request, me: session.Session, errors: dict | None = None,
                       values: dict | None = None, status: int = 200) -> Response:
    t, api = translator(request), backends_of(request)
    year = today_in_china().year
    try:
        member = await api.get("members", f"/api/v1/members/{me.member_id}", token=me.token)
        places = [await api.get("members", f"/api/v1/org-units/{code}") for code in member["contact_points"]]
        days = (await api.get("members", "/api/v1/reception-days", token=me.token,
                              params={"member_id": me.member_id, "date_from": today_in_china().isoformat()}))["items"]
        score = await api.get("members", f"/api/v1/members/{me.member_id}/score", token=me.token,
                              params={"year": year})
        activities = (await api.get("members", "/api/v1/activities", token=me.token, params={"limit": 20}))["items"]
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title", text=problem_words(t, problem))
    return render(request, "member.html", status, member=member, places=places, days=days, score=score,
                  activities=activities, year=year, types=ACTIVITY_TYPES, errors=errors or {},
                  values=values or {"occurred_on": today_in_china().isoformat()}, done=request.query_params.get("done"))


@router.get("", response_class=HTMLResponse)
async def member_home(request: Request) -> Response:
    me = session.current(settings_of(request), request)
    if me is None or not me.member_id:
        return redirect("/console/signin")
    return await _member_page(request, me)


@router.post("/activities", response_class=HTMLResponse)
async def log_activity(request: Request) -> Response:
    me, fields = session.current(settings_of(request), request), await form(request)
    if me is None or not me.member_id:
        return redirect("/console/signin")
    t = translator(request)
    values = {name: one(fields, name) for name in ("type", "title", "org_unit", "occurred_on", "people_reached",
                                                   "description")}
    errors = {name: t("case.required") for name in ("type", "title", "org_unit", "occurred_on") if not values[name]}
    if values["people_reached"] and not values["people_reached"].isdigit():
        errors["people_reached"] = t("member.need_number")
    if errors:
        return await _member_page(request, me, errors, values, 422)
    body = {"type": values["type"], "title": values["title"], "org_unit": values["org_unit"],
            "occurred_on": values["occurred_on"], "member_ids": [me.member_id],
            "people_reached": int(values["people_reached"] or 0), "description": values["description"] or None}
    try:
        await backends_of(request).post("members", "/api/v1/activities", body, token=me.token, fields=tuple(body))
    except ApiProblem as problem:
        field = problem.field if problem.field in values else "form"
        return await _member_page(request, me, {field: problem_words(t, problem)}, values, problem.status)
    return redirect("/console/member?done=activity")
