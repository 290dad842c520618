"""The loop after a conversion (成果转化): what a case became answers it.

A converted case stays open toward its citizen until what it became is answered or concluded:
a proposal's reply (class A–D) and evaluation, a report's adoption and 批示, a consultation
outcome's evaluation and 批示, the closing of its topic. Each becomes an answer of the case — shown on the
tracking page, rateable by the citizen — and ``opinion.replied`` with ``source`` and ``result``
tells notify (an SMS when the citizen consented). Cases merged into an answered case get its
answer too (``via_opinion_id``). Consultation's results arrive as its events; feedback's own
proposals and reports answer in the transaction that records them.
"""

from __future__ import annotations

from liaison_shared.contracts import feedback as events
from liaison_shared.contracts.consultation import (
    ConsultationOutcomeConverted,
    OutcomeEvaluated,
    OutcomeInstructed,
    TopicClosed,
)
from liaison_shared.contracts.feedback import ReplyClass
from liaison_shared.events import Envelope
from liaison_shared.uow import UnitOfWork

from ..domain.opinion import Status
from ..domain.proposal import REPLY_CLASSES
from ..storage import opinions as storage
from .casework import settle_deadline, subject_of

EVALUATIONS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意（将重新办理）"}
OUTCOME_RESULTS = {"adopted": "已被采纳", "implementing": "正在落实", "implemented": "已落实",
                   "not_adopted": "未被采纳"}
ADOPTED_BY = {"town": "乡镇（街道）", "county": "县（区）政协", "city": "市政协", "province": "省政协",
              "national": "全国政协"}
KINDS = {"proposal": "提案", "public_opinion_report": "社情民意信息", "special_report": "政协专报",
         "topic": "协商议题", "consultation_outcome": "协商成果"}


async def proposal_replied(uow: UnitOfWork, proposal, reply_class: ReplyClass, reply: str) -> None:
    text = f"您的意见已转为提案，承办单位答复为{reply_class}类（{REPLY_CLASSES[reply_class]}）：{reply}"
    await _answer_from_proposal(uow, proposal, reply_class, text)


async def proposal_evaluated(uow: UnitOfWork, proposal, evaluation: str) -> None:
    text = f"提案者对承办单位的答复评价为：{EVALUATIONS[evaluation]}。"
    await _answer_from_proposal(uow, proposal, evaluation, text)


async def _answer_from_proposal(uow: UnitOfWork, proposal, result: str, text: str) -> None:
    """The cases converted into this proposal, and those converted into the topic whose outcome
    the proposal was drafted from."""
    targets = [("proposal", proposal["id"])]
    source = proposal["source"] or {}
    if source.get("kind") == "consultation_outcome":
        topic_id = await storage.topic_of_outcome(uow.conn, source["id"])
        if topic_id:
            targets.append(("topic", topic_id))
    await answer(uow, targets, ("proposal", proposal["id"]), result, text)


async def report_adopted(uow: UnitOfWork, report, adopted_by: str) -> None:
    text = f"您的意见已编入{KINDS[report['kind']]}，已被{ADOPTED_BY.get(adopted_by, adopted_by)}采用。"
    await answer(uow, [(report["kind"], report["id"])], (report["kind"], report["id"]), adopted_by, text)


async def report_instructed(uow: UnitOfWork, report) -> None:
    # the instruction's words stay internal: the citizen learns that a leader gave one
    text = f"反映您意见的{KINDS[report['kind']]}已获领导批示，正在推动落实。"
    await answer(uow, [(report["kind"], report["id"])], (report["kind"], report["id"]), "instructed", text)


async def keep_outcome_topic(uow: UnitOfWork, envelope: Envelope,
                             event: ConsultationOutcomeConverted | OutcomeEvaluated | OutcomeInstructed) -> None:
    """Which topic an outcome belongs to: a proposal drafted from it answers that topic's cases."""
    outcome_id = event.source.id if isinstance(event, ConsultationOutcomeConverted) else event.outcome_id
    if event.topic_id:
        await storage.keep_outcome_topic(uow.conn, outcome_id, event.topic_id)


