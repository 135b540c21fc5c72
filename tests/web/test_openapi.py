"""schemathesis against the API's OpenAPI document: generated requests, a bounded number per operation."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from tests import factories as f
from tests.web.conftest import token_for

EXAMPLES = 20
KNOWN = {"period": f.PERIOD, "unit": f.COMMUNE, "province": "19", "code": "commune-2025", "framework": "commune-2025"}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
# Not checked: positive_data_acceptance — a request that fits the schema may still name a period or unit
# that does not exist, and 404 is the right answer then.


def test_the_api_keeps_its_openapi_promises(published):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", published.app)
    write = {"Authorization": f"Bearer {token_for(published, 'admin', 'write')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures = []
    statuses: dict[str, list[int]] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case):
            headers = write if case.method == "POST" else None
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.setdefault(case.operation.label, []).append(response.status_code)
            # Again with the names of things that exist, so that the other parameters reach the data.
            known = {k: v for k, v in KNOWN.items() if k in (case.query or {})}
            paths = {k: v for k, v in KNOWN.items() if k in (case.path_parameters or {})}
            if "code" in paths and case.operation.path.startswith("/api/v1/units"):
                paths["code"] = f.COMMUNE
            if "code" in paths and case.operation.path.startswith("/api/v1/programmes"):
                paths["code"] = "thai-nguyen-01-nq-tu"
            if case.operation.path == "/api/v1/service-766/{era}/{code}":
                paths = {"era": "2025", "code": f.COMMUNE}
            # tasks and the 766 index need a login or a token: call again with one, whatever the parameters
            if known or paths or case.operation.path in ("/api/v1/tasks", "/api/v1/service-766"):
                case.query = {**(case.query or {}), **known}
                case.path_parameters = {**(case.path_parameters or {}), **paths}
                response = case.call_and_validate(headers=write, checks=CHECKS)  # and with a token
                statuses.setdefault(case.operation.label, []).append(response.status_code)

        try:
            call()
        except BaseException as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    reached = {label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)}
    assert reached == {o.label for o in operations}, f"operations never answered 2xx: {statuses}"
