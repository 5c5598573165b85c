"""The OpenAPI schema FastAPI serves lists every route, and the API keeps to it under generated
requests (schemathesis, a few dozen examples)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

ROUTES = {"/v1/read": {"post"}, "/v1/jobs": {"post"}, "/v1/jobs/{job_id}": {"get"}, "/v1/export": {"post"},
          "/v1/models": {"get"}, "/healthz": {"get"}}


def test_schema_lists_every_route(client):
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "scriptio"
    assert {path: set(methods) for path, methods in schema["paths"].items()} == ROUTES
    read = schema["paths"]["/v1/read"]["post"]
    assert "multipart/form-data" in read["requestBody"]["content"]
    assert {"200", "413", "422", "504"} <= set(read["responses"])
    assert "429" in schema["paths"]["/v1/jobs"]["post"]["responses"]
    assert "application/json" in schema["paths"]["/v1/export"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200


def test_api_keeps_to_its_schema(make_client):
    """No generated request gets a 500, an undocumented status, or an answer off its schema
    (a few examples per route; schemathesis's pytest plugin cannot take fixtures on pytest 9)."""
    schemathesis = pytest.importorskip("schemathesis")
    # Random bytes that fit the schema are rarely an image: refusing them (422) is right.
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    with make_client(read_timeout_s=10) as client:
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {(op.method.upper(), op.path) for op in operations} == {
            (method.upper(), path) for path, methods in ROUTES.items() for method in methods}
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def keeps_to_schema(case) -> None:
                case.call_and_validate(excluded_checks=[positive_data_acceptance])

            keeps_to_schema()
