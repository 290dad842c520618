"""Every word the portal shows comes from a message catalogue: zh-CN first, English second.

``locales/<locale>.json`` maps a key to a text with ``{name}`` fields. A key missing in English
falls back to Chinese; a key missing everywhere shows itself, so a test finds it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

LOCALES = ("zh-CN", "en")
DEFAULT = "zh-CN"


@lru_cache
def catalogue(locale: str) -> dict[str, str]:
    text = resources.files("portal").joinpath("locales", f"{locale}.json").read_text("utf-8")
    return json.loads(text)


def pick(asked: str | None, accept_language: str | None) -> str:
    """The locale: asked for (``?lang=`` or the cookie), else zh-CN — the platform's people read
    Chinese first, whatever language a browser happens to be set to."""
    return asked if asked in LOCALES else DEFAULT


class Translator:
    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._own = catalogue(locale)
        self._default = catalogue(DEFAULT)

    def __call__(self, key: str, **fields: object) -> str:
        text = self._own.get(key) or self._default.get(key) or key
        return text.format(**fields) if fields else text

    def word(self, group: str, value: str | None) -> str:
        """A contract value in words (``status.assigned``); an unknown value as the group's fallback."""
        if value is None:
            return ""
        return self._own.get(f"{group}.{value}") or self._default.get(f"{group}.{value}") or self(f"{group}._other")
