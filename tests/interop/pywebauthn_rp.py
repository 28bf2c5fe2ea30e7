"""py_webauthn 3 behind the FIDO conformance API: an RP whose verification nobody on this project wrote.

    python -m tests.interop.pywebauthn_rp --port 8123 --trust-root fidoconf-trust/root.pem

The suite's test root is handed to py_webauthn for packed and fido-u2f, so x5c credentials chain as they would
on a server configured with `fidoconf trust export`.
"""

from __future__ import annotations

from typing import Any

import webauthn
from webauthn.helpers import options_to_json
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AttestationFormat,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)

from .shell import as_json, serve

ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PSS_SHA_256,
    COSEAlgorithmIdentifier.ECDSA_SHA_512,
]


class PyWebauthn:
    def __init__(self, *, rp_id: str, origin: str, roots: list[bytes]) -> None:
        self.rp_id, self.origin, self.roots = rp_id, origin, roots

    def begin(self, *, username: str, display_name: str, user_verification: str, attestation: str,
              exclude: list[bytes]) -> tuple[dict[str, Any], Any]:
        created = webauthn.generate_registration_options(
            rp_id=self.rp_id, rp_name="py_webauthn interop RP", user_name=username, user_display_name=display_name,
            attestation=AttestationConveyancePreference(attestation),
            authenticator_selection=AuthenticatorSelectionCriteria(
                user_verification=UserVerificationRequirement(user_verification)
            ),
            supported_pub_key_algs=ALGORITHMS,
            exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in exclude],
        )
        return as_json(options_to_json(created)), (created.challenge, user_verification == "required")

    def complete(self, state: Any, credential: dict[str, Any]) -> bytes:
        challenge, uv_required = state
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=self.rp_id,
            expected_origin=self.origin, require_user_verification=uv_required, supported_pub_key_algs=ALGORITHMS,
            pem_root_certs_bytes_by_fmt={AttestationFormat.PACKED: self.roots, AttestationFormat.FIDO_U2F: self.roots},
        )
        return verified.credential_id


if __name__ == "__main__":
    raise SystemExit(serve(PyWebauthn, None, "python -m tests.interop.pywebauthn_rp"))
