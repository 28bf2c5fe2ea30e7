"""fido-server: nevisFIDO's FIDO2 HTTP API and the FIDO Alliance conformance-test API.

`POST {prefix}/attestation/options` → `POST {prefix}/attestation/result` → (nevisFIDO) `POST {prefix}/status`.
Facts: seed 002, docs/server_apis.md §2, docs/fido_conformance.md §1; the reference RP's
choices are in verifier/rp/API.md ("fido-server flavour").

A result is sent with both bindings the options answer gave: its `fido2SessionId` (when the server issued one) and
the session cookie of *that* options answer, sent explicitly. The client's cookie jar would otherwise hand in the
cookie of whichever options request came last, and the suite keeps several ceremonies in flight.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..schemas import check_response
from . import Ceremony, Profile, ProfileError, Submission

SCHEMAS = "fido-server"
JSON_HEADERS = {"Accept": "application/json"}


class FidoServerProfile(Profile):
    name = "fido-server"
    schema_dir = SCHEMAS
    #: How this flavour's reference RP names its refusal reasons (conformance/reasons.py):
    #: errorCode is fidoconf's code beside the FA-API errorMessage.
    reference_reasons = {r"^([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)\b": r"\1"}

    def path(self, endpoint: str) -> str:
        return f"{self.config.prefix.rstrip('/')}/{endpoint}"

    def probe(self) -> httpx.Response:
        # Any HTTP answer proves the server is there; an options request for a throw-away user is what both APIs
        # serve (neither has a ping).
        return self.target.request("POST", self.path("attestation/options"), json={}, headers=JSON_HEADERS)

    def options(self, body: dict[str, Any], *, schema: str = "attestation-options-response", **kwargs: Any):
        """POST the options request; a 200 body is validated against `schema`."""
        headers = {**JSON_HEADERS, **kwargs.pop("headers", {})}
        response = self.target.request("POST", self.path("attestation/options"), json=body, headers=headers, **kwargs)
        if response.status_code == 200:
            check_response(self.target, SCHEMAS, schema, response)
        return response

    def start_registration(
        self,
        *,
        username: str | None = None,
        display_name: str | None = None,
        attestation: str | None = "direct",
        authenticator_selection: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> Ceremony:
        username = username or self.username()
        body: dict[str, Any] = {"username": username, "displayName": display_name or username}
        if attestation is not None:
            body["attestation"] = attestation
        if authenticator_selection is not None:
            body["authenticatorSelection"] = authenticator_selection
        if extensions is not None:
            body["extensions"] = extensions
        response = self.options(body)
        return self.ceremony_of(response, username)

    def ceremony_of(self, response, username: str) -> Ceremony:
        if response.status_code != 200:
            raise ProfileError(f"attestation/options answered HTTP {response.status_code}: {response.text[:300]}")
        options = response.json()
        if options.get("status") != "ok":
            raise ProfileError(f"attestation/options failed: {options.get('errorMessage')!r}")
        rp = options.get("rp") or {}
        handle: dict[str, Any] = {"cookies": _cookie_header(response)}
        if options.get("fido2SessionId"):
            handle["fido2SessionId"] = options["fido2SessionId"]
        challenge = self.challenge_of(options)
        return Ceremony(
            options=options,
            challenge=challenge.value,
            challenge_sent=challenge,
            rp_id=rp.get("id") or self.config.rp_id,
            username=username,
            user_id=(options.get("user") or {}).get("id"),
            handle=handle,
            raw=options,
        )

    def submit(self, body: dict[str, Any], *, cookies: str | None = None):
        """POST a result body; `cookies` is the Cookie header to send instead of the client's jar ("" sends none)."""
        headers = dict(JSON_HEADERS)
        if cookies is not None:
            # An explicit Cookie header wins over the jar (http.cookiejar adds one only when none is set); an empty
            # one carries no cookie at all.
            headers["Cookie"] = cookies
        response = self.target.request("POST", self.path("attestation/result"), json=body, headers=headers)
        if response.status_code == 200:
            check_response(self.target, SCHEMAS, "attestation-result-response", response)
        return response

    def finish_registration(self, ceremony: Ceremony, credential: dict[str, Any]) -> Submission:
        body = dict(credential)
        if "fido2SessionId" in ceremony.handle:
            body["fido2SessionId"] = ceremony.handle["fido2SessionId"]
        return submission_of(self.submit(body, cookies=ceremony.handle.get("cookies", "")))

    def status(self, ceremony: Ceremony) -> str:
        session_id = ceremony.handle.get("fido2SessionId")
        if not session_id:
            raise ProfileError("the options answer carried no fido2SessionId to ask the status service about")
        return self.status_body(session_id).get("status", "")

    def status_body(self, session_id: str) -> dict[str, Any]:
        response = self.target.request(
            "POST", self.path("status"), json={"fido2SessionId": session_id}, headers=JSON_HEADERS
        )
        if response.status_code != 200:
            raise ProfileError(f"status answered HTTP {response.status_code}: {response.text[:300]}")
        check_response(self.target, SCHEMAS, "status-response", response)
        return response.json()


def _cookie_header(response) -> str:
    """The cookies one response set, as a Cookie request header value."""
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


def submission_of(response) -> Submission:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Submission(False, None, f"HTTP {response.status_code}", response.status_code, body)
    if response.status_code != 200:
        # FA-API: an error may also come as a 4xx/5xx ServerResponse; its errorMessage is the reason.
        message = body.get("errorMessage") if isinstance(body.get("errorMessage"), str) else ""
        return Submission(
            False, body.get("errorCode"), message or f"HTTP {response.status_code}", response.status_code, body
        )
    accepted = body.get("status") == "ok" and not body.get("errorMessage")
    return Submission(accepted, body.get("errorCode"), body.get("errorMessage") or "", response.status_code, body)
