"""Attestation statement formats (#sctn-defined-attestation-formats), one module each, in an explicit registry.

A format's `verify(att_stmt, ctx)` checks the statement's own syntax and signature and reports the
attestation type and trust path. Whether that path is trusted is decided outside the format, in
`verifier.trust`, as the spec's step "Assess the attestation trustworthiness" is separate from "verify the
attestation statement".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from cryptography import x509

from ..authdata import AuthenticatorData
from ..cose import CoseKey
from ..policy import Policy

ATTESTATION_TYPES = ("none", "self", "basic", "attca", "anonca")


class AttestationContext(NamedTuple):
    auth_data: AuthenticatorData
    client_data_hash: bytes
    credential_key: CoseKey
    policy: Policy
    clock: Callable[[], datetime]
    #: The format registry this verification runs with (compound verifies its elements through it, so a caller's
    #: replacement registry sees the inner formats too); None means `REGISTRY`.
    formats: Mapping[str, Verify] | None = None
    #: Name readings known before this verification (TrustStore.name_readings), for certs.load_x5c.
    names: Mapping[bytes, Any] = MappingProxyType({})


class StatementResult(NamedTuple):
    attestation_type: str
    #: x5c order: attestation certificate first.
    trust_path: tuple[x509.Certificate, ...] = ()
    #: Format-specific facts worth reporting (TPM manufacturer, SafetyNet timestamp, ...).
    info: Mapping[str, Any] = MappingProxyType({})
    #: compound: each verified element's own result, so every element's trust path can be assessed.
    parts: tuple[StatementResult, ...] = ()


Verify = Callable[[dict, AttestationContext], StatementResult]


def _registry() -> dict[str, Verify]:
    # Imported here so each format module can import this package's types without a cycle.
    from . import fido_u2f, none, packed

    registry: dict[str, Verify] = {
        "none": none.verify,
        "packed": packed.verify,
        "fido-u2f": fido_u2f.verify,
    }
    from . import android_key, tpm

    registry.update({"tpm": tpm.verify, "android-key": android_key.verify})
    from . import android_safetynet, apple, compound

    registry.update({"android-safetynet": android_safetynet.verify, "apple": apple.verify, "compound": compound.verify})
    return registry


REGISTRY: Mapping[str, Verify] = _registry()
