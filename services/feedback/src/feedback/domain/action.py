"""The names of actions: each spelled once, in the state machine of what it acts on."""

from __future__ import annotations

from enum import StrEnum


class ActionName(StrEnum):
    """A member is the name a client sends (``"assign"``): in JSON, in f-strings, in the history —
    and in ``repr``, so a 422 for an unknown action lists the names as they are sent."""

    def __repr__(self) -> str:
        return repr(self.value)
