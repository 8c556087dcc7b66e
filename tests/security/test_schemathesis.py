"""Schemathesis against the served OpenAPI document of the live API server, with a valid bearer token.

Every operation gets generated valid and invalid requests; every answer must be free of 5xx,
carry a documented status code and content type, match the documented JSON schema, and invalid
requests must be refused. A fresh token per case, so a generated ``POST /auth/logout`` never logs
out the cases after it. Jobs that
generated ``POST /ads`` requests queue are finished (``runtime.wait_idle()``) before the next test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from adgen import auth
from adgen.runtime import Runtime
from tests.api.conftest import signup_login

MAX_EXAMPLES = 15


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 renames the test per operation through ``node._nodeid``, which pytest 9
    # no longer has (it keeps ``_id``); give it the attribute so the integration runs.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def fuzz_target(api: httpx.Client, runtime: Runtime) -> Iterator[dict[str, Any]]:
    user = signup_login(api, "fuzz01")
    yield {"base_url": str(api.base_url).rstrip("/"), "user_id": user["user_id"], "runtime": runtime}
    runtime.wait_idle()  # jobs queued by generated POST /ads finish here, not in the next test


@pytest.fixture
def api_schema(fuzz_target: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(f"{fuzz_target['base_url']}/openapi.json", timeout=30)


schema = schemathesis.pytest.from_fixture("api_schema")


@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case: Any, fuzz_target: dict[str, Any]) -> None:
    runtime: Runtime = fuzz_target["runtime"]
    headers = None
    if "Authorization" in (case.headers or {}):
        # Schemathesis fills the bearer scheme with a made-up token; a client sends its real one. A
        # case generated without the header (a negative case) is sent without it, and must get a 401.
        headers = {"Authorization": f"Bearer {auth.issue_token(fuzz_target['user_id'], settings=runtime.settings)}"}
    response = case.call(base_url=fuzz_target["base_url"], headers=headers, timeout=60)
    shed_load = case.method == "POST" and case.path == "/ads" and response.status_code == 503 and response.json()["error"]["code"] == "busy"
    # 503 "busy" is the documented answer of a full generation queue (16 jobs); any other 5xx is a bug.
    assert response.status_code < 500 or shed_load, (case.method, case.path, response.status_code, response.text[:500])
    case.validate_response(
        response,
        checks=[status_code_conformance, content_type_conformance, response_schema_conformance, negative_data_rejection],
    )
