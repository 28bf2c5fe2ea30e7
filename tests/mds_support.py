"""Shared helpers for the metadata tests: a vendor attestation PKI, real credentials, BLOB-backed stores.

Credentials are built here with real keys (packed full and self attestation, fido-u2f, none) rather than by the
virtual authenticator, so each registration test differs from the passing one only by the metadata it meets.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from fidoconf.conformance.authenticator import authenticator
from fidoconf.conformance.authenticator.keys import ALGS, SigningKey
from fidoconf.verifier.errors import Code, VerificationError
from fidoconf.verifier.metadata import MetadataStore
from fidoconf.verifier.policy import PRESETS, Policy
from fidoconf.verifier.registration import verify_registration
from fidoconf.verifier.trust import TrustStore
from hypothesis import strategies as st

from . import seeded
from .metadata_builder import (
    SigningPki,
    blob_payload,
    make_certificate,
    metadata_statement,
    name,
    payload_entry,
    sign_blob,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NEXT_UPDATE = date(2025, 7, 1)
AAGUID = bytes.fromhex("0f3c2a5e9d8b4c71a6e2b5d4c3f2e1a0")
OTHER_AAGUID = bytes.fromhex("11111111222233334444555555555555")
RP_ID = "example.test"
ORIGIN = "https://example.test"
STRICT = PRESETS["strict"]
CONFORMANCE = PRESETS["fido-conformance"]


def clock() -> datetime:
    return NOW


class AttestationPki:
    """An authenticator vendor's PKI: root (critical basicConstraints, FIDO tool Resp-5 P-4) → batch leaf."""

    def __init__(self, label: str) -> None:
        start, end = NOW - timedelta(days=30), NOW + timedelta(days=3650)
        self.root_key = seeded.ec_key()
        self.root = make_certificate(
            subject=name(f"{label} ROOT"),
            key=self.root_key,
            ca=True,
            not_before=start,
            not_after=end,
            critical_basic_constraints=True,
        )
        self.ca_key = seeded.ec_key()
        self.ca = make_certificate(
            subject=name(f"{label} CA"),
            key=self.ca_key,
            issuer=self.root,
            issuer_key=self.root_key,
            ca=True,
            not_before=start,
            not_after=end,
        )
        self.leaf_key = seeded.ec_key()
        self.leaf = self.batch_cert(self.leaf_key, issuer=self.root, issuer_key=self.root_key)
        self.leaf_via_ca = self.batch_cert(self.leaf_key, issuer=self.ca, issuer_key=self.ca_key)

    @staticmethod
    def batch_cert(key, *, issuer, issuer_key) -> x509.Certificate:
        # #sctn-packed-attestation-cert-requirements: C, O, OU "Authenticator Attestation", CN; CA false.
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fidoconf test vendor"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                x509.NameAttribute(NameOID.COMMON_NAME, "fidoconf batch"),
            ]
        )
        return make_certificate(
            subject=subject,
            key=key,
            issuer=issuer,
            issuer_key=issuer_key,
            ca=False,
            not_before=NOW - timedelta(days=30),
            not_after=NOW + timedelta(days=3650),
        )


# --- credentials ----------------------------------------------------------------------------------------------


def make_credential(
    *, fmt: str, aaguid: bytes, x5c=(), attestation_key=None, credential_key=None, challenge: bytes = b"c" * 32
) -> dict:
    """A registration credential from the virtual authenticator, with this test's AAGUID, attestation key and x5c
    (the metadata tests' own vendor PKI): packed full (x5c), packed self (no x5c), fido-u2f, none."""
    variant = {"packed": "packed-x5c" if x5c else "packed-self", "fido-u2f": "fido-u2f", "none": "none"}[fmt]
    key = SigningKey(ALGS["ES256"], credential_key or seeded.ec_key(), "mds/credential")
    attester = SigningKey(ALGS["ES256"], attestation_key, "mds/attestation") if attestation_key else None
    chain = [c.public_bytes(Encoding.DER) for c in x5c]

    def params(build, _same):
        build.aaguid = aaguid
        build.attestation_key = attester or build.attestation_key
        return build

    hooks = {"params": params, "x5c": lambda _chain, _build: list(chain)}
    numbers = key.public_key().public_numbers()
    bundle = authenticator.make_credential(
        rp_id=RP_ID,
        origin=ORIGIN,
        challenge=challenge,
        fmt=variant,
        alg="ES256",
        seed="mds",
        credential_key=key,
        credential_id=hashlib.sha256(numbers.x.to_bytes(32, "big")).digest(),
        user_verified=True,
        mutation=SimpleNamespace(hooks=hooks),
    )
    return bundle.credential


def register(credential: dict, *, metadata: MetadataStore | None, policy: Policy = STRICT, trust=None):
    return verify_registration(
        credential,
        expected_challenge=b"c" * 32,
        expected_origin=ORIGIN,
        expected_rp_id=RP_ID,
        policy=policy,
        trust=trust or TrustStore.empty(),
        clock=clock,
        metadata=metadata,
    )


def packed_full(vendor: AttestationPki, *, aaguid: bytes = AAGUID, x5c=None) -> dict:
    return make_credential(fmt="packed", aaguid=aaguid, x5c=x5c or (vendor.leaf,), attestation_key=vendor.leaf_key)


# --- metadata -------------------------------------------------------------------------------------------------


def load_store(pki: SigningPki, entries, *, policy: Policy = STRICT, next_update: date = NEXT_UPDATE) -> MetadataStore:
    blob = sign_blob(blob_payload(entries, next_update=next_update), key=pki.signer_key, x5c=pki.x5c)
    return MetadataStore.load(blob, trust_root=pki.root, clock=clock, policy=policy)


def packed_entry(
    vendor: AttestationPki, *, statuses=("FIDO_CERTIFIED",), roots=None, aaguid: bytes = AAGUID, **statement
):
    statement.setdefault("attestation_types", ("basic_full",))
    return payload_entry(
        statement=metadata_statement(
            description="fidoconf virtual packed authenticator",
            aaguid=aaguid,
            roots=roots if roots is not None else (vendor.root,),
            **statement,
        ),
        aaguid=aaguid,
        statuses=statuses,
    )


def refused(code: Code, call, *args, **kwargs) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def json_slots(value, path=()):
    """Every (container, key) of a JSON document, so one can be replaced or deleted."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield value, key
        yield from json_slots(child, (*path, key))
