"""The live app against its own OpenAPI document (schemathesis, bounded): no 5xx, and every answer — status,
content type, body — as the schema declares it, as the office and anonymously."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 1  # ~180 operations × 2 callers: a few hundred requests
# Operations whose effect would end the run's own session or flood the mail catcher.
SKIP = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/me/tokens/current")}


@pytest.fixture
def office_token(accounts) -> str:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    return accounts.token("office")


def test_the_live_app_answers_as_its_openapi_schema_says(server, office_token: str, catalog) -> None:  # noqa: ANN001
    catalog.demo()
    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    failures: list[str] = []
    calls: list[int] = []
    callers = {"office": {"Authorization": f"Bearer {office_token}"}, "anonymous": {}}
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) not in SKIP:
            _exercise(op, server.url, callers, failures, calls)
    assert len(calls) >= 300
    assert not failures, "\n".join(failures[:30])


def _exercise(op, base_url: str, callers: dict, failures: list[str], calls: list[int]) -> None:  # noqa: ANN001
    """Send ``EXAMPLES_PER_OPERATION`` generated requests of one operation as each caller, collecting failures."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=op.as_strategy())
    def run(case) -> None:  # noqa: ANN001
        for who, headers in callers.items():
            calls.append(1)
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, all reported at the end
                failures.append(f"{who} {op.method.upper()} {op.path}: {str(exc)[:400]}")

    run()
