"""FIDO MDS3 at registration: each entry verdict reaches verify_registration with its own code.

An authenticator whose latest status report is compromised is refused with that status's code; an attestation
type or algorithm its statement does not list is refused; a listed one is trusted through the entry's
attestationRootCertificates, including the FIDO tool's Resp-5 certificate-path cases.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fidoconf.verifier.errors import Code, VerificationError
from fidoconf.verifier.metadata import MetadataStore, latest_status_report
from fidoconf.verifier.trust import TrustStore
from hypothesis import given, settings
from hypothesis import strategies as st

from . import seeded
from .mds_support import (
    AAGUID,
    CONFORMANCE,
    JSON_VALUES,
    NEXT_UPDATE,
    NOW,
    OTHER_AAGUID,
    STRICT,
    AttestationPki,
    clock,
    json_slots,
    load_store,
    make_credential,
    packed_entry,
    packed_full,
    refused,
    register,
)
from .metadata_builder import SigningPki, blob_payload, metadata_statement, payload_entry, sign_blob


@pytest.fixture(scope="module")
def pki() -> SigningPki:
    return SigningPki.generate(now=NOW)


@pytest.fixture(scope="module")
def vendor() -> AttestationPki:
    return AttestationPki("fidoconf vendor")


@settings(max_examples=200)
@given(data=st.data())
def test_any_loadable_entry_yields_a_registration_verdict_never_a_crash(pki, vendor, data):
    # Whatever a signed entry holds, once it loads, registration against it passes or fails with a code.
    entry = packed_entry(vendor, statuses=("FIDO_CERTIFIED",))
    places = list(json_slots(entry))
    container, key = places[data.draw(st.integers(0, len(places) - 1), label="slot")]
    if isinstance(container, dict) and data.draw(st.booleans(), label="delete"):
        del container[key]
    else:
        container[key] = data.draw(JSON_VALUES, label="value")
    blob = sign_blob(blob_payload([entry], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    try:
        store = MetadataStore.load(blob, trust_root=pki.root, clock=clock, policy=STRICT)
    except VerificationError as error:
        assert error.code.value.startswith("metadata.blob."), error
        return
    try:
        register(packed_full(vendor), metadata=store, policy=CONFORMANCE)
    except VerificationError as error:
        assert error.code != Code.INTERNAL_UNEXPECTED, error


# --- registration: the entry's verdict ------------------------------------------------------------------------


def test_listed_authenticator_is_trusted_through_its_metadata_roots(pki, vendor):
    store = load_store(pki, [packed_entry(vendor)])
    result = register(packed_full(vendor), metadata=store, policy=CONFORMANCE)
    assert result.trusted is True and result.trust_code is None
    assert result.attestation_type == "basic"
    assert result.statement_info["metadata"]["description"] == "fidoconf virtual packed authenticator"


def test_without_metadata_the_same_credential_is_not_trusted(vendor):
    result = register(packed_full(vendor), metadata=None)
    assert result.trusted is False


COMPROMISED_STATUSES = [
    ("REVOKED", Code.METADATA_STATUS_REVOKED),
    ("ATTESTATION_KEY_COMPROMISE", Code.METADATA_STATUS_ATTESTATION_KEY_COMPROMISE),
    ("USER_VERIFICATION_BYPASS", Code.METADATA_STATUS_USER_VERIFICATION_BYPASS),
    ("USER_KEY_REMOTE_COMPROMISE", Code.METADATA_STATUS_USER_KEY_REMOTE_COMPROMISE),
    ("USER_KEY_PHYSICAL_COMPROMISE", Code.METADATA_STATUS_USER_KEY_PHYSICAL_COMPROMISE),
]


@pytest.mark.parametrize(("status", "code"), COMPROMISED_STATUSES)
def test_compromised_latest_status_refuses_registration(pki, vendor, status, code):
    # FIDO tool Server-MDS3 F-1 (and REVOKED, which fido2-net-lib and webauthn-ruby also refuse).
    store = load_store(pki, [packed_entry(vendor, statuses=("FIDO_CERTIFIED", status))])
    for policy in (STRICT, CONFORMANCE):
        refused(code, register, packed_full(vendor), metadata=store, policy=policy)


@pytest.mark.parametrize(("status", "code"), COMPROMISED_STATUSES)
def test_compromised_u2f_authenticator_found_by_key_identifier_is_refused(pki, vendor, status, code):
    key_id = x509.SubjectKeyIdentifier.from_public_key(vendor.leaf.public_key()).digest
    entry = payload_entry(
        statement=metadata_statement(description="fidoconf virtual U2F", key_identifiers=[key_id], roots=[vendor.root]),
        key_identifiers=[key_id],
        statuses=("FIDO_CERTIFIED", status),
    )
    store = load_store(pki, [entry])
    credential = make_credential(fmt="fido-u2f", aaguid=bytes(16), x5c=(vendor.leaf,), attestation_key=vendor.leaf_key)
    refused(code, register, credential, metadata=store)


def test_listed_u2f_authenticator_is_trusted(pki, vendor):
    key_id = x509.SubjectKeyIdentifier.from_public_key(vendor.leaf.public_key()).digest
    entry = payload_entry(
        statement=metadata_statement(description="fidoconf virtual U2F", key_identifiers=[key_id], roots=[vendor.root]),
        key_identifiers=[key_id],
    )
    credential = make_credential(fmt="fido-u2f", aaguid=bytes(16), x5c=(vendor.leaf,), attestation_key=vendor.leaf_key)
    result = register(credential, metadata=load_store(pki, [entry]), policy=CONFORMANCE)
    assert result.trusted is True and result.fmt == "fido-u2f"


def test_only_the_latest_status_report_counts(pki, vendor):
    # A bypass fixed by a later firmware: the latest report is UPDATE_AVAILABLE.
    fixed = load_store(
        pki, [packed_entry(vendor, statuses=("FIDO_CERTIFIED", "USER_VERIFICATION_BYPASS", "UPDATE_AVAILABLE"))]
    )
    assert register(packed_full(vendor), metadata=fixed).trusted is True
    # A report dated after clock() is not in force yet.
    future = {"status": "REVOKED", "effectiveDate": (NOW.date() + timedelta(days=10)).isoformat()}
    pending = load_store(pki, [packed_entry(vendor, statuses=("FIDO_CERTIFIED", future))])
    entry = pending.entry_for(aaguid=AAGUID)
    assert latest_status_report(entry, today=NOW.date()).status.value == "FIDO_CERTIFIED"
    assert register(packed_full(vendor), metadata=pending).trusted is True


def test_attestation_key_compromise_naming_another_batch_spares_this_one(pki, vendor):
    other_batch = AttestationPki.batch_cert(
        seeded.ec_key(), issuer=vendor.root, issuer_key=vendor.root_key
    )

    def report(cert):
        return {
            "status": "ATTESTATION_KEY_COMPROMISE",
            "effectiveDate": "2024-01-01",
            "certificate": base64.b64encode(cert.public_bytes(Encoding.DER)).decode(),
        }

    spared = load_store(pki, [packed_entry(vendor, statuses=("FIDO_CERTIFIED", report(other_batch)))])
    assert register(packed_full(vendor), metadata=spared).trusted is True
    for compromised in (vendor.leaf, vendor.ca):
        hit = load_store(pki, [packed_entry(vendor, statuses=("FIDO_CERTIFIED", report(compromised)))])
        x5c = (vendor.leaf,) if compromised is vendor.leaf else (vendor.leaf_via_ca, vendor.ca)
        refused(Code.METADATA_STATUS_ATTESTATION_KEY_COMPROMISE, register, packed_full(vendor, x5c=x5c), metadata=hit)


def test_attestation_type_not_listed_is_refused(pki, vendor):
    # FIDO tool Resp-6 F-2: a self(surrogate)-only authenticator sends FULL packed.
    store = load_store(pki, [packed_entry(vendor, attestation_types=("basic_surrogate",), roots=())])
    refused(Code.METADATA_ATTESTATION_TYPE_NOT_LISTED, register, packed_full(vendor), metadata=store)
    # ...and its self attestation is what the entry lists (Resp-6 P-1).
    self_attested = make_credential(fmt="packed", aaguid=AAGUID)
    result = register(self_attested, metadata=store, policy=CONFORMANCE)
    assert result.attestation_type == "self" and result.trusted is False


def test_full_only_authenticator_sending_self_attestation_is_refused(pki, vendor):
    store = load_store(pki, [packed_entry(vendor)])
    refused(
        Code.METADATA_ATTESTATION_TYPE_NOT_LISTED,
        register,
        make_credential(fmt="packed", aaguid=AAGUID),
        metadata=store,
    )


def test_x5c_attestation_of_an_attca_authenticator_is_reported_as_attca(pki, vendor):
    store = load_store(pki, [packed_entry(vendor, attestation_types=("attca",))])
    result = register(packed_full(vendor), metadata=store)
    assert result.attestation_type == "attca" and result.trusted is True


def test_algorithm_not_listed_is_refused(pki, vendor):
    # FIDO tool Resp-3 F-16 / Resp-5 F-8: the credential's algorithm must be in authenticationAlgorithms.
    store = load_store(
        pki, [packed_entry(vendor, algorithms=("rsassa_pkcsv15_sha256_raw", "ed25519_eddsa_sha512_raw"))]
    )
    refused(Code.METADATA_ALGORITHM_NOT_LISTED, register, packed_full(vendor), metadata=store)
    der_listed = load_store(pki, [packed_entry(vendor, algorithms=("secp256r1_ecdsa_sha256_der",))])
    assert register(packed_full(vendor), metadata=der_listed).trusted is True


def test_unknown_aaguid_is_decided_by_policy(pki, vendor):
    store = load_store(pki, [packed_entry(vendor, aaguid=OTHER_AAGUID)])
    refused(Code.METADATA_ENTRY_UNKNOWN_AAGUID, register, packed_full(vendor), metadata=store, policy=CONFORMANCE)
    result = register(packed_full(vendor), metadata=store, policy=STRICT)
    assert STRICT.metadata_unknown_aaguid == "allow" and result.trusted is False


def test_none_attestation_is_not_looked_up(pki, vendor):
    # FIDO tool Resp-7 P-1: "none" with an all-zero AAGUID passes even where unknown AAGUIDs are refused.
    store = load_store(pki, [packed_entry(vendor)])
    result = register(make_credential(fmt="none", aaguid=bytes(16)), metadata=store, policy=CONFORMANCE)
    assert result.attestation_type == "none" and result.trusted is False


def test_metadata_roots_replace_other_anchors_for_that_authenticator(pki, vendor):
    elsewhere = AttestationPki("fidoconf other vendor")
    store = load_store(pki, [packed_entry(vendor, roots=(elsewhere.root,))])
    # The vendor root is configured in the trust store, but the entry says this AAGUID chains to another root.
    trust = TrustStore.empty().with_anchors(vendor.root)
    assert register(packed_full(vendor), metadata=None, trust=trust).trusted is True
    assert register(packed_full(vendor), metadata=store, trust=trust).trusted is False
    refused(Code.TRUST_CHAIN_UNTRUSTED, register, packed_full(vendor), metadata=store, trust=trust, policy=CONFORMANCE)


# --- FIDO tool Resp-5 certificate-path cases, anchored by metadata ---------------------------------------------


def test_resp5_p2_chain_through_an_intermediate_to_one_of_several_roots(pki, vendor):
    elsewhere = AttestationPki("fidoconf other vendor")
    store = load_store(pki, [packed_entry(vendor, roots=(elsewhere.root, vendor.root))])
    result = register(packed_full(vendor, x5c=(vendor.leaf_via_ca, vendor.ca)), metadata=store, policy=CONFORMANCE)
    assert result.trusted is True


def test_resp5_p3_trust_anchor_may_be_the_attestation_certificate_itself(pki, vendor):
    # "Self Batch Referencing": attestationRootCertificates holds the batch leaf (CA false, not self-signed).
    store = load_store(pki, [packed_entry(vendor, roots=(vendor.leaf,))])
    result = register(packed_full(vendor), metadata=store, policy=CONFORMANCE)
    assert result.trusted is True


def test_resp5_p4_root_with_critical_basic_constraints_is_fine(pki, vendor):
    assert vendor.root.extensions.get_extension_for_class(x509.BasicConstraints).critical is True
    store = load_store(pki, [packed_entry(vendor)])
    assert register(packed_full(vendor), metadata=store, policy=CONFORMANCE).trusted is True


def test_resp5_f10_x5c_including_the_root_is_refused(pki, vendor):
    store = load_store(pki, [packed_entry(vendor)])
    for x5c in ((vendor.leaf, vendor.root), (vendor.leaf_via_ca, vendor.ca, vendor.root)):
        refused(
            Code.TRUST_CHAIN_ROOT_INCLUDED, register, packed_full(vendor, x5c=x5c), metadata=store, policy=CONFORMANCE
        )
        # Policy.allow_root_in_x5c (strict default: real authenticators send their root) drops the trailing root;
        # the path is still anchored by the metadata root, never by the copy in x5c.
        assert STRICT.allow_root_in_x5c is True
        assert register(packed_full(vendor, x5c=x5c), metadata=store, policy=STRICT).trusted is True
