"""An opinion action's body from a form. Which actions a person may take is the service's to say:
the case page shows what ``GET /api/v1/opinions/{id}`` answers in ``allowed_actions``."""

from __future__ import annotations

ACTIONS = ("answer_on_spot", "assign", "recall", "escalate", "convert", "merge", "return", "rule_return",
           "extend", "reply", "rate", "supervise", "close")
CONVERSIONS = ("topic", "proposal", "public_opinion_report", "special_report", "plenary_speech")
SUPERVISION_FORMS = ("督办", "专题视察", "电视问政", "专项评议", "协商监督建议书")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
RULINGS = ("uphold", "overrule")
DECISIONS = ("approve", "refuse")
REQUIRED = {"answer_on_spot": ("text",), "reply": ("text",), "recall": ("reason",), "escalate": ("reason",),
            "return": ("reason",), "merge": ("into",), "rule_return": ("department_id", "reason")}
OPTIONAL = {"escalate": ("to_unit",), "supervise": ("note",), "close": ("reason",), "convert": ("title",),
            "rate": ("comment",), "rule_return": ("deadline",), "assign": ("deadline",)}
CHOICES = {"convert": ("target", CONVERSIONS), "rate": ("rating", RATINGS), "rule_return": ("ruling", RULINGS),
           "supervise": ("form", SUPERVISION_FORMS)}


def body_of(action: str, fields: dict[str, list[str]], role: str) -> dict:
    """The action's JSON body; ``ValueError("field:words.key")`` for what the form lacks."""
    if action not in ACTIONS:
        raise ValueError("form:case.unknown_action")

    def one(name: str) -> str:
        return ((fields.get(name) or [""])[0]).strip()

    body: dict = {"action": action}
    for name in REQUIRED.get(action, ()):
        if not one(name):
            raise ValueError(f"{name}:case.required")
        body[name] = one(name)
    for name in OPTIONAL.get(action, ()):
        if one(name):
            body[name] = one(name)
    if action in CHOICES:
        name, allowed = CHOICES[action]
        if one(name) not in allowed:
            raise ValueError(f"{name}:case.required")
        body[name] = one(name)
    if action == "assign":
        body["department_ids"] = [d for d in fields.get("department_ids") or [] if d]
    elif action == "extend" and role == "department":  # a department asks; staff decide
        if not one("days").isdigit():
            raise ValueError("days:case.required")
        if not one("reason"):
            raise ValueError("reason:case.required")
        body.update(days=int(one("days")), reason=one("reason"))
    elif action == "extend":
        if one("decision") not in DECISIONS:
            raise ValueError("decision:case.required")
        body["decision"] = one("decision")
    return body
