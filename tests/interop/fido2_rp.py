"""python-fido2 2's Fido2Server behind the FIDO conformance API: a second RP nobody on this project wrote.

    python -m tests.interop.fido2_rp --port 8124 --trust-root fidoconf-trust/root.pem

Attestation is verified with python-fido2's AttestationVerifier, its CA lookup answering the suite's test root.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fido2.attestation import (
    AndroidSafetynetAttestation,
    AppleAttestation,
    AttestationVerifier,
    FidoU2FAttestation,
    NoneAttestation,
    PackedAttestation,
    TpmAttestation,
)
from fido2.server import Fido2Server
from fido2.webauthn import (
    AttestationConveyancePreference,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    UserVerificationRequirement,
)

from .shell import serve


class _SuiteRoots(AttestationVerifier):
    def __init__(self, roots_der: list[bytes]) -> None:
        # python-fido2 leaves "none" out of its default list; a server that asks for direct attestation must still
        # take a credential whose client replaced the statement with none (#sctn-attestation), so it is listed.
        super().__init__([NoneAttestation(), PackedAttestation(), FidoU2FAttestation(), TpmAttestation(),
                          AndroidSafetynetAttestation(), AppleAttestation()])
        self._roots = roots_der

    def ca_lookup(self, attestation_result, auth_data):  # noqa: ANN001 - python-fido2's signature
        return self._roots[0] if self._roots else None


class Fido2:
    def __init__(self, *, rp_id: str, origin: str, roots: list[bytes]) -> None:
        roots_der = [x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER) for pem in roots]
        self.servers = {
            preference: Fido2Server(
                PublicKeyCredentialRpEntity(name="python-fido2 interop RP", id=rp_id),
                attestation=AttestationConveyancePreference(preference),
                verify_origin=lambda candidate: candidate == origin,
                verify_attestation=_SuiteRoots(roots_der),
            )
            for preference in ("none", "indirect", "direct", "enterprise")
        }

    def begin(self, *, username: str, display_name: str, user_verification: str, attestation: str,
              exclude: list[bytes]) -> tuple[dict[str, Any], Any]:
        server = self.servers[attestation]
        options, state = server.register_begin(
            PublicKeyCredentialUserEntity(name=username, id=username.encode()[:64], display_name=display_name),
            credentials=[PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY, id=i) for i in exclude],
            user_verification=UserVerificationRequirement(user_verification),
        )
        return dict(options.public_key), (server, state)

    def complete(self, state: Any, credential: dict[str, Any]) -> bytes:
        server, server_state = state
        auth_data = server.register_complete(server_state, credential)
        return auth_data.credential_data.credential_id


if __name__ == "__main__":
    raise SystemExit(serve(Fido2, None, "python -m tests.interop.fido2_rp"))
