"""The services installed in this environment, found by their entry points.

Each service package declares ``[project.entry-points."cppcc_liaison.services"]`` with a
function returning its ``ServiceSpec``; the operator tool and the test fixtures find
them here instead of importing the services by name.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from .service import ServiceSpec
from .settings import SERVICES

GROUP = "cppcc_liaison.services"


def spec_factories() -> dict[str, Callable[[], ServiceSpec]]:
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    return {name: found[name].load() for name in SERVICES if name in found}


def specs() -> dict[str, ServiceSpec]:
    return {name: factory() for name, factory in spec_factories().items()}
