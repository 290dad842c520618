"""The citizen's tracking page (/t/{code}): the link an SMS carries, for a person, not a program.

Server-rendered, zh-CN, readable on a phone: the status in plain words, the deadline in force,
what the case became, the answers, and a rating form posted back here (no script). Nothing
personal is shown — not even the submitter's own name — every value is HTML-escaped, and a
Content-Security-Policy allows the page's own style and form target only.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from html import escape
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from liaison_shared.chinatime import CHINA
from liaison_shared.errors import ApiError
from liaison_shared.ratelimit import public_limit
from liaison_shared.service import runtime_of
from pydantic import ValidationError

from ..domain.proposal import REPLY_CLASSES
from ..handlers import actions
from ..handlers.conversions import ADOPTED_BY, EVALUATIONS, KINDS, OUTCOME_RESULTS
from ..schemas.opinions import RatingIn, TrackOut
from ..storage import opinions as storage
from .opinions import tracked

# Pages, not API: left out of the OpenAPI document (a client generator has no use for HTML); the
# JSON twins are GET /api/v1/track/{code} and POST /api/v1/track/{code}/rating.
router = APIRouter(include_in_schema=False)

STATUS_WORDS = {
    "received": "已受理，正在分办", "escalated": "已报上级办理", "answered": "已当场答复", "assigned": "已交有关部门办理",
    "replied": "已答复，请您评价", "rated": "已评价", "supervised": "督办中", "converted": "已转化，办理中",
    "merged": "已与同类意见合并办理", "closed": "已办结",
}
BECAME = {"proposal": "提案", "topic": "协商议题", "public_opinion_report": "社情民意信息", "special_report": "政协专报",
          "plenary_speech": "大会发言"}
ANSWER_KINDS = {"on_the_spot": "当场答复", "department": "承办单位答复", "conversion": "转化办理结果"}
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
STYLE = ("body{font-family:system-ui,sans-serif;margin:0 auto;max-width:36em;padding:1em;line-height:1.6}"
         "h1{font-size:1.3em}section{border-top:1px solid #ddd;padding:.5em 0}.at{color:#666;font-size:.9em}"
         "label{display:block;margin:.3em 0}textarea{width:100%;min-height:4em}button{padding:.5em 2em}"
         ".note{background:#fff6d5;padding:.5em}")
CSP = ("default-src 'none'; style-src 'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
       + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store"}


def _when(at) -> str:
    if isinstance(at, str):  # the chain's times come as ISO text
        at = datetime.fromisoformat(at)
    return at.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M") if at else ""


# 办理经过: the public chain (TrackOut.chain) in words — never its values
STEPS = {"escalated": "已报上级办理", "merged": "已与反映同一问题的意见合并", "joined_by": "反映同一问题的意见并入本件",
         "converted": "已转为{became}", "assigned_as_task": "作为协商成果交办事项交有关部门办理",
         "report_adopted": "编入的信息已被采用", "instructed": "已获领导批示"}
TOPIC_STAGES = {"proposed": "已进入议题库", "selected": "已选定，准备协商", "plan_submitted": "协商方案报送审定中",
                "approved": "协商方案已获批准", "consulting": "协商议事中", "concluded": "协商已结束",
                "closed": "已协商办结", "declined": "未列入协商"}
SESSIONS = {"scheduled": "已安排", "concluded": "已召开", "cancelled": "已取消"}
PROPOSAL_STATUS = {"draft": "起草中", "filed": "已提交", "accepted": "已立案", "not_accepted": "未立案",
                   "merged": "已并案办理", "assigned": "已交承办单位办理", "replied": "承办单位已答复",
                   "evaluated": "已评价", "supervised": "督办中", "closed": "已办结"}
REPORT_STATUS = {"draft": "编写中", "submitted": "已报送", "adopted": "已被采用", "rejected": "未被采用"}
TASK_STATUS = {**STATUS_WORDS, "replied": "承办单位已答复"}


def _chain(chain: dict) -> list[str]:
    """The lines of 办理经过, oldest first; empty when nothing happened beyond the case itself."""
    became = BECAME.get(chain.get("converted_into") or "", "其他形式")
    lines = [f"<span class='at'>{escape(_when(step['at']))}</span> "
             + escape(STEPS.get(step["step"], "办理环节更新").format(became=became))
             for step in chain.get("steps") or []]
    if chain.get("topic"):
        lines.append(f"协商议题：{TOPIC_STAGES.get(chain['topic']['stage'] or '', '办理中')}")
    for session in chain.get("sessions") or []:
        when = _when(session["starts_at"]) if session.get("starts_at") else ""
        lines.append(escape(f"协商会{('（' + when + '）') if when else ''}：{SESSIONS.get(session['status'], '')}"))
    for outcome in chain.get("outcomes") or []:
        words = [f"协商成果转为{KINDS.get(outcome['converted_into'] or '', '其他形式')}"]
        if outcome.get("result"):
            words.append(OUTCOME_RESULTS.get(outcome["result"], "已评价"))
        if outcome.get("instructed"):
            words.append("已获领导批示")
        lines.append(escape("，".join(words)))
    for proposal in chain.get("proposals") or []:
        words = [f"提案{proposal.get('number') or ''}：{PROPOSAL_STATUS.get(proposal['status'], '办理中')}"]
        if proposal.get("reply_class"):
            words.append(f"答复为{proposal['reply_class']}类（{REPLY_CLASSES.get(proposal['reply_class'], '')}）")
        if proposal.get("evaluation"):
            words.append(f"提案者评价：{EVALUATIONS.get(proposal['evaluation'], '已评价').split('（')[0]}")
        lines.append(escape("，".join(words)))
    for report in chain.get("reports") or []:
        words = [f"{KINDS.get(report['kind'], '信息')}：{REPORT_STATUS.get(report['status'], '办理中')}"]
        if report.get("adopted_by"):
            words.append(f"被{ADOPTED_BY.get(report['adopted_by'], '上级')}采用")
        if report.get("instructed"):
            words.append("已获领导批示")
        lines.append(escape("，".join(words)))
    for task in chain.get("department_tasks") or []:
        lines.append(escape(f"部门交办事项：{TASK_STATUS.get(task['status'], '办理中')}"))
    return lines


def render(view: TrackOut, code: str, note: str | None = None) -> str:
    e = escape
    parts = [f"<h1>群众意见办理情况</h1><p>状态：<strong>{e(STATUS_WORDS.get(view.status, view.status))}</strong></p>",
             f"<p class='at'>受理时间：{e(_when(view.created_at))}</p>"]
    if view.converted_to:
        parts.append(f"<p>您的意见已转化为{e(BECAME.get(view.converted_to, view.converted_to))}办理，办理结果将在此公布。</p>")
    if view.merged:
        parts.append("<p>您的意见已与反映同一问题的意见合并办理，以下为合并办理的答复。</p>")
    if lines := _chain(view.chain):
        parts.append("<section><h2>办理经过</h2><ol>" + "".join(f"<li>{line}</li>" for line in lines) + "</ol></section>")
    if view.deadline:
        parts.append(f"<p>答复期限：{view.deadline.year}年{view.deadline.month}月{view.deadline.day}日</p>")
    for answer in view.answers:
        parts.append(f"<section><p><strong>{e(ANSWER_KINDS.get(answer.kind, answer.kind))}</strong>"
                     f" <span class='at'>{e(_when(answer.at))}</span></p><p>{e(answer.text)}</p></section>")
    if not view.answers:
        parts.append("<section><p>暂无答复，请耐心等待。</p></section>")
    if view.rating:
        parts.append(f"<p>您的评价：{e(RATINGS.get(view.rating, view.rating))}</p>")
    if note:
        parts.append(f"<p class='note'>{e(note)}</p>")
    if view.can_rate:
        options = "".join(f"<label><input type='radio' name='rating' value='{k}' required> {v}</label>"
                          for k, v in RATINGS.items())
        parts.append(f"<form method='post' action='/t/{e(code)}/rating'><h2>请对答复作出评价</h2>{options}"
                     "<label>意见（可不填）<textarea name='comment' maxlength='2000'></textarea></label>"
                     "<button type='submit'>提交评价</button></form>")
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>意见办理情况</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status, headers=HEADERS)


def _not_found() -> HTMLResponse:
    return _page("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>未找到</title></head>"
                 "<body><p>没有找到这个查询码对应的意见，请核对短信中的链接。</p></body></html>", 404)


@router.get("/t/{code}", response_class=HTMLResponse)
async def page(request: Request, code: str) -> Response:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.opinion_by_code(conn, code)
        if row is None:
            return _not_found()
        done = request.query_params.get("rated") == "1"
        return _page(render(await tracked(conn, row), code, "感谢您的评价。" if done else None))


@router.post("/t/{code}/rating", response_class=HTMLResponse, dependencies=[Depends(public_limit)])
async def rate_from_page(request: Request, code: str) -> Response:
    """The page's rating form (application/x-www-form-urlencoded); answers with a way back to the page."""
    runtime = runtime_of(request)
    body = await request.body()
    form = parse_qs(body[:10_000].decode("utf-8", "replace")) if len(body) <= 10_000 else {}
    row = await storage.opinion_by_code(runtime.pool, code)
    if row is None:
        return _not_found()
    try:
        comment = form.get("comment")
        rated = RatingIn(rating=(form.get("rating") or [""])[0], comment=comment[0] if comment else None)
    except ValidationError:
        return _page(render(await tracked(runtime.pool, row), code, "请选择一项评价（意见不超过2000字）。"), 422)
    try:
        async with runtime.uow() as uow:
            await actions.rate_by_code(uow, runtime.settings, code, rated.rating, rated.comment)
    except ApiError:
        return _page(render(await tracked(runtime.pool, row), code, "现在还不能评价：尚无答复，或已评价过。"), 409)
    return RedirectResponse(f"/t/{code}?rated=1", status_code=303, headers=HEADERS)
