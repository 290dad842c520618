"""The headline story, end to end, on the demo data of `make run` and the four services as real
processes: a villager tells a member something at a reception day; the village triages it from
the dispatch catalogue, the town's government returns it (退单), the village recalls the rest and
escalates it to the county in one step; the county makes it a topic of its own pool, selects it,
submits the plan, its leader approves, a session agrees an outcome, the outcome becomes a proposal
that its members sign and file, staff accept and assign it, the department replies with a class,
the proposer evaluates — and the answer comes back to the villager, who reads it and rates it.

Nothing is created by hand beyond the story's own acts: the member, the venue, the departments and
the filing window are the demo's. Along the way every actor finds the inbox item that asks them to
act, and its link opens the right thing with their own token; at the end the lineage names every
step from the opinion and from the proposal, and no message — inbox, e-mail, SMS — holds an
English enum value or a UTC time.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from liaison_tools.testing import eventually

from .story_stack import demo_stack

pytestmark = pytest.mark.e2e

PINGLUO = "640221000000"  # 平罗县: the county the story climbs to
CATEGORY = "水利"
CONTENT = "村里的灌溉渠多年没有清淤，春灌时水过不来，庄稼浇不上水。"
NAME, PHONE = "马某某", "13995200101"
OUTCOME = "建议县水务局设立农田灌溉渠系维修专项资金。汛前完成全县渠道清淤排查。"

ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|[+-]00:?00(?!\d)|UTC|GMT")
ENGLISH_VALUE = re.compile(r"(?<![A-Za-z0-9_])[a-z]+(?:_[a-z]+)*(?![A-Za-z0-9_])")  # 转化为topic too
STRIPPED = re.compile(r"https?://\S+|[\w.+-]+@[\w.-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def foreign(text: str) -> list[str]:
    """What in a message is a contract value or a UTC time rather than words for a person (links,
    addresses and ids left aside: they are not for reading)."""
    plain = STRIPPED.sub(" ", text)
    return ISO_INSTANT.findall(plain) + ENGLISH_VALUE.findall(plain)


class Story:
    """The http client, the actors' tokens and the messages they received."""

    def __init__(self, stack, http: httpx.AsyncClient) -> None:
        self.stack, self.http = stack, http
        self.opened: list[str] = []   # what every actor opened from its inbox
        self.texts: list[str] = []    # every inbox text read along the way

    def api(self, service: str, path: str) -> str:
        return f"{self.stack.url(service)}{path}"

    async def get(self, service: str, path: str, token=None, status: int = 200) -> dict:
        return ok(await self.http.get(self.api(service, path), headers=token or {}), status)

    async def post(self, service: str, path: str, token, body: dict, status: int = 200) -> dict:
        return ok(await self.http.post(self.api(service, path), headers=token or {}, json=body), status)

    async def act(self, service: str, kind: str, thing_id: str, token, action: str, **fields) -> dict:
        return await self.post(service, f"/api/v1/{kind}/{thing_id}/actions", token, {"action": action, **fields})

    async def asked(self, who: str, token, event_type: str, about_id: str) -> dict:
        """The actor finds the item of ``event_type`` about ``about_id`` in its inbox, and its link
        opens that thing with the actor's own token."""
        async def found():
            page = await self.get("notify", "/api/v1/inbox?limit=500", token)
            return next((i for i in page["items"] if i["event_type"].startswith(event_type)
                         and i["about"]["id"] == about_id), None)
        try:
            item = await eventually(found, timeout=30, interval=0.3)
        except AssertionError:
            page = await self.get("notify", "/api/v1/inbox?limit=500", token)
            seen = [(i["event_type"], i["about"], i["subject"]) for i in page["items"]]
            raise AssertionError(f"{who} found no {event_type} about {about_id} in its inbox; it has {seen}") from None
        self.texts += [item["subject"], item["body"]]
        assert item["link"]["service"] and item["link"]["api"], (who, item)
        # the item and the thing it links to may come from one event read by two services (an
        # outcome converted: notify writes the item, feedback creates the proposal): the link
        # opens once both have read it, not necessarily the moment the item is there
        async def opens():
            response = await self.http.get(self.api(item["link"]["service"], item["link"]["api"]), headers=token)
            return response if response.status_code != 404 else None
        try:
            opened = await eventually(opens, timeout=15, interval=0.3)
        except AssertionError:
            opened = await self.http.get(self.api(item["link"]["service"], item["link"]["api"]), headers=token)
        assert opened.status_code == 200, f"{who} opened {item['link']} from {event_type}: {opened.text}"
        assert opened.json()["id"] == about_id, (who, item["link"], opened.json().get("id"))
        self.opened.append(f"{who}: {event_type}")
        return item


