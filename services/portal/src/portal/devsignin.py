"""The development sign-in's signer: offered by the development tooling (liaison-tools' entry point
``cppcc_liaison.dev_tokens``), never by the portal itself — service code signs no token. Without the
tooling (a service image) there is none, and the sign-in page says OIDC is not configured."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import entry_points


@lru_cache
def dev_signer() -> Callable[..., str] | None:
    found = list(entry_points(group="cppcc_liaison.dev_tokens"))
    return found[0].load() if found else None
