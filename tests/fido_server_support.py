"""Driving the reference RP's fido-server flavour in tests: an API wrapper that validates every request and response
against schemas/api/fido-server, credentials for its options, and the assertions the fido-server tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.conformance.authenticator.mutations import Mutation
from fidoconf.verifier.encoding import b64url_decode, b64url_encode
from fidoconf.verifier.errors import Code
from fidoconf.verifier.rp import RPConfig, create_app

from . import seeded
from .rp_support import ManualClock, asgi_client, assert_valid

RP_ID, ORIGIN = "rp.example", "https://rp.example"
PREFIX = "/nevisfido/fido2"
TIMEOUT_MS = 60_000
FLAVOUR = "fido-server"
SEED_002_EXTENSIONS: dict[str, Any] = {
    "appid": "https://rp.example/appid.json",
    "appidExclude": "https://rp.example/appid.json",
    "uvm": True,
    "credProps": True,
    "credentialProtectionPolicy": "userVerificationRequired",
    "enforceCredentialProtectionPolicy": True,
    "hmacCreateSecret": True,
    "hmacGetSecret": {"salt1": b64url_encode(bytes(32)), "salt2": b64url_encode(bytes(range(32)))},
}


class FidoServerApi:
    """The fido-server flavour over a TestClient; every request and response is checked against its schema."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def post(self, endpoint: str, **kwargs: Any) -> Any:
        response = self.client.post(f"{self.prefix}/{endpoint}", **kwargs)
        if response.status_code >= 400:
            assert_valid(FLAVOUR, "error-response", response.json())
        return response

    def options(self, body: dict[str, Any], *, schema: str = "attestation-options-response") -> dict[str, Any]:
        assert_valid(
            FLAVOUR,
            "attestation-options-request" if schema.startswith("attestation") else "assertion-options-request",
            body,
        )
        response = self.post("attestation/options", json=body)
        assert response.status_code == 200, response.text
        assert_valid(FLAVOUR, schema, response.json())
        return response.json()

    def start(self, username: str | None = None, **fields: Any) -> dict[str, Any]:
        username = username or f"user-{seeded.token_hex(4)}"
        options = self.options({"username": username, "displayName": f"{username} display", **fields})
        assert options["status"] == "ok", options
        return options

    def result(self, body: dict[str, Any], *, malformed: bool = False, **kwargs: Any) -> dict[str, Any]:
        if not malformed:
            assert_valid(FLAVOUR, "attestation-result-request", body)
        response = self.post("attestation/result", json=body, **kwargs)
        assert response.status_code == 200, response.text
        assert_valid(FLAVOUR, "attestation-result-response", response.json())
        return response.json()

    def status(self, session_id: str) -> dict[str, Any]:
        body = {"fido2SessionId": session_id}
        assert_valid(FLAVOUR, "status-request", body)
        response = self.post("status", json=body)
        assert response.status_code == 200, response.text
        assert_valid(FLAVOUR, "status-response", response.json())
        return response.json()


@contextmanager
def api_factory(clock: ManualClock) -> Iterator[Any]:
    """`make(prefix=PREFIX, **RPConfig overrides)` → a FidoServerApi over a fresh in-process RP; closed on exit."""
    with ExitStack() as stack:

        def make(prefix: str = PREFIX, **overrides: Any) -> FidoServerApi:
            settings = {"registration_timeout_ms": TIMEOUT_MS, **overrides}
            config = RPConfig(
                rp_id=RP_ID,
                origins=(ORIGIN,),
                issuer=ORIGIN + "/",
                flavours=(FLAVOUR,),
                fido_server_prefix=prefix,
                **settings,
            )
            client = stack.enter_context(asgi_client(create_app(config, clock=clock)))
            return FidoServerApi(client, prefix)

        yield make


def outputs_mutation(authenticator_outputs: dict[str, Any]) -> Mutation:
    def set_outputs(build, _build):
        build.extensions = authenticator_outputs
        return build

    return Mutation(
        name="test-extension-outputs",
        group="test",
        description="",
        requirement="",
        anchor="",
        hooks={"params": set_outputs},
        expected_code=None,
    )


def credential(
    options: dict[str, Any],
    fmt: str = "none",
    *,
    alg: str = "ES256",
    outputs: dict | None = None,
    client_outputs: dict | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    bundle = make_credential(
        rp_id=RP_ID,
        origin=ORIGIN,
        challenge=b64url_decode(options["challenge"], field="challenge"),
        fmt=fmt,
        alg=alg,
        seed=seeded.token_hex(8),
        mutation=outputs_mutation(outputs) if outputs is not None else None,
        **kwargs,
    )
    made = dict(bundle.credential)
    if client_outputs is not None:
        made["clientExtensionResults"] = client_outputs
    return made


def bound(options: dict[str, Any], made: dict[str, Any]) -> dict[str, Any]:
    return {**made, "fido2SessionId": options["fido2SessionId"]}


def assert_failed(answer: dict[str, Any], code: Code) -> None:
    assert (answer["status"], answer["errorCode"]) == ("failed", code.value), answer
    assert answer["errorMessage"]
