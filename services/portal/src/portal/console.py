"""The staff and department console (sign-in): inbox, work queue, a case with only the actions its
state allows. Every call carries the signed-in person's own token; scope is the services' to check."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from liaison_shared.chinatime import today_in_china

from . import oidc, session
from .actions import CONVERSIONS, DECISIONS, RATINGS, RULINGS, SUPERVISION_FORMS, body_of
from .backend import ApiProblem
from .devsignin import dev_signer
from .web import (
    backends_of,
    form,
    one,
    problem_words,
    redirect,
    render,
    safe_next,
    settings_of,
    translator,
)

router = APIRouter(prefix="/console")
ROLES = ("staff", "department", "member", "leader")
DUE_SOON_DAYS = 3


def signed_in(request: Request) -> session.Session | None:
    return session.current(settings_of(request), request)


async def _dev_directory(request: Request) -> dict:
    """What the development sign-in offers: units, departments and members, read with a development
    admin token of the city (development mode only)."""
    settings, api, signer = settings_of(request), backends_of(request), dev_signer()
    assert signer is not None  # noqa: S101 — the sign-in pages check it before asking
    token = signer(settings, role="admin", org="640200000000", sub="portal-dev-signin", ttl_s=60)
    units = (await api.get("members", "/api/v1/org-units", params={"limit": 500}))["items"]
    departments = (await api.get("members", "/api/v1/departments", token=token, params={"limit": 500}))["items"]
    members = (await api.get("members", "/api/v1/members", token=token, params={"limit": 500}))["items"]
    return {"units": units, "departments": departments, "members": members}


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request) -> Response:
    settings = settings_of(request)
    if settings.portal_oidc_issuer:
        return await oidc.begin(request)
    if not settings.dev_mode or dev_signer() is None:
        return render(request, "message.html", 501, title_key="signin.title", text_key="signin.oidc_missing")
    try:
        directory = await _dev_directory(request)
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title",
                      text=problem_words(translator(request), problem))
    # the page that sent the person here (a check-in link, say), kept through the form
    return render(request, "signin.html", roles=ROLES, error=None, next=safe_next(request.query_params.get("next")),
                  **directory)


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    settings, t, fields = settings_of(request), translator(request), await form(request)
    if settings.portal_oidc_issuer:  # the issuer alone says who signs in: no development tokens beside it
        return render(request, "message.html", 403, title_key="signin.title", text_key="signin.dev_off")
    if not settings.dev_mode or dev_signer() is None:
        return render(request, "message.html", 501, title_key="signin.title", text_key="signin.oidc_missing")
    role, dept, member_id = one(fields, "role"), one(fields, "department"), one(fields, "member")
    directory = await _dev_directory(request)
    org, back_to = one(fields, "org"), safe_next(one(fields, "next"))
    label = ""
    if role == "department":
        found = next((d for d in directory["departments"] if d["id"] == dept), None)
        org, label = (found["org_unit"], found["name"]) if found else ("", "")
    elif role == "member":
        found = next((m for m in directory["members"] if m["id"] == member_id), None)
        org, label = (found["org_unit"], found["name"]) if found else ("", "")
    else:
        found = next((u for u in directory["units"] if u["code"] == org), None)
        label = found["name"] if found else ""
    if role not in ROLES or not found:
        return render(request, "signin.html", 422, roles=ROLES, error=t("signin.incomplete"), next=back_to,
                      **directory)
    sub = f"dev-{role}-{dept or member_id or org}"
    ttl = 8 * 3600
    signer = dev_signer()
    assert signer is not None  # noqa: S101 — checked at the top of this handler
    token = signer(settings, role=role, org=org, dept=dept if role == "department" else None,
                   member_id=member_id if role == "member" else None, sub=sub, ttl_s=ttl)
    response = redirect(back_to or ("/console/member" if role == "member" else "/console/inbox"))
    session.start(settings, response, session.Session(
        token=token, role=role, org=org, label=f"{label}（{t('role.' + role)}）",
        dept=dept if role == "department" else None, member_id=member_id if role == "member" else None,
        expires=int(time.time()) + ttl))
    return response


@router.post("/signout", response_class=HTMLResponse)
async def signout(request: Request) -> Response:
    await form(request)
    ended = await oidc.end_session_url(request) if settings_of(request).portal_oidc_issuer else None
    response = redirect(ended or "/")
    session.end(response)
    return response


@router.get("", response_class=HTMLResponse)
async def console_home(request: Request) -> Response:
    me = signed_in(request)
    if me is None:
        return redirect("/console/signin")
    return redirect("/console/member" if me.role == "member" else "/console/inbox")


def _page_of(item: dict) -> str | None:
    about = item.get("about") or {}
    if about.get("kind") == "opinion" and about.get("id"):
        return f"/console/cases/{about['id']}"
    return None


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request) -> Response:
    me = signed_in(request)
    if me is None:
        return redirect("/console/signin")
    api = backends_of(request)
    try:
        items = (await api.get("notify", "/api/v1/inbox", token=me.token, params={"limit": 100}))["items"]
        unread = (await api.get("notify", "/api/v1/inbox/unread-count", token=me.token))["unread"]
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title",
                      text=problem_words(translator(request), problem))
    for item in items:
        item["page"] = _page_of(item)
    return render(request, "inbox.html", items=items, unread=unread)


@router.post("/inbox/{notification_id}/open", response_class=HTMLResponse)
async def open_item(request: Request, notification_id: str) -> Response:
    """Mark the item read (for this person) and open what it is about."""
    me, fields = signed_in(request), await form(request)
    if me is None:
        return redirect("/console/signin")
    with contextlib.suppress(ApiProblem):  # reading matters more than the mark
        await backends_of(request).post("notify", f"/api/v1/inbox/{notification_id}/read", None, token=me.token)
    target = one(fields, "to")
    return redirect(target if target.startswith("/console/") else "/console/inbox")


def _queue_order(case: dict, today) -> tuple:
    deadline = case.get("deadline")
    if deadline and deadline < today.isoformat():
        urgency = 0
    elif deadline and deadline <= (today + timedelta(days=DUE_SOON_DAYS)).isoformat():
        urgency = 1
    else:
        urgency = 2
    return urgency, deadline or "9999", case["created_at"]


@router.get("/work", response_class=HTMLResponse)
async def work_queue(request: Request) -> Response:
    """The unit's cases (a department: its assignments), overdue and due soon first."""
    me = signed_in(request)
    if me is None:
        return redirect("/console/signin")
    status = request.query_params.get("status") or None
    try:
        cases = (await backends_of(request).get("feedback", "/api/v1/opinions", token=me.token,
                                                params={"status": status, "limit": 200}))["items"]
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title",
                      text=problem_words(translator(request), problem))
    today = today_in_china()
    for case in cases:
        case["due"] = ("overdue", "due_soon", None)[_queue_order(case, today)[0]]
    cases.sort(key=lambda c: _queue_order(c, today))
    return render(request, "work.html", cases=cases, chosen=status,
                  statuses=("received", "escalated", "assigned", "replied", "answered", "rated", "supervised",
                            "closed"))


