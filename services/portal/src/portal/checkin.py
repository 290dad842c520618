"""扫码签到 in the console: the member's page a check-in QR code opens, and the organiser's screen
that shows the code. Members signs the codes, checks them and records who came; the portal only
carries the code, with the signed-in person's own token.

The member's page confirms before it posts: a GET must change nothing (a link preview or a
prefetch would check the member in), and the form carries the CSRF token like every form. The
organiser's screen renews itself with ``<meta http-equiv="refresh">`` — no script, as everywhere —
well before the code it shows expires.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from liaison_shared import qr
from liaison_shared.chinatime import CHINA, today_in_china

from . import session
from .backend import ApiProblem
from .i18n import Translator
from .web import (
    backends_of,
    form,
    one,
    problem_words,
    redirect,
    render,
    settings_of,
    signin_url,
    to_signin,
    translator,
    when,
)

router = APIRouter(prefix="/console")
PAGE = "/console/check-in"  # what members' CHECKIN_LINK_BASE defaults to (Settings.checkin_page)
OCCASIONS = ("activity", "reception_day", "session")
# a JWT's alphabet and members' own bounds on a code: anything else is not sent on
CODE = re.compile(r"^[A-Za-z0-9_.-]{20,2000}$")
UUID = re.compile(r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$")
# members' refusals (docs/api.md, check-in), each in the member's words
REFUSALS = {(409, "code_expired"): "checkin.expired", (409, "outside_window"): "checkin.outside_window",
            (403, "invalid_code"): "checkin.invalid", (403, "forbidden"): "checkin.not_invited",
            (404, "not_found"): "checkin.gone", (409, "session_cancelled"): "checkin.session_cancelled",
            (409, "session_concluded"): "checkin.session_concluded"}
# the organiser's screen: a new code at the latest halfway through the one shown, at least every minute
REFRESH_MIN_S, REFRESH_MAX_S = 5, 60


def _back_with(code: str) -> str:
    return f"{PAGE}?{urlencode({'code': code})}"


def _refusal(t: Translator, problem: ApiProblem) -> str:
    if problem.status == 422:  # members' own bounds on a code
        return t("checkin.invalid")
    key = REFUSALS.get((problem.status, problem.code))
    return t(key) if key else problem_words(t, problem)


@router.get("/check-in", response_class=HTMLResponse)
async def check_in_form(request: Request) -> Response:
    """What a check-in QR code opens: signed in as a member, a button to confirm."""
    me = session.current(settings_of(request), request)
    if me is None:
        return to_signin(request)  # back here, code and all, once signed in
    if me.role != "member":
        return render(request, "checkin.html", 403, refused=translator(request)("checkin.members_only"))
    code = (request.query_params.get("code") or "").strip()
    if not code:
        return render(request, "checkin.html", 400, refused=translator(request)("checkin.no_code"))
    return render(request, "checkin.html", code=code)


@router.post("/check-in", response_class=HTMLResponse)
async def check_in(request: Request) -> Response:
    """Post the code to members with the member's token; its answer in plain words."""
    fields, t = await form(request), translator(request)
    code = one(fields, "code")
    me = session.current(settings_of(request), request)
    if me is None:
        return redirect(signin_url(_back_with(code)))
    if me.role != "member":
        return render(request, "checkin.html", 403, refused=t("checkin.members_only"))
    if not CODE.fullmatch(code):
        return render(request, "checkin.html", 400, refused=t("checkin.invalid"))
    try:
        answer = await backends_of(request).post("members", "/api/v1/check-ins", {"code": code}, token=me.token)
    except ApiProblem as problem:
        if problem.status == 401:  # the session's token ran out: sign in again, the code kept
            response = redirect(signin_url(_back_with(code)))
            session.end(response)
            return response
        return render(request, "checkin.html", problem.status, refused=_refusal(t, problem))
    words = t("checkin.already" if answer["already_recorded"] else "checkin.recorded",
              kind=t(f"occasion.{answer['occasion']}"), title=answer["title"], at=when(answer["checked_in_at"]))
    return render(request, "checkin.html", recorded=words)


