"""Stateful fuzzing: schemathesis' state machine over each service's OpenAPI, served by a real
process on the demo data, as staff of the city, as a member and as a department.

The links between operations are inferred by schemathesis from the schemas (a list or a create
answers ids that the item routes take), so the sequences reach real objects — the demo's and
those the run creates — not only random ids that answer 404. Whatever the sequence: no answer is
a 5xx and every answer matches the schema. Bounded (scenarios × steps) to stay within a minute
per service and principal; the generation is derandomized, so a failure repeats.
"""

from __future__ import annotations

import contextlib
import re
import time

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.stateful import rule
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from .security_support.stack import CITY, SERVICES, demo_stack

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Scenarios per run: city staff reach the most, so they get the most; member and department
# runs meet more refusals. About a minute and a half for the twelve runs on two cores.
SCENARIOS = {"staff of the city": 80, "member": 40, "department": 40}


def bounds(principal: str) -> settings:
    return settings(max_examples=SCENARIOS[principal], stateful_step_count=12, deadline=None, derandomize=True,
                    database=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False)


PRINCIPALS = tuple(SCENARIOS)


@pytest_asyncio.fixture(scope="module")
async def fuzz_stack(platform, tmp_path_factory):
    async with demo_stack(platform, tmp_path_factory.mktemp("fuzz-stateful")) as stack:
        yield stack


def headers_of(stack, principal: str) -> dict[str, str]:
    ids = stack.ids
    return {
        "staff of the city": lambda: stack.token("staff", CITY),
        "member": lambda: stack.token("member", CITY, member_id=ids["member_city"]),
        "department": lambda: stack.token("department", CITY, dept=ids["dept_city"]),
    }[principal]()


def resource_of(path: str) -> str:
    """``/api/v1/topics/{topic_id}/actions`` → ``topics``."""
    return path.removeprefix("/api/v1/").split("/")[0]


def harvest(found: dict[str, set], item_params: dict[str, set], path: str, value) -> None:
    """Real ids out of an answer: an object's ``id`` (or ``code``) for the item routes of its
    resource, and any field named like a path parameter (``topic_id``, ``member_id``…)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, str) and key in item_params.get("*", ()):
                found.setdefault(key, set()).add(inner)
            if isinstance(inner, str) and key in ("id", "code"):
                for param in item_params.get(resource_of(path), ()):
                    if (param == "code") == (key == "code"):
                        found.setdefault(param, set()).add(inner)
            harvest(found, item_params, path, inner)
    elif isinstance(value, list):
        for inner in value[:50]:
            harvest(found, item_params, path, inner)


def state_machine(url: str, headers: dict[str, str]):
    """schemathesis' state machine over the operations it links, plus a rule per operation that any
    step may take — so operations no link reaches (an inbox, a calendar) are fuzzed too — whose path
    ids are, more often than not, ids the service answered before (the demo's and the run's own)."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json").include(path_regex="^/api/v1/")
    operations = [result.ok() for result in schema.get_all_operations()]
    item_params: dict[str, set] = {"*": set()}
    for operation in operations:
        names = re.findall(r"\{([^}]+)\}", operation.path)
        if names:
            item_params.setdefault(resource_of(operation.path), set()).add(names[0])
            item_params["*"].update(names)

    class Machine(schema.as_state_machine()):
        steps = 0
        statuses: dict[str, int] = {}
        ids: dict[str, set] = {}
        failures: list[str] = []

        def get_call_kwargs(self, case):
            return {"headers": headers, "timeout": 30}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            type(self).steps += 1
            key = f"{case.operation.label} {response.status_code}"
            type(self).statuses[key] = type(self).statuses.get(key, 0) + 1
            if 200 <= response.status_code < 300 and "json" in str(response.headers.get("content-type")):
                with contextlib.suppress(ValueError):
                    harvest(type(self).ids, item_params, case.operation.path, response.json())
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except Exception as failure:
                # kept here too: hypothesis' replay of a failing sequence may not repeat it (below)
                type(self).failures.append(f"{case.operation.label} -> {response.status_code}: {failure}")
                raise

    def any_call(operation):
        @rule(case=operation.as_strategy(), data=st.data())
        def call(self, case, data):
            for name in sorted(case.path_parameters or {}):
                # drawn whatever is known, so a replay draws alike while the known ids grow
                use_known, pick = data.draw(st.booleans(), label=f"a known {name}?"), data.draw(st.integers(0, 2**16))
                known = sorted(type(self).ids.get(name, ()))
                if known and use_known:
                    case.path_parameters[name] = known[pick % len(known)]
            kwargs = self.get_call_kwargs(case)
            self.validate_response(case.call(**kwargs), case, **kwargs)
        return call

    for index, operation in enumerate(operations):
        setattr(Machine, f"ANY_{index}", any_call(operation))
    return Machine


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("name", SERVICES)
def test_no_sequence_of_calls_brings_a_5xx_or_an_answer_off_the_schema(fuzz_stack, name, principal):
    headers = headers_of(fuzz_stack, principal)
    if name == "notify" and principal == "staff of the city":
        # notify's own objects (subscriptions) are made by its callers, not by the demo data, and the
        # inbox may still be empty: one subscription so item routes have a real id to reach
        made = httpx.post(f"{fuzz_stack.url(name)}/api/v1/subscriptions", headers=headers, timeout=30, json={
            "name": "市12345热线平台", "url": "https://hotline.example.cn/hooks/cppcc",
            "event_types": ["cppcc.feedback.opinion.submitted"], "org_unit": CITY})
        assert made.status_code == 201, made.text
    machine = state_machine(fuzz_stack.url(name), headers)
    started = time.monotonic()
    # The live service's answers are the generator's input (links, known ids), so hypothesis
    # may find that a sequence it replays draws differently — the server's state moved on,
    # not a defect. Every failed check was recorded as it happened and is reported below.
    with contextlib.suppress(Flaky):
        machine.run(settings=bounds(principal))
    assert not machine.failures, "\n\n".join(machine.failures[:3])
    # the run reached objects: some answers were successes, not only refusals of random ids
    assert machine.steps >= 20, f"only {machine.steps} calls were made"
    successes = sum(n for key, n in machine.statuses.items() if key.endswith((" 200", " 201", " 204")))
    assert successes, f"no call succeeded: {machine.statuses}"
    if principal == "staff of the city":  # the links led to real objects: item routes answered
        on_items = [key for key in machine.statuses if "{" in key and key.endswith((" 200", " 201", " 204"))]
        assert on_items, f"no route with an id succeeded: {machine.statuses}"
    assert time.monotonic() - started < 120, "the run is no longer bounded to a couple of minutes"
