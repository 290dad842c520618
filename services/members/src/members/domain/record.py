"""委员履职档案 and 履职报告 — a member's year in figures, and the printable yearly summary for the
annual 述职. Pure: given the rows, the figures and the page."""

from __future__ import annotations

from collections import Counter
from html import escape

from liaison_shared.chinatime import CHINA

from .activities import ACTIVITY_TYPES

# how an opinion taken in ended, in the words of the summary
OPINION_STEPS = {
    "received": "办理中", "answered": "当场答复", "replied": "已答复", "rated": "已评价", "reopened": "重新办理",
    "supervised": "督办", "merged": "已合并", "closed": "已办结", "converted:proposal": "转为提案",
    "converted:topic": "转为协商议题", "converted:public_opinion_report": "转为社情民意信息",
    "converted:special_report": "转为政协专报", "converted:plenary_speech": "转为大会发言",
}
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
REPORT_STATES = {"submitted": "已报送", "adopted": "已采用", "instructed": "获批示"}
PROPOSAL_STATES = {"filed": "已提交", "accepted": "已立案", "replied": "已答复"}
RESEARCH_KINDS = {"field_visit": "调研视察", "material": "学习材料"}
# the score's breakdown, in the words of the 履职报告 (keys of assessment.score)
SCORE_PARTS = {
    "activities": "履职活动", "opinions_taken_in": "收集群众意见", "proposals_accepted": "提案立案",
    "outcomes_converted": "成果转化", "satisfied_ratings": "群众满意", "reports_adopted": "社情民意采用",
    "instructions": "获领导批示", "sessions_attended": "参加协商议事", "research": "学习调研",
}
ADOPTED_BY = {"town": "乡镇（街道）", "city": "市政协", "county": "县（区）政协", "province": "省政协", "national": "全国政协"}


def summarise(activities: list[dict], days: list[dict], opinions: list[dict], reports: list[dict],
              proposals: list[dict], sessions: list[dict], research: list[dict] | None = None) -> dict:
    """The year's figures: what a 述职 reads out first."""
    ended = Counter(o["step"] for o in opinions)
    return {
        "activities": len(activities),
        "activities_by_type": dict(Counter(a["type"] for a in activities)),
        "people_reached": sum(a["people_reached"] for a in activities),
        "reception_days": len(days),
        "reception_days_held": sum(1 for d in days if d["held"]),
        "opinions_taken_in": len(opinions),
        "opinions_by_outcome": dict(ended),
        "opinions_satisfied": sum(1 for o in opinions if o["rating"] in ("satisfied", "basically_satisfied")),
        "reports": len(reports),
        "reports_adopted": sum(1 for r in reports if r["state"] in ("adopted", "instructed")),
        "reports_instructed": sum(1 for r in reports if r["state"] == "instructed"),
        "proposals": len(proposals),
        "proposals_accepted": sum(1 for p in proposals if p["state"] in ("accepted", "replied")),
        "proposals_by_class": dict(Counter(p["detail"]["reply_class"] for p in proposals
                                           if p["detail"].get("reply_class"))),
        "sessions_attended": len(sessions),
        "research": len(research or []),
        "research_field_visits": sum(1 for r in research or [] if r["detail"].get("kind") == "field_visit"),
        # attested by a code the organiser showed (扫码签到), not self-reported
        "checked_in": (sum(1 for a in activities if a.get("checked_in_at"))
                       + sum(1 for d in days if d.get("checked_in_at"))
                       + sum(1 for x in sessions if x["detail"].get("checked_in_at"))),
    }


STYLE = ("body{font-family:'Songti SC',SimSun,serif;margin:2em auto;max-width:42em;line-height:1.7}"
         "h1{text-align:center;font-size:1.5em}h2{font-size:1.1em;border-bottom:1px solid #000}"
         "table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;padding:.2em .4em;text-align:left}"
         ".meta{text-align:center}@media print{body{margin:0}}")