# --- the organiser's screen ---------------------------------------------------------------------


def _organiser(request: Request) -> session.Session | None:
    me = session.current(settings_of(request), request)
    return me if me is not None and me.role not in ("member", "department") else None


def _today(at: str) -> bool:
    return datetime.fromisoformat(at).astimezone(CHINA).date() == today_in_china()


@router.get("/check-in-codes", response_class=HTMLResponse)
async def occasions_today(request: Request) -> Response:
    """Today's activities, reception days and sessions of my units, each with its check-in screen."""
    me = _organiser(request)
    if me is None:
        return to_signin(request)
    api, today = backends_of(request), today_in_china().isoformat()
    try:
        activities = (await api.get("members", "/api/v1/activities", token=me.token,
                                    params={"date_from": today, "date_to": today, "limit": 200}))["items"]
        days = (await api.get("members", "/api/v1/reception-days", token=me.token,
                              params={"org_unit": me.org, "date_from": today, "date_to": today,
                                      "limit": 200}))["items"]
        sessions = (await api.get("consultation", "/api/v1/sessions", token=me.token,
                                  params={"status": "scheduled", "limit": 500}))["items"]
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title",
                      text=problem_words(translator(request), problem))
    occasions = ([{"kind": "activity", "id": a["id"], "title": a["title"], "at": None} for a in activities]
                 + [{"kind": "reception_day", "id": d["id"], "title": f"{d['venue_name']} · {d['member_name']}",
                     "at": d["starts_at"]} for d in days]
                 + [{"kind": "session", "id": s["id"], "title": s["title"], "at": s["starts_at"]}
                    for s in sessions if _today(s["starts_at"])])
    return render(request, "checkin_codes.html", occasions=occasions)


@router.get("/check-in-codes/{occasion}/{occasion_id}", response_class=HTMLResponse)
async def code_screen(request: Request, occasion: str, occasion_id: str) -> Response:
    """The code as a QR large enough to scan across a room, renewed before it expires, and who has
    checked in so far."""
    me, t = _organiser(request), translator(request)
    if me is None:
        return to_signin(request)
    if occasion not in OCCASIONS or not UUID.fullmatch(occasion_id):
        return render(request, "message.html", 404, title_key="error.title", text=t("error.404"))
    api, code = backends_of(request), None
    try:
        code = await api.get("members", f"/api/v1/check-in-codes/{occasion}/{occasion_id}", token=me.token)
    except ApiProblem as problem:
        if (problem.status, problem.code) != (409, "outside_window"):
            return render(request, "message.html", problem.status, title_key="error.title",
                          text=problem_words(t, problem))
        # not open yet, or over: no code, and the screen looks again every minute
    try:
        attendance = await api.get("members", "/api/v1/check-ins", token=me.token,
                                   params={"occasion": occasion, "occasion_id": occasion_id, "limit": 500})
    except ApiProblem:
        attendance = None  # the code matters more than the list
    refresh, svg, until = REFRESH_MAX_S, None, ""
    if code is not None:
        expires = datetime.fromisoformat(code["expires_at"])
        left, until = (expires - datetime.now(UTC)).total_seconds(), expires.astimezone(CHINA).strftime("%H:%M:%S")
        refresh = int(max(REFRESH_MIN_S, min(REFRESH_MAX_S, left // 2)))
        # drawn here from the link rather than members' SVG: no markup from elsewhere goes into the
        # page unescaped, and this one scales to the screen (members' has a fixed size)
        svg = qr.svg(code["link"], fit=True,
                     title=t("checkin.qr_title", kind=t(f"occasion.{occasion}"), title=code["title"]))
    return render(request, "checkin_code.html", kind=occasion, code=code, svg=svg, until=until,
                  attendance=attendance, refresh=refresh)
