"""What a notification is about — kind, id and org unit of the thing — and where to open it.

Every inbox item carries this, so that "一件群众意见已交由贵单位办理" can be opened: the
link names the service and the API path of the thing (and, once the portal exists, its page).
"""

from __future__ import annotations

from dataclasses import dataclass

# kind → (service, API path with {id})
PATHS: dict[str, tuple[str, str]] = {
    "opinion": ("feedback", "/api/v1/opinions/{id}"),
    "proposal": ("feedback", "/api/v1/proposals/{id}"),
    "public_opinion_report": ("feedback", "/api/v1/reports/{id}"),
    "special_report": ("feedback", "/api/v1/reports/{id}"),
    "report": ("feedback", "/api/v1/reports/{id}"),
    "department_task": ("feedback", "/api/v1/opinions/{id}"),  # feedback keeps it as a case
    "topic": ("consultation", "/api/v1/topics/{id}"),
    "session": ("consultation", "/api/v1/sessions/{id}"),
    "outcome": ("consultation", "/api/v1/outcomes/{id}"),
    "consultation_outcome": ("consultation", "/api/v1/outcomes/{id}"),
    "member": ("members", "/api/v1/members/{id}"),
    "department": ("members", "/api/v1/departments/{id}"),
    "activity": ("members", "/api/v1/activities/{id}"),
    "assessment": ("members", "/api/v1/assessments/{id}"),
    "venue": ("members", "/api/v1/venues/{id}"),
    "org_unit": ("members", "/api/v1/org-units/{id}"),
}

# The event field naming the thing, per aggregate of an event type (cppcc.<service>.<aggregate>.<action>).
ID_FIELDS = {
    "opinion": ("opinion_id",), "proposal": ("proposal_id",), "report": ("report_id",), "topic": ("topic_id",),
    "session": ("session_id",), "outcome": ("outcome_id",), "member": ("id", "member_id"),
    "department": ("id",), "activity": ("id",), "assessment": ("id",), "venue": ("id",), "org_unit": ("code",),
    "reception_day": ("id",),
}


@dataclass(frozen=True)
class About:
    kind: str
    id: str
    org_unit: str
    title: str | None = None

    @property
    def service(self) -> str | None:
        return PATHS[self.kind][0] if self.kind in PATHS else None

    @property
    def api(self) -> str | None:
        return PATHS[self.kind][1].format(id=self.id) if self.kind in PATHS else None


def about(event_type: str, data: dict, org_unit: str, subject: str | None = None) -> About:
    """The thing an event (unversioned type, its data) is about. A conversion is about what the
    source became when that can be opened, else about its source."""
    aggregate = event_type.split(".")[2] if event_type.count(".") >= 3 else event_type
    title = _title(data)
    if aggregate == "outcome" and isinstance(data.get("target"), dict):
        target, source = data["target"], data.get("source") or {}
        if target.get("kind") in PATHS and target.get("id"):
            return About(target["kind"], str(target["id"]), org_unit, title)
        kind = "consultation_outcome" if source.get("kind") == "consultation_outcome" else source.get("kind")
        return About(kind or "outcome", str(source.get("id") or subject or ""), org_unit, title)
    value = next((data[f] for f in ID_FIELDS.get(aggregate, ()) if data.get(f)), None)
    return About(aggregate, str(value or subject or ""), org_unit, title)


def _title(data: dict) -> str | None:
    """A short title of the thing where the event carries one: a topic's title, a proposal's
    number and title, a case's category."""
    if data.get("number") and data.get("title"):
        return f"{data['number']} {data['title']}"
    for field in ("title", "number", "category", "name"):
        if data.get(field):
            return str(data[field])
    return None