async def outcome_evaluated(uow: UnitOfWork, envelope: Envelope, event: OutcomeEvaluated) -> None:
    text = f"您的意见已列入协商议题，协商成果{OUTCOME_RESULTS[event.result]}。"
    await answer(uow, [("topic", event.topic_id)], ("consultation_outcome", event.outcome_id), event.result, text)


async def outcome_instructed(uow: UnitOfWork, envelope: Envelope, event: OutcomeInstructed) -> None:
    # a party report's 批示: the citizen learns that there is one, not its words (consultation keeps them)
    text = "您的意见所在议题的协商成果已报党委政府，并获领导批示。"
    await answer(uow, [("topic", event.topic_id)], ("consultation_outcome", event.outcome_id), "instructed", text)


async def topic_closed(uow: UnitOfWork, envelope: Envelope, event: TopicClosed) -> None:
    text = ("您的意见所在的协商议题已协商办结。" if event.final_stage == "closed"
            else "您的意见所在的议题未列入本次协商，议题已结束。")
    await answer(uow, [("topic", event.topic_id)], ("topic", event.topic_id), event.final_stage, text)


async def answer(uow: UnitOfWork, targets: list[tuple[str, str]], source: tuple[str, str], result: str,
                 text: str) -> None:
    for kind, target_id in targets:
        for case in await storage.cases_converted_into(uow.conn, kind, str(target_id)):
            await _answer_case(uow, case, source, result, text)


async def _answer_case(uow: UnitOfWork, case, source: tuple[str, str], result: str, text: str) -> None:
    if case["status"] == Status.CLOSED.value:
        return  # staff closed it: nobody waits for an answer any more
    if not await storage.insert_conversion_answer(uow.conn, case["id"], source[0], str(source[1]), result, text):
        return  # seen before
    status = Status.REPLIED.value if case["status"] == Status.CONVERTED.value else case["status"]
    if status != case["status"]:
        await storage.update_opinion(uow.conn, case["id"], {"status": status})
        await settle_deadline(uow.conn, case["id"])
    ref = events.OutcomeRef(kind=source[0], id=str(source[1]))
    await storage.record(uow.conn, case["id"], actor_sub=f"{source[0]}:{source[1]}", actor_role="conversion",
                         actor_org=None, action="answered_by_conversion", from_status=case["status"],
                         to_status=status, detail={"source": ref.model_dump(), "result": result})
    uow.publish(events.OpinionReplied(
        opinion_id=case["id"], org_unit=case["org_unit"], department_ids=[], on_time=True,
        subject_id=subject_of(case), contact_consented=case["subject_id"] is not None, source=ref, result=result))
    await tell_merged(uow, case, source=ref, result=result)


async def tell_merged(uow: UnitOfWork, case, *, source: events.OutcomeRef | None = None,
                      result: str | None = None) -> None:
    """合并: the citizens of every case merged into this one get its answer, and may rate it."""
    for merged in await storage.merged_cases(uow.conn, case["id"]):
        await storage.record(uow.conn, merged["id"], actor_sub=f"opinion:{case['id']}", actor_role="merge",
                             actor_org=None, action="answer_of_joined_case", from_status=merged["status"],
                             to_status=merged["status"], detail={"into": case["id"]})
        uow.publish(events.OpinionReplied(
            opinion_id=merged["id"], org_unit=merged["org_unit"], department_ids=[], on_time=True,
            subject_id=subject_of(merged), contact_consented=merged["subject_id"] is not None,
            source=source, result=result, via_opinion_id=case["id"]))


def listen(consumer) -> None:
    """Consultation's events that answer converted cases (and the outcome→topic map they need)."""
    consumer.on(ConsultationOutcomeConverted, rebuildable=True)(keep_outcome_topic)
    consumer.on(OutcomeEvaluated, rebuildable=True)(keep_outcome_topic)
    consumer.on(OutcomeEvaluated)(outcome_evaluated)
    consumer.on(OutcomeInstructed, rebuildable=True)(keep_outcome_topic)
    consumer.on(OutcomeInstructed)(outcome_instructed)
    consumer.on(TopicClosed)(topic_closed)
