"""Schemathesis against each service's OpenAPI, served by a real process: whatever the schema
allows, no answer is a 5xx and every answer matches the schema — a bounded number of examples
per operation, so the suite stays fast. Every operation is fuzzed; the failures of all of
them are reported together."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from liaison_tools.testing import ServiceProcess, token_for
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = settings(max_examples=8, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", ["members", "consultation", "feedback", "notify"])
def test_no_server_errors_and_answers_match_the_schema(name, platform, tmp_path_factory):
    admin = token_for(platform, "admin", "640200000000")
    service = ServiceProcess(name, platform, log_dir=tmp_path_factory.mktemp(f"fuzz-{name}"),
                             PUBLIC_RATE_LIMIT_PER_MINUTE="1000000").start()
    failures = {}
    try:
        schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json").include(path_regex="^/api/v1/")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 5
        for operation in operations:
            @given(case=operation.as_strategy())
            @EXAMPLES
            def fuzz(case):
                case.call_and_validate(headers=admin, checks=CHECKS)

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as error:  # keep going: one report for every operation
                failures[operation.label] = f"{type(error).__name__}: {str(error)[:600]}"
    finally:
        service.stop()
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