async def test_the_headline_story_from_a_reception_day_to_a_rated_answer(platform, tmp_path):
    started = time.monotonic()
    async with demo_stack(platform, tmp_path) as stack, httpx.AsyncClient(timeout=30) as http:
        s = Story(stack, http)
        county_staff = stack.token("staff", PINGLUO, sub="county-staff")
        county_leader = stack.token("leader", PINGLUO, sub="county-leader")

        # --- 委员接待日: a demo reception day in the county, held by one of the county's own members
        # at the village contact point it serves
        days = (await s.get("members", f"/api/v1/reception-days?org_unit={PINGLUO}&limit=500"))["items"]
        assert days, "the demo has no reception day in the county"
        county_members = {m["id"]: m for m in (await s.get(
            "members", "/api/v1/members?limit=500", county_staff))["items"] if m["org_unit"] == PINGLUO}
        day = next(d for d in days if d["member_id"] in county_members)
        village, member_id, venue_id = day["org_unit"], day["member_id"], day["venue_id"]
        town = village[:9] + "000"
        serving = (await s.get("members", f"/api/v1/contact-points/{village}/members?limit=500"))["items"]
        assert member_id in {m["id"] for m in serving}, "the member receives at a contact point it does not serve"
        venue = await s.get("members", f"/api/v1/venues/{venue_id}")
        assert venue["org_unit"] == village and venue["kind"] == "contact_point"
        cosigner_id = next(m for m in county_members if m != member_id)
        village_staff = stack.token("staff", village, sub="village-staff")
        proposer = stack.token("member", PINGLUO, member_id=member_id, sub="proposer")
        cosigner = stack.token("member", PINGLUO, member_id=cosigner_id, sub="cosigner")

        # --- intake with consent, at the reception day
        created = await s.post("feedback", "/api/v1/opinions", None, {
            "content": CONTENT, "org_unit": village, "channel": "reception_day", "category": CATEGORY,
            "submitter_name": NAME, "submitter_phone": PHONE, "consent": True, "notify_by_sms": True,
            "member_id": member_id, "venue_id": venue_id}, 201)
        opinion, code = created["id"], created["tracking_code"]
        await s.asked("village staff", village_staff, "cppcc.feedback.opinion.submitted", opinion)

        # --- triage from the dispatch proposal: the town government leads, the county's 水务局 helps
        proposal_of_catalogue = await s.get("feedback", f"/api/v1/opinions/{opinion}/dispatch-proposal",
                                            village_staff)
        assert proposal_of_catalogue is not None, "the demo's dispatch catalogue proposes nothing"
        town_government, water = proposal_of_catalogue["lead_department"], proposal_of_catalogue["co_departments"][0]
        assert (await s.get("members", f"/api/v1/departments/{town_government}", county_staff))["org_unit"] == town
        assert (await s.get("members", f"/api/v1/departments/{water}", county_staff))["org_unit"] == PINGLUO
        case = await s.act("feedback", "opinions", opinion, village_staff, "assign")
        assert case["status"] == "assigned"
        town_dept = stack.token("department", town, dept=town_government, sub="town-government")
        water_dept = stack.token("department", PINGLUO, dept=water, sub="county-water")
        await s.asked("town government", town_dept, "cppcc.feedback.opinion.assigned", opinion)
        await s.asked("county water bureau", water_dept, "cppcc.feedback.opinion.assigned", opinion)

        # --- 退单: the town government returns it; the village is told
        await s.act("feedback", "opinions", opinion, town_dept, "return", reason="渠系属县水务局管辖，非镇政府职责")
        await s.asked("village staff", village_staff, "cppcc.feedback.opinion.returned", opinion)

        # --- recall: the village pulls the rest of the assignment back; the 水务局 is told
        case = await s.act("feedback", "opinions", opinion, village_staff, "recall", reason="需报县级统筹解决")
        assert case["status"] == "received"
        await s.asked("county water bureau", water_dept, "cppcc.feedback.opinion.recalled", opinion)

        # --- escalation to the county, in one step past the town
        case = await s.act("feedback", "opinions", opinion, village_staff, "escalate", reason="涉及全县渠系，村镇无力解决",
                           to_unit=PINGLUO)
        assert (case["status"], case["handling_unit"]) == ("escalated", PINGLUO)
        await s.asked("county staff", county_staff, "cppcc.feedback.opinion.escalated", opinion)

        # --- conversion into the county's topic
        case = await s.act("feedback", "opinions", opinion, county_staff, "convert", target="topic",
                           title="农田灌溉渠系清淤维修")
        assert case["status"] == "converted" and case["converted_to"]["kind"] == "topic"
        topic_id = case["converted_to"]["id"]
        await s.asked("county staff", county_staff, "cppcc.consultation.topic.proposed", topic_id)
        topic = await s.get("consultation", f"/api/v1/topics/{topic_id}", county_staff)
        assert topic["org_unit"] == PINGLUO, "the county's conversion is not in the county's pool"

        # --- selection, plan, approval by the leader
        await s.act("consultation", "topics", topic_id, county_staff, "select", track="standard")
        forms = {level["level"]: level["forms"] for level in
                 await s.get("consultation", "/api/v1/levels", county_staff)}
        await s.act("consultation", "topics", topic_id, county_staff, "submit_plan", plan={
            "form": forms["county"][0], "participants": "县政协委员、县水务局、黄渠桥镇及村民代表",
            "schedule": "本月内召开协商会"})
        await s.asked("county leader", county_leader, "cppcc.consultation.topic.stage_changed", topic_id)
        topic = await s.act("consultation", "topics", topic_id, county_leader, "approve", note="同意")
        assert topic["stage"] == "approved"

        # --- the session, at the county's deliberation hall, with the two members invited
        hall = next(v for v in (await s.get("members", f"/api/v1/venues?org_unit={PINGLUO}&limit=500"))["items"]
                    if v["org_unit"] == PINGLUO and v["kind"] == "deliberation_hall")
        session = await s.post("consultation", "/api/v1/sessions", county_staff, {
            "topic_id": topic_id, "title": "农田灌溉渠系清淤协商会", "form": forms["county"][0],
            "starts_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(), "venue_id": hall["id"],
            "member_ids": [member_id, cosigner_id], "department_ids": [water]}, 201)
        await s.asked("proposer", proposer, "cppcc.consultation.session.scheduled", session["id"])
        await s.asked("co-signer", cosigner, "cppcc.consultation.session.scheduled", session["id"])

        # --- outcome, proposal drafted from it
        await s.act("consultation", "sessions", session["id"], county_staff, "conclude", minutes="与会各方议定一项建议",
                    outcomes=[{"kind": "suggestion", "text": OUTCOME}])
        outcome = next(o for o in (await s.get("consultation", f"/api/v1/topics/{topic_id}", county_staff))["outcomes"])
        converted = await s.act("consultation", "outcomes", outcome["id"], county_staff, "convert", target="proposal",
                                member_ids=[member_id, cosigner_id])
        proposal_id = converted["target_id"]
        await s.asked("proposer", proposer, "cppcc.consultation.outcome.converted", proposal_id)
        await s.asked("co-signer", cosigner, "cppcc.consultation.outcome.converted", proposal_id)
        proposal = await s.get("feedback", f"/api/v1/proposals/{proposal_id}", proposer)
        assert proposal["title"] == "建议县水务局设立农田灌溉渠系维修专项资金" and proposal["proposer_name"], proposal
        assert proposal["committee"] == PINGLUO and proposal["status"] == "draft"

        # --- signed, filed, accepted and assigned, replied with a class, evaluated
        await s.act("feedback", "proposals", proposal_id, cosigner, "sign")
        filed = await s.act("feedback", "proposals", proposal_id, proposer, "file")
        number = filed["number"]
        assert number and filed["status"] == "filed"
        await s.asked("county staff", county_staff, "cppcc.feedback.proposal.filed", proposal_id)
        await s.act("feedback", "proposals", proposal_id, county_staff, "accept")
        await s.act("feedback", "proposals", proposal_id, county_staff, "assign", lead_department=water)
        await s.asked("county water bureau", water_dept, "cppcc.feedback.proposal.assigned", proposal_id)
        await s.act("feedback", "proposals", proposal_id, water_dept, "reply", reply_class="A",
                    text="已安排专项资金，汛前完成全县渠道清淤。")
        await s.asked("proposer", proposer, "cppcc.feedback.proposal.replied", proposal_id)
        evaluated = await s.act("feedback", "proposals", proposal_id, proposer, "evaluate", evaluation="satisfied")
        assert evaluated["status"] == "evaluated"

        # --- the citizen's tracking answer and page: the chain and the answer
        def answered(view):
            chain = view["chain"]
            return (view["status"] == "replied" and len(view["answers"]) >= 2 and chain.get("proposals")
                    and chain["proposals"][0]["evaluation"] == "satisfied")

        async def tracked():
            view = await s.get("feedback", f"/api/v1/track/{code}")
            return view if answered(view) else None
        view = await eventually(tracked, timeout=40, interval=0.5)
        assert view["can_rate"] and view["converted_to"] == "topic" and view["deadline"] is None
        assert all(a["kind"] == "conversion" for a in view["answers"])
        assert any("A类" in a["text"] and "已安排专项资金" in a["text"] for a in view["answers"]), view["answers"]
        chain = view["chain"]
        assert [step["step"] for step in chain["steps"]] == ["escalated", "converted"]
        assert chain["converted_into"] == "topic" and chain["topic"]["stage"] in ("consulting", "concluded")
        assert [x["status"] for x in chain["sessions"]] == ["concluded"]
        assert [o["converted_into"] for o in chain["outcomes"]] == ["proposal"]
        assert chain["proposals"] == [{"number": number, "status": "evaluated", "reply_class": "A",
                                       "evaluation": "satisfied"}]
        public = json.dumps(view, ensure_ascii=False)
        for internal in (opinion, topic_id, proposal_id, NAME, PHONE, CONTENT, village):
            assert internal not in public, internal

        page = await http.get(s.api("feedback", f"/t/{code}"))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "已安排专项资金" in page.text and "A类" in page.text  # the answer
        for words in ("办理经过", "已报上级办理", "已转为协商议题", "协商会", "协商成果转为提案", f"提案{number}",
                      "答复为A类", "提案者评价：满意"):  # the chain, in words
            assert words in page.text, f"the citizen's page does not show {words!r} of the chain"
        assert "<form" in page.text and NAME not in page.text and PHONE not in page.text

        # --- the citizen rates it, on the page
        rated = await http.post(s.api("feedback", f"/t/{code}/rating"), content="rating=satisfied&comment=",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert rated.status_code == 303, rated.text
        view = await s.get("feedback", f"/api/v1/track/{code}")
        assert view["rating"] == "satisfied" and not view["can_rate"]
        history = [h["action"] for h in (await s.get("feedback", f"/api/v1/opinions/{opinion}",
                                                     county_staff))["history"]]
        for step in ("assign", "return", "recall", "escalate", "convert", "answered_by_conversion", "rate"):
            assert step in history, f"the case's history lacks {step}: {history}"

        # --- the lineage, from the opinion and from the proposal, names every step
        def complete(c):
            return c["proposals"] and c["proposals"][0]["evaluation"] == "satisfied" and c["sessions"] \
                and c["sessions"][0]["status"] == "concluded" and c["outcomes"]

        async def lineage():
            answer = await s.get("feedback", f"/api/v1/opinions/{opinion}/lineage", county_staff)
            return answer if complete(answer) else None
        chain = await eventually(lineage, timeout=30, interval=0.5)
        assert chain["opinion"]["id"] == opinion and chain["opinion"]["channel"] == "reception_day"
        assert chain["opinion"]["converted_to"] == {"kind": "topic", "id": topic_id}
        assert [(step["action"], step["detail"].get("to")) for step in chain["steps"]] == [
            ("escalate", PINGLUO), ("convert", None)]
        assert chain["topic"]["id"] == topic_id and chain["topic"]["org_unit"] == PINGLUO
        assert [x["id"] for x in chain["sessions"]] == [session["id"]]
        assert [(o["id"], o["target_kind"], o["target_id"]) for o in chain["outcomes"]] == [
            (outcome["id"], "proposal", proposal_id)]
        assert [(p["id"], p["number"], p["reply_class"], p["evaluation"]) for p in chain["proposals"]] == [
            (proposal_id, number, "A", "satisfied")]
        back = await s.get("feedback", f"/api/v1/proposals/{proposal_id}/lineage", county_leader)
        assert back["source"] == {"kind": "consultation_outcome", "id": outcome["id"]}
        assert [o["id"] for o in back["outcomes"]] == [outcome["id"]]
        assert [t["id"] for t in back["topics"]] == [topic_id]
        assert [o["id"] for o in back["opinions"]] == [opinion] and back["people"] == 1
        assert back["proposal"]["reply_class"] == "A" and back["proposal"]["evaluation"] == "satisfied"

        # --- the citizen's SMS: the answer's link is the page, and the page opens
        async def texted():
            return await stack.pool.fetch("SELECT body FROM notify.sms_messages WHERE phone = $1", PHONE)
        sms = [r["body"] for r in await eventually(texted, timeout=30)]
        link = f"{stack.url('feedback')}/t/{code}"
        assert any(link in body for body in sms), sms
        assert (await http.get(link)).status_code == 200

        # --- every text said in words, in China time
        await eventually(lambda: stack.mailbox.messages, timeout=30)
        mails = [f"{m['subject']}\n{m['body']}" for m in stack.mailbox.messages]
        inbox = await stack.pool.fetch("SELECT subject, body FROM notify.notifications WHERE channel = 'inbox'")
        assert any("委员接待日" in mail for mail in mails), "the village's e-mail does not name the channel in words"
        texts = s.texts + sms + mails + [f"{r['subject']}\n{r['body']}" for r in inbox]
        bad = {text: found for text in texts if (found := foreign(text))}
        assert not bad, f"messages with English values or UTC times: {bad}"
        assert len(s.opened) == 15, s.opened
    assert time.monotonic() - started < 240, "the story took longer than four minutes"
