"""The citizen's pages (no sign-in): my village, say something (反映意见), the receipt, track
(查询进度) and rate (评价) — from members' and feedback's public routes only."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from liaison_shared import qr
from liaison_shared.chinatime import today_in_china

from .backend import ApiProblem
from .web import (
    backends_of,
    client_ip,
    form,
    one,
    problem_words,
    redirect,
    render,
    settings_of,
    translator,
)

router = APIRouter()

URGENCIES = ("normal", "urgent")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
CODE = re.compile(r"^[A-Za-z0-9-]{4,40}$")
ORG = re.compile(r"^\d{12}$")


async def _categories(request: Request, code: str) -> list[dict]:
    """The categories the unit offers (feedback's category tree, depth first); none when feedback
    cannot say — the form still works, the citizen leaves the category out."""
    try:
        page = await backends_of(request).get("feedback", "/api/v1/public/categories", params={"org_unit": code},
                                              client_ip=client_ip(request))
    except ApiProblem:
        return []
    return page["items"]


async def _units(request: Request, **params: str) -> list[dict]:
    page = await backends_of(request).get("members", "/api/v1/org-units", params={**params, "limit": 500},
                                          client_ip=client_ip(request))
    return [unit for unit in page["items"] if unit["active"]]


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    try:
        counties = await _units(request, level="county")
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title",
                      text=problem_words(translator(request), problem))
    return render(request, "home.html", counties=counties)


@router.get("/places/{code}", response_class=HTMLResponse)
async def places(request: Request, code: str) -> Response:
    """Choose on: a county's towns, a town's villages (a village opens its page)."""
    t = translator(request)
    if not ORG.match(code):
        return render(request, "message.html", 404, title_key="error.title", text=t("error.404"))
    try:
        unit = await backends_of(request).get("members", f"/api/v1/org-units/{code}", client_ip=client_ip(request))
        if unit["level"] == "village":
            return redirect(f"/v/{code}")
        children = await _units(request, parent=code)
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title", text=problem_words(t, problem))
    return render(request, "places.html", unit=unit, children=children)


@router.get("/v/{code}", response_class=HTMLResponse)
async def village(request: Request, code: str) -> Response:
    """亮身份、亮责任: the members serving this contact point, their reception days, the unit's duties."""
    t, api, ip = translator(request), backends_of(request), client_ip(request)
    if not ORG.match(code):
        return render(request, "message.html", 404, title_key="error.title", text=t("error.404"))
    try:
        unit = await api.get("members", f"/api/v1/org-units/{code}", client_ip=ip)
        try:
            members = (await api.get("members", f"/api/v1/contact-points/{code}/members", client_ip=ip))["items"]
        except ApiProblem as problem:
            if problem.status != 404:  # not a contact point: nobody serves it yet
                raise
            members = []
        days = (await api.get("members", "/api/v1/reception-days", client_ip=ip, params={
            "org_unit": code, "date_from": today_in_china().isoformat(), "limit": 20}))["items"]
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title", text=problem_words(t, problem))
    return render(request, "village.html", unit=unit, members=members, days=days)


@router.get("/v/{code}/say", response_class=HTMLResponse)
async def say_form(request: Request, code: str) -> Response:
    return await _say_page(request, code, {}, {})


async def _say_page(request: Request, code: str, values: dict, errors: dict, status: int = 200) -> Response:
    t = translator(request)
    if not ORG.match(code):
        return render(request, "message.html", 404, title_key="error.title", text=t("error.404"))
    try:
        unit = await backends_of(request).get("members", f"/api/v1/org-units/{code}", client_ip=client_ip(request))
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title", text=problem_words(t, problem))
    return render(request, "say.html", status, unit=unit, values=values, errors=errors,
                  categories=await _categories(request, code), urgencies=URGENCIES)


@router.post("/v/{code}/say", response_class=HTMLResponse)
async def say(request: Request, code: str) -> Response:
    t, fields = translator(request), await form(request)
    values: dict[str, str | bool] = {name: one(fields, name)
                                     for name in ("category", "content", "urgency", "name", "phone")}
    values.update(consent=bool(one(fields, "consent")), sms=bool(one(fields, "sms")))
    errors: dict[str, str] = {}
    if one(fields, "website"):  # the honeypot: a person never sees this field
        return render(request, "message.html", 400, title_key="say.title", text=t("say.refused"))
    if not values["content"]:
        errors["content"] = t("say.need_content")
    if values["category"] and values["category"] not in {c["path"] for c in await _categories(request, code)}:
        values["category"] = ""
    if (values["name"] or values["phone"] or values["sms"]) and not values["consent"]:
        errors["consent"] = t("say.need_consent")
    if values["sms"] and not values["phone"]:
        errors["phone"] = t("say.need_phone")
    if errors:
        return await _say_page(request, code, values, errors, 422)
    body = {"content": values["content"], "org_unit": code, "channel": "online",
            "category": values["category"] or None,
            "urgency": values["urgency"] if values["urgency"] in URGENCIES else "normal",
            "consent": values["consent"]}
    if values["consent"]:
        body.update(submitter_name=values["name"] or None, submitter_phone=values["phone"] or None,
                    notify_by_sms=values["sms"])
    try:
        created = await backends_of(request).post("feedback", "/api/v1/opinions", body, client_ip=client_ip(request),
                                                  fields=("content", "submitter_phone", "submitter_name", "category"))
    except ApiProblem as problem:
        field = {"submitter_phone": "phone", "submitter_name": "name"}.get(problem.field or "", problem.field)
        errors[field if field in values else "form"] = (
            t("say.bad_phone") if field == "phone" else problem_words(t, problem))
        return await _say_page(request, code, values, errors, problem.status)
    kept = "1" if created["personal_data_kept"] else "0"
    return redirect(f"/r/{created['tracking_code']}?kept={kept}")


@router.get("/r/{code}", response_class=HTMLResponse)
async def receipt(request: Request, code: str) -> Response:
    if not CODE.match(code):
        return render(request, "message.html", 404, title_key="error.title", text=translator(request)("track.unknown"))
    link = f"{settings_of(request).portal_base()}/track/{code}"
    return render(request, "receipt.html", code=code, link=link, kept=request.query_params.get("kept") == "1",
                  qr=qr.svg(link, title=translator(request)("receipt.qr_title")))


@router.get("/track", response_class=HTMLResponse)
async def track_form(request: Request) -> Response:
    code = request.query_params.get("code", "").strip()
    if code:
        return redirect(f"/track/{code}") if CODE.match(code) else render(
            request, "track_form.html", 404, code=code, error=translator(request)("track.unknown"))
    return render(request, "track_form.html", code="", error=None)


async def _track_page(request: Request, code: str, note: str | None = None, error: str | None = None,
                      status: int = 200) -> Response:
    t = translator(request)
    if not CODE.match(code):
        return render(request, "track_form.html", 404, code=code, error=t("track.unknown"))
    try:
        view = await backends_of(request).get("feedback", f"/api/v1/track/{code}", client_ip=client_ip(request))
    except ApiProblem as problem:
        words = t("track.unknown") if problem.status == 404 else problem_words(t, problem)
        return render(request, "track_form.html", problem.status, code=code, error=words)
    return render(request, "track.html", status, code=code, view=view, ratings=RATINGS, note=note, error=error,
                  timeline=timeline(view))


def timeline(view: dict) -> list[tuple[str | None, str, dict]]:
    """办理经过 in order: (time, words key, fields) — received, each public step, each answer."""
    steps: list[tuple[str | None, str, dict]] = [(view["created_at"], "track.step.received", {})]
    for step in (view.get("chain") or {}).get("steps") or []:
        steps.append((step.get("at"), f"track.step.{step.get('step')}", {}))
    for answer in view.get("answers") or []:
        steps.append((answer.get("at"), f"track.answer.{answer['kind']}", {}))
    if view.get("rating"):
        steps.append((None, "track.step.rated", {}))
    return sorted(steps, key=lambda s: s[0] or "9999")


@router.get("/track/{code}", response_class=HTMLResponse)
async def track(request: Request, code: str) -> Response:
    note = translator(request)("track.thanks") if request.query_params.get("rated") == "1" else None
    return await _track_page(request, code, note=note)


@router.post("/track/{code}/rate", response_class=HTMLResponse)
async def rate(request: Request, code: str) -> Response:
    t, fields = translator(request), await form(request)
    rating, comment = one(fields, "rating"), one(fields, "comment")
    if rating not in RATINGS:
        return await _track_page(request, code, error=t("track.need_rating"), status=422)
    try:
        await backends_of(request).post("feedback", f"/api/v1/track/{code}/rating",
                                        {"rating": rating, "comment": comment or None}, client_ip=client_ip(request))
    except ApiProblem as problem:
        words = t("track.cannot_rate") if problem.status == 409 else problem_words(t, problem)
        return await _track_page(request, code, error=words, status=problem.status)
    return redirect(f"/track/{code}?rated=1")