async def _case_page(request: Request, me: session.Session, case_id: str, errors: dict | None = None,
                     values: dict | None = None, status: int = 200) -> Response:
    t, api = translator(request), backends_of(request)
    try:
        case = await api.get("feedback", f"/api/v1/opinions/{case_id}", token=me.token)
    except ApiProblem as problem:
        return render(request, "message.html", problem.status, title_key="error.title", text=problem_words(t, problem))
    proposal, departments = None, {}
    if me.role in ("staff", "admin"):
        try:
            proposal = await api.get("feedback", f"/api/v1/opinions/{case_id}/dispatch-proposal", token=me.token)
        except ApiProblem:
            proposal = None
    try:
        listed = await api.get("members", "/api/v1/departments", token=me.token, params={"limit": 500})
        departments = {d["id"]: d["name"] for d in listed["items"]}
    except ApiProblem:
        departments = {}
    actions = case.get("allowed_actions") or []  # the service's word: what the state and my part allow
    merge_into: list[dict] = []
    if "merge" in actions:  # the open cases in triage it may join
        with contextlib.suppress(ApiProblem):
            for listed in ("received", "escalated"):
                page = await api.get("feedback", "/api/v1/opinions", token=me.token,
                                     params={"status": listed, "limit": 100})
                merge_into += [c for c in page["items"] if c["id"] != case["id"]]
    round_ = max((a["round"] for a in case.get("assignments") or []), default=0)
    returned = [a for a in case.get("assignments") or []
                if a["round"] == round_ and a["state"] == "returned" and not a.get("return_ruling")]
    last_extend = next((h for h in reversed(case.get("history") or []) if h.get("action") == "extend"), None)
    extension = last_extend["detail"] if last_extend and "days" in last_extend.get("detail", {}) else None
    return render(request, "case.html", status, case=case, proposal=proposal, departments=departments,
                  actions=actions, errors=errors or {}, values=values or {}, merge_into=merge_into,
                  returned=returned, extension=extension, conversions=CONVERSIONS, ratings=RATINGS,
                  rulings=RULINGS, decisions=DECISIONS, supervision_forms=SUPERVISION_FORMS,
                  done=request.query_params.get("done"))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, case_id: str) -> Response:
    me = signed_in(request)
    if me is None:
        return redirect("/console/signin")
    return await _case_page(request, me, case_id)


@router.post("/cases/{case_id}/act", response_class=HTMLResponse)
async def act(request: Request, case_id: str) -> Response:
    me, fields = signed_in(request), await form(request)
    if me is None:
        return redirect("/console/signin")
    action = one(fields, "action")
    values = {name: one(fields, name) for name in fields if name != "csrf"}
    try:
        body = body_of(action, fields, me.role)
        await backends_of(request).post("feedback", f"/api/v1/opinions/{case_id}/actions", body, token=me.token,
                                        fields=tuple(body))
    except ValueError as wrong:
        field, _, words = str(wrong).partition(":")
        return await _case_page(request, me, case_id, {action: {field: translator(request)(words)}}, values, 422)
    except ApiProblem as problem:
        field = problem.field if problem.field in fields else "form"
        return await _case_page(request, me, case_id,
                                {action: {field: problem_words(translator(request), problem)}}, values,
                                problem.status)
    return redirect(f"/console/cases/{case_id}?done={action}")
