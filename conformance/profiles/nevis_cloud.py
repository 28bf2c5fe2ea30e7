"""Nevis Authentication Cloud: enroll (Bearer) → /_app/attestation/result (statusToken) → status → introspect.

Facts: seeds 000, 003, 004 and docs/server_apis.md §1; the reference RP's choices are in
verifier/rp/API.md.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..schemas import check_response
from . import Ceremony, Profile, ProfileError, Submission

_ACCEPTED = ("ok", "success", "succeeded")


class NevisCloudProfile(Profile):
    name = "nevis-cloud"
    schema_dir = "nevis-cloud"
    #: How this flavour's reference RP names its refusal reasons (conformance/reasons.py):
    #: errorCode is fidoconf's code (verifier/rp/API.md).
    reference_reasons = {r"^([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)\b": r"\1"}

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.access_key}"} if self.config.access_key else {}

    def probe(self) -> httpx.Response:
        return self.target.request("GET", "/ping", headers=self.bearer())

    def enroll(self, body: dict[str, Any], *, headers: dict[str, str] | None = None):
        response = self.target.request("POST", "/api/v1/users/enroll", json=body, headers=headers or self.bearer())
        if response.status_code == 200:
            check_response(self.target, "nevis-cloud", "enroll-response", response)
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
        fido2_options: dict[str, Any] = {}
        if attestation is not None:
            fido2_options["attestation"] = attestation
        if authenticator_selection is not None:
            fido2_options["authenticatorSelection"] = authenticator_selection
        body: dict[str, Any] = {"username": username, "channel": "fido2", "displayName": display_name or username}
        if fido2_options:
            body["fido2Options"] = fido2_options
        response = self.enroll(body)
        if response.status_code != 200:
            raise ProfileError(f"enroll answered HTTP {response.status_code}: {response.text[:300]}")
        data = response.json()
        enrollment = data.get("enrollment") or {}
        options = enrollment.get("credentialCreationOptions")
        if not isinstance(options, dict) or "statusToken" not in enrollment:
            raise ProfileError("enroll response lacks enrollment.credentialCreationOptions / statusToken")
        rp = options.get("rp") or options.get("relyingParty") or {}
        challenge = self.challenge_of(options)
        return Ceremony(
            options=options,
            challenge=challenge.value,
            challenge_sent=challenge,
            rp_id=rp.get("id") or self.config.rp_id,
            username=username,
            user_id=data.get("userId"),
            handle={"statusToken": enrollment["statusToken"], "transactionId": enrollment.get("transactionId")},
            raw=data,
        )

    def submit(self, body: dict[str, Any]):
        response = self.target.request("POST", "/_app/attestation/result", json=body)
        if response.status_code == 200:
            check_response(self.target, "nevis-cloud", "attestation-result-response", response)
        return response

    def finish_registration(self, ceremony: Ceremony, credential: dict[str, Any]) -> Submission:
        body = {**credential, "statusToken": ceremony.handle["statusToken"], "userFriendlyName": "fidoconf"}
        response = self.submit(body)
        return submission_of(response)

    def status(self, ceremony: Ceremony) -> str:
        return self.status_body(ceremony.handle["statusToken"]).get("status", "")

    def status_body(self, status_token: str) -> dict[str, Any]:
        response = self.target.request("POST", "/api/v1/status", json={"statusToken": status_token})
        if response.status_code != 200:
            raise ProfileError(f"status answered HTTP {response.status_code}")
        check_response(self.target, "nevis-cloud", "status-response", response)
        return response.json()

    def introspect(self, token: str, *, headers: dict[str, str] | None = None):
        return self.target.request(
            "POST", "/api/v1/introspect", data={"token": token}, headers=headers if headers is not None else self.bearer()
        )


def submission_of(response) -> Submission:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        return Submission(False, None, f"HTTP {response.status_code}", response.status_code, body)
    accepted = body.get("status") in _ACCEPTED and not body.get("errorMessage")
    return Submission(accepted, body.get("errorCode"), body.get("errorMessage") or "", response.status_code, body)
