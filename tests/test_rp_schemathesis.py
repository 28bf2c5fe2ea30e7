"""schemathesis against a real `fidoconf serve` (uvicorn on loopback, SQLite), one server per flavour, driven by the
server's own /openapi.json: bounded (a fixed number of examples per operation), derandomized, and asserting that no
request gets a 5xx and no response breaks its documented status codes, media types or schemas.

Positive examples carry working credentials (the Bearer access key; a valid SKFS service account in svcinfo) so they
get past authentication into the handlers; negative examples (schemathesis's schema-violating data) do not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")  # dev extra

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup  # noqa: E402

from .test_rp_nevis_http import Server, start_server  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}
#: flavour id → the `fidoconf serve` options; the fido-server runs under nevisFIDO's base path, SKFS in both envelopes.
SERVERS = {
    "nevis-cloud": ("--flavour", "nevis-cloud"),
    "fido-server": ("--flavour", "fido-server", "--prefix", "/nevisfido/fido2"),
    "skfs-4.17": ("--flavour", "skfs", "--skfs-envelope", "4.17"),
    "skfs-4.16": ("--flavour", "skfs", "--skfs-envelope", "4.16"),
}


@dataclass
class Finding:
    operation: str
    mode: str
    status: int
    problem: str
    request_body: str

    def __str__(self) -> str:
        return f"{self.operation} [{self.mode}] -> {self.status}: {self.problem} (body {self.request_body})"


@pytest.fixture(scope="module", params=sorted(SERVERS))
def served(request, tmp_path_factory) -> tuple[str, Server, Path]:
    data_dir = tmp_path_factory.mktemp(request.param)
    server = start_server(data_dir, extra=SERVERS[request.param])
    yield request.param, server, data_dir
    server.stop()


def _with_service_account(body, data_dir: Path):
    """An SKFS body whose svcinfo is the served PASSWORD account (svcfidouser, its generated password, did 1)."""
    if not isinstance(body, dict) or not isinstance(body.get("svcinfo"), dict):
        return body
    password = (data_dir / "skfs-svcpassword").read_text(encoding="ascii").strip()
    svcinfo = {"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcusername": "svcfidouser"}
    return {**body, "svcinfo": {**body["svcinfo"], **svcinfo, "svcpassword": password}}


def _run_operation(operation, mode: GenerationMode, server: Server, data_dir: Path, findings: list[Finding]) -> int:
    calls = 0
    headers = {"Authorization": f"Bearer {server.access_key}"} if mode is GenerationMode.POSITIVE else {}

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def exercise(case) -> None:
        nonlocal calls
        if mode is GenerationMode.POSITIVE and (body := getattr(case, "body", None)) is not None:
            case.body = _with_service_account(body, data_dir)
        calls += 1
        response = case.call(headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as failure:  # one failed check, or several at once
            findings.append(
                Finding(
                    f"{operation.method.upper()} {operation.path}",
                    mode.name.lower(),
                    response.status_code,
                    " | ".join(line for line in str(failure).splitlines() if line.strip())[:400],
                    json.dumps(getattr(case, "body", None), default=repr)[:200],
                )
            )

    exercise()
    return calls


def _negatable(operation) -> bool:
    # An operation with no body and no parameters has nothing to violate: negative generation cannot draw a case.
    return bool(list(operation.body)) or bool(list(operation.path_parameters))


def test_schemathesis_finds_no_server_error_and_no_schema_violation(served):
    name, server, data_dir = served
    schema = schemathesis.openapi.from_url(server.base_url + "openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    findings: list[Finding] = []
    for operation in operations:
        calls = _run_operation(operation, GenerationMode.POSITIVE, server, data_dir, findings)
        if _negatable(operation):
            calls += _run_operation(operation, GenerationMode.NEGATIVE, server, data_dir, findings)
            # Hypothesis stops early only when it has exhausted the inputs; a body always has more to draw.
            assert calls >= EXAMPLES[GenerationMode.POSITIVE], operation.label
        assert calls >= 1, operation.label
    assert [str(f) for f in findings] == []


def test_the_checks_catch_a_response_that_breaks_its_schema(served):
    """The smoke above can fail: a document that promises a member /openapi.json lacks is caught."""
    name, server, data_dir = served
    document = httpx.get(server.base_url + "openapi.json").json()
    document["paths"]["/openapi.json"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object",
        "required": ["x-not-there"],
    }
    schema = schemathesis.openapi.from_dict(document)
    operation = schema["/openapi.json"]["GET"]
    case = operation.Case()
    response = case.call(base_url=server.base_url.rstrip("/"), timeout=30)
    assert response.status_code == 200
    with pytest.raises((AssertionError, FailureGroup)):
        case.validate_response(response, checks=[response_schema_conformance])
