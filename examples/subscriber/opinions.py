"""What this subscriber understands of ``cppcc.feedback.opinion``, and the line it prints.

A tolerant reader: each model names only the fields this subscriber uses and ignores the rest
(the platform adds optional fields without a new version), and a type that is not listed here —
a new event, or a new major version published beside the one we read — is passed over, not an
error. No line carries personal data: events hold none (``subject_id`` is a pseudonym, and
it is not printed either), and free text such as a reply's ``result`` is left out.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    opinion_id: str
    org_unit: str


class Submitted(Read):
    """群众意见受理 — an opinion was handed in and has a case."""

    channel: str
    category: str | None = None
    urgency: str = "normal"

    def line(self) -> str:
        return f"channel={self.channel} category={self.category or '-'} urgency={self.urgency}"


class Assigned(Read):
    """交办 — sent to departments with a reply deadline."""

    department_ids: list[str] = []
    deadline: str

    def line(self) -> str:
        return f"departments={len(self.department_ids)} deadline={self.deadline}"


class Replied(Read):
    """已答复 — every department the case went to has answered."""

    on_time: bool = True

    def line(self) -> str:
        return f"on_time={str(self.on_time).lower()}"


class Closed(Read):
    """办结 — the case is closed."""

    final_status: str
    rating: str | None = None

    def line(self) -> str:
        return f"final_status={self.final_status} rating={self.rating or '-'}"


TOPIC = "cppcc.feedback.opinion"

# Full type names, major version included: v2 of a type is another contract, read once we know it.
KNOWN: dict[str, type[Submitted | Assigned | Replied | Closed]] = {
    "cppcc.feedback.opinion.submitted.v1": Submitted,
    "cppcc.feedback.opinion.assigned.v1": Assigned,
    "cppcc.feedback.opinion.replied.v1": Replied,
    "cppcc.feedback.opinion.closed.v1": Closed,
}


def describe(event_type: str, event_id: str, data: object) -> str | None:
    """The one line for a known event, or ``None`` for a type this subscriber does not read.
    Raises ``pydantic.ValidationError`` when a known type lacks a field it needs."""
    model = KNOWN.get(event_type)
    if model is None:
        return None
    read = model.model_validate(data)
    short = event_type.removeprefix("cppcc.feedback.")
    return f"{short} opinion={read.opinion_id} org_unit={read.org_unit} {read.line()} event={event_id}"
