"""Helpers for driving the reference RP in tests: a settable clock and response validation against the schemas.

Used by fidoconf's own tests (tests/test_rp_*.py); nothing here is used when the RP serves real traffic.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from fidoconf.conformance.data import schemas_dir
from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_ROOT = schemas_dir() / "api"


class ManualClock:
    """An aware-UTC clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@cache
def validator(flavour: str, name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_ROOT / flavour / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(flavour: str, name: str, value: Any) -> list[str]:
    found = validator(flavour, name).iter_errors(value)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def assert_valid(flavour: str, name: str, value: Any) -> None:
    problems = schema_errors(flavour, name, value)
    assert not problems, f"{flavour}/{name}: {problems}"


#: (method, path pattern) → the schema of its 200 JSON body.
RESPONSE_SCHEMAS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), schema)
    for method, pattern, schema in (
        ("POST", r"/api/v1/users/enroll", "enroll-response"),
        ("POST", r"/api/v1/status", "status-response"),
        ("POST", r"/api/v1/introspect", "introspect-response"),
        ("POST", r"/api/v1/intent", "intent-response"),
        ("GET", r"/api/v1/users/[^/]+", "user-response"),
        ("PATCH", r"/api/v1/authenticators/[^/]+", "authenticator-response"),
        ("POST", r"/_app/attestation/result", "attestation-result-response"),
        ("POST", r"/_app/dispatch/redeem", "dispatch-redeem-response"),
    )
)


def response_schema(method: str, path: str) -> str | None:
    for known_method, pattern, schema in RESPONSE_SCHEMAS:
        if method == known_method and pattern.fullmatch(path):
            return schema
    return None


def check_response(method: str, path: str, response: Any) -> None:
    """Error bodies against error-response; a 200 JSON body against its endpoint's schema."""
    if response.status_code >= 400:
        assert_valid("nevis-cloud", "error-response", response.json())
    elif response.status_code == 200 and (schema := response_schema(method, path)) is not None:
        assert_valid("nevis-cloud", schema, response.json())


class NevisApi:
    """The Nevis flavour over any httpx-compatible client (TestClient in-process, httpx.Client live).

    Every response is checked against its schema: error bodies against error-response, 200 bodies against the
    endpoint's response schema."""

    flavour = "nevis-cloud"

    def __init__(self, client: Any, access_key: str) -> None:
        self.client = client
        self.access_key = access_key

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_key}"}

    def call(self, method: str, path: str, schema: str | None = None, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        check_response(method, path, response)
        if schema is not None and response.status_code == 200:
            assert response_schema(method, path) == schema, (method, path, schema)
        return response

    def enroll(self, body: dict[str, Any], *, headers: dict[str, str] | None = None) -> Any:
        assert_valid(self.flavour, "enroll-request", body)
        return self.call("POST", "/api/v1/users/enroll", "enroll-response", json=body, headers=headers or self.bearer)

    def enroll_fido2(self, username: str, **fido2_options: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"username": username, "channel": "fido2", "displayName": f"{username} display"}
        if fido2_options:
            body["fido2Options"] = fido2_options
        response = self.enroll(body)
        assert response.status_code == 200, response.text
        return response.json()

    def attest(self, credential: dict[str, Any], status_token: str, **envelope: Any) -> dict[str, Any]:
        body = {**credential, "statusToken": status_token, **envelope}
        response = self.call("POST", "/_app/attestation/result", "attestation-result-response", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def redeem(self, dispatch_token: str) -> dict[str, Any]:
        body = {"dispatchToken": dispatch_token}
        response = self.call("POST", "/_app/dispatch/redeem", "dispatch-redeem-response", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def status(self, status_token: str) -> dict[str, Any]:
        response = self.call("POST", "/api/v1/status", "status-response", json={"statusToken": status_token})
        assert response.status_code == 200, response.text
        return response.json()

    def introspect(self, token: str) -> dict[str, Any]:
        response = self.call(
            "POST", "/api/v1/introspect", "introspect-response", data={"token": token}, headers=self.bearer
        )
        assert response.status_code == 200, response.text
        return response.json()

    def user(self, user_id: str) -> Any:
        return self.call("GET", f"/api/v1/users/{user_id}", "user-response", headers=self.bearer)


def dispatch_token_of(app_link_uri: str) -> str:
    """The dispatch token inside an appLinkUri (`...open?dispatchTokenResponse=<base64url JSON>`)."""
    from urllib.parse import parse_qs, urlsplit

    from fidoconf.verifier.encoding import b64url_decode

    encoded = parse_qs(urlsplit(app_link_uri).query)["dispatchTokenResponse"][0]
    payload = json.loads(b64url_decode(encoded, field="dispatchTokenResponse"))
    return payload["dispatchToken"]


def asgi_client(app: Any) -> Any:
    """starlette's TestClient over `app` (an httpx.Client on the ASGI transport; use it as a context manager)."""
    import warnings

    with warnings.catch_warnings():
        # starlette 1.x nudges TestClient users towards httpx2; the project pins httpx, which still works.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

        return TestClient(app)