def _rows(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>无</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _signed_in(at) -> str:
    """扫码签到 time, China time; blank where the record was logged rather than scanned."""
    return at.astimezone(CHINA).strftime("%H:%M 扫码签到") if at else ""


def print_view(record: dict) -> str:
    """履职报告: the year's summary as a page to print — zh-CN, no script, every value escaped."""
    member, year, s = record["member"], record["year"], record["summary"]
    figures = [
        ["参加履职活动", f"{s['activities']} 次，联系群众 {s['people_reached']} 人次"],
        ["委员接待日", f"安排 {s['reception_days']} 次，已举办 {s['reception_days_held']} 次"],
        ["收集群众意见", f"{s['opinions_taken_in']} 件，群众满意（含基本满意）{s['opinions_satisfied']} 件"],
        ["撰写社情民意信息", f"{s['reports']} 篇，被采用 {s['reports_adopted']} 篇，获批示 {s['reports_instructed']} 篇"],
        ["提交提案", f"{s['proposals']} 件，立案 {s['proposals_accepted']} 件"],
        ["参加协商议事", f"{s['sessions_attended']} 次"],
        ["学习调研", f"{s.get('research', 0)} 次，其中调研视察 {s.get('research_field_visits', 0)} 次"],
        ["扫码签到", f"{s.get('checked_in', 0)} 次"],
    ]
    if record.get("score") is not None:
        figures.append(["履职考核得分", f"{record['score']:g}"])
        parts = record.get("score_breakdown") or {}
        figures.extend([f"　其中：{SCORE_PARTS.get(k, k)}", f"{v:g} 分"] for k, v in parts.items() if v)
    activities = [[a["occurred_on"].isoformat(), ACTIVITY_TYPES.get(a["type"], a["type"]).split("（")[0], a["title"],
                   str(a["people_reached"]), _signed_in(a.get("checked_in_at"))] for a in record["activities"]]
    days = [[d["starts_at"].strftime("%Y-%m-%d"), d["venue_name"], "已举办" if d["held"] else "待举办",
             str(d["opinions_taken_in"]), _signed_in(d.get("checked_in_at"))] for d in record["reception_days"]]
    opinions = [[o["taken_in_at"].strftime("%Y-%m-%d"), o["category"] or "", OPINION_STEPS.get(o["step"], o["step"]),
                 RATINGS.get(o["rating"] or "", "")] for o in record["opinions"]]
    reports = [[r["started_at"].strftime("%Y-%m-%d"), REPORT_STATES.get(r["state"], r["state"]),
                ADOPTED_BY.get(r["detail"].get("adopted_by", ""), "")] for r in record["reports"]]
    proposals = [[p["detail"].get("number", ""), p["title"], PROPOSAL_STATES.get(p["state"], p["state"]),
                  p["detail"].get("reply_class", "")] for p in record["proposals"]]
    sessions = [[x["started_at"].strftime("%Y-%m-%d"), x["title"], "已签到" if x["detail"].get("checked_in_at") else ""]
                for x in record["sessions"]]
    research = [[x["started_at"].strftime("%Y-%m-%d"), RESEARCH_KINDS.get(x["detail"].get("kind", ""), ""), x["title"]]
                for x in record.get("research", [])]
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(member['name'])} {year}年度履职报告</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(member['name'])}委员{year}年度履职报告</h1>"
        f"<p class=\"meta\">{escape(member['org_unit_name'])}政协 · {escape(member['sector_name'])}</p>"
        "<h2>一、履职概况</h2>" + _rows(["项目", "情况"], figures)
        + "<h2>二、履职活动</h2>" + _rows(["日期", "类型", "活动", "联系群众", "签到"], activities)
        + "<h2>三、委员接待日</h2>" + _rows(["日期", "地点", "状态", "收集意见", "签到"], days)
        + "<h2>四、收集的群众意见及办理情况</h2>" + _rows(["日期", "类别", "办理情况", "群众评价"], opinions)
        + "<h2>五、社情民意信息</h2>" + _rows(["日期", "状态", "采用单位"], reports)
        + "<h2>六、提案</h2>" + _rows(["编号", "案由", "状态", "答复类别"], proposals)
        + "<h2>七、参加协商议事</h2>" + _rows(["日期", "议题", "签到"], sessions)
        + "<h2>八、学习调研</h2>" + _rows(["日期", "方式", "内容"], research)
        + "</body></html>"
    )
