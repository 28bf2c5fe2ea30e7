"""FIDO MDS3 BLOB loading: every defective BLOB is refused with its own code; the spec's example BLOB parses.

BLOBs come from tests/metadata_builder.py, signed by a PKI generated per test module (root → CA-1 → signer).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from fidoconf.verifier.errors import Code, VerificationError
from fidoconf.verifier.metadata import AUTHENTICATION_ALGORITHMS, MetadataStore
from fidoconf.verifier.policy import Policy
from hypothesis import given, settings
from hypothesis import strategies as st

from .mds_support import (
    AAGUID,
    JSON_VALUES,
    NEXT_UPDATE,
    NOW,
    OTHER_AAGUID,
    STRICT,
    AttestationPki,
    clock,
    json_slots,
    load_store,
    packed_entry,
    refused,
)
from .metadata_builder import (
    SigningPki,
    blob_payload,
    corrupt_signature,
    make_certificate,
    metadata_statement,
    name,
    payload_entry,
    sign_blob,
)

MDS_DIR = Path(__file__).resolve().parent.parent / "vectors" / "mds"


@pytest.fixture(scope="module")
def pki() -> SigningPki:
    return SigningPki.generate(now=NOW)


@pytest.fixture(scope="module")
def vendor() -> AttestationPki:
    return AttestationPki("fidoconf vendor")


# --- loading: one code per defective BLOB ---------------------------------------------------------------------


def test_valid_blob_is_indexed_by_aaguid_and_key_identifier(pki, vendor):
    u2f_id = bytes.fromhex("a1" * 20)
    u2f = payload_entry(
        statement=metadata_statement(description="u2f", key_identifiers=[u2f_id], roots=[vendor.root]),
        key_identifiers=[u2f_id],
    )
    store = load_store(pki, [packed_entry(vendor), u2f])
    assert store.serial == 1 and store.next_update == NEXT_UPDATE
    assert store.entry_for(aaguid=AAGUID).description == "fidoconf virtual packed authenticator"
    assert store.entry_for(aaguid=OTHER_AAGUID) is None
    assert set(store.by_key_identifier) == {u2f_id}
    assert store.entry_for(aaguid=AAGUID).anchors == (vendor.root,)
    assert [c.subject for c in store.signer_chain] == [pki.signer.subject, pki.ca.subject, pki.root.subject]
    assert store.revocation_checked is False


def test_blob_from_a_path_and_as_text_loads_the_same(pki, vendor, tmp_path: Path):
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    (tmp_path / "blob.jwt").write_bytes(blob + b"\n")
    (tmp_path / "root.pem").write_bytes(pki.root.public_bytes(Encoding.PEM))
    for source in (tmp_path / "blob.jwt", blob.decode()):
        store = MetadataStore.load(source, trust_root=tmp_path / "root.pem", clock=clock, policy=STRICT)
        assert set(store.by_aaguid) == {AAGUID}


def test_signature_encodings_and_signers_accepted(pki, vendor):
    payload = blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_signer = make_certificate(
        subject=name("fidoconf RSA BLOB SIGNER"),
        key=rsa_key,
        issuer=pki.ca,
        issuer_key=pki.ca_key,
        ca=False,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
    )
    blobs = {
        "ES256 R||S (RFC 7518)": sign_blob(payload, key=pki.signer_key, x5c=pki.x5c),
        "ES256 DER (MDS3 example)": sign_blob(payload, key=pki.signer_key, x5c=pki.x5c, der_ecdsa=True),
        "RS256 (production MDS)": sign_blob(payload, key=rsa_key, x5c=(rsa_signer, pki.ca)),
        # "If that attribute is missing as well, Metadata BLOB signing trust anchor is considered the BLOB signing
        # certificate chain."
        "no x5c: the root signs": sign_blob(payload, key=pki.root_key),
    }
    for label, blob in blobs.items():
        store = MetadataStore.load(blob, trust_root=pki.root, clock=clock, policy=STRICT)
        assert set(store.by_aaguid) == {AAGUID}, label


def test_bad_signature_is_refused(pki, vendor):
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    refused(
        Code.METADATA_BLOB_SIGNATURE_INVALID,
        MetadataStore.load,
        corrupt_signature(blob),
        trust_root=pki.root,
        clock=clock,
        policy=STRICT,
    )


def test_payload_changed_after_signing_is_refused(pki, vendor):
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    header, _, signature = blob.split(b".")
    forged = blob_payload(
        [packed_entry(vendor, statuses=("FIDO_CERTIFIED", "FIDO_CERTIFIED_L2"))], next_update=NEXT_UPDATE
    )
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=")
    refused(
        Code.METADATA_BLOB_SIGNATURE_INVALID,
        MetadataStore.load,
        b".".join((header, body, signature)),
        trust_root=pki.root,
        clock=clock,
        policy=STRICT,
    )


def test_signer_key_of_another_type_than_alg_is_refused(pki, vendor):
    blob = sign_blob(
        blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE),
        key=pki.signer_key,
        x5c=pki.x5c,
        header_extra={"alg": "RS256"},
    )
    refused(
        Code.METADATA_BLOB_SIGNATURE_INVALID, MetadataStore.load, blob, trust_root=pki.root, clock=clock, policy=STRICT
    )


def test_chain_to_another_root_is_refused(pki, vendor):
    stranger = SigningPki.generate(now=NOW, label="stranger MDS3")
    blob = sign_blob(
        blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=stranger.signer_key, x5c=stranger.x5c
    )
    refused(
        Code.METADATA_BLOB_CHAIN_UNTRUSTED, MetadataStore.load, blob, trust_root=pki.root, clock=clock, policy=STRICT
    )


def test_chain_missing_its_intermediate_is_refused(pki, vendor):
    # The FIDO tool's Server-MDS3 F-4 BLOB ends up like this: the CA that issued the signer is absent.
    blob = sign_blob(
        blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=(pki.signer,)
    )
    refused(
        Code.METADATA_BLOB_CHAIN_UNTRUSTED, MetadataStore.load, blob, trust_root=pki.root, clock=clock, policy=STRICT
    )


def test_x5c_out_of_order_is_refused(pki, vendor):
    blob = sign_blob(
        blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=(pki.ca, pki.signer)
    )
    refused(
        Code.METADATA_BLOB_CHAIN_UNTRUSTED, MetadataStore.load, blob, trust_root=pki.root, clock=clock, policy=STRICT
    )


def test_signer_validity_is_judged_at_the_injected_clock(vendor):
    older = SigningPki.generate(now=NOW - timedelta(days=500), label="older MDS3")
    dated = older.with_signer(not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=35))
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=dated.signer_key, x5c=dated.x5c)
    refused(
        Code.METADATA_BLOB_CHAIN_UNTRUSTED, MetadataStore.load, blob, trust_root=older.root, clock=clock, policy=STRICT
    )
    then = NOW - timedelta(days=40)
    store = MetadataStore.load(blob, trust_root=older.root, clock=lambda: then, policy=STRICT)
    assert set(store.by_aaguid) == {AAGUID}


def test_revoked_signer_is_refused(pki, vendor):
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    crls = [pki.crl(issuer="root", now=NOW), pki.crl(issuer="ca", revoked=[pki.signer], now=NOW)]
    error = refused(
        Code.METADATA_BLOB_SIGNER_REVOKED,
        MetadataStore.load,
        blob,
        trust_root=pki.root,
        clock=clock,
        policy=STRICT,
        crls=crls,
    )
    assert error.detail["position"] == 0


def test_revoked_intermediate_is_refused(pki, vendor):
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    crls = [pki.crl(issuer="root", revoked=[pki.ca], now=NOW), pki.crl(issuer="ca", now=NOW)]
    error = refused(
        Code.METADATA_BLOB_SIGNER_REVOKED,
        MetadataStore.load,
        blob,
        trust_root=pki.root,
        clock=clock,
        policy=STRICT,
        crls=crls,
    )
    assert error.detail["position"] == 1


def test_crls_that_revoke_nothing_mark_revocation_checked(pki, vendor, tmp_path: Path):
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    (tmp_path / "ca.crl").write_bytes(pki.crl(issuer="ca", now=NOW).public_bytes(Encoding.DER))
    root_crl = pki.crl(issuer="root", now=NOW).public_bytes(Encoding.PEM)
    store = MetadataStore.load(
        blob, trust_root=pki.root, clock=clock, policy=STRICT, crls=[tmp_path / "ca.crl", root_crl]
    )
    assert store.revocation_checked is True
    partial = MetadataStore.load(blob, trust_root=pki.root, clock=clock, policy=STRICT, crls=[root_crl])
    assert partial.revocation_checked is False


def test_crl_not_signed_by_its_issuer_is_a_configuration_error(pki, vendor):
    stranger = SigningPki.generate(now=NOW, label="stranger MDS3")
    forged = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.subject)
        .last_update(NOW - timedelta(days=1))
        .next_update(NOW + timedelta(days=1))
        .sign(stranger.ca_key, hashes.SHA256())
    )
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    refused(
        Code.CONFIG_METADATA_CRL_INVALID,
        MetadataStore.load,
        blob,
        trust_root=pki.root,
        clock=clock,
        policy=STRICT,
        crls=[forged],
    )
    refused(
        Code.CONFIG_METADATA_CRL_INVALID,
        MetadataStore.load,
        blob,
        trust_root=pki.root,
        clock=clock,
        policy=STRICT,
        crls=[b"not a CRL"],
    )


def test_trust_root_that_is_not_a_certificate_is_a_configuration_error(pki, vendor):
    blob = sign_blob(blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE), key=pki.signer_key, x5c=pki.x5c)
    refused(
        Code.CONFIG_METADATA_TRUST_ROOT_INVALID,
        MetadataStore.load,
        blob,
        trust_root=b"-----BEGIN nothing",
        clock=clock,
        policy=STRICT,
    )


def test_stale_blob_is_refused_unless_policy_allows(pki, vendor):
    stale = sign_blob(
        blob_payload([packed_entry(vendor)], next_update=NOW.date() - timedelta(days=3)),
        key=pki.signer_key,
        x5c=pki.x5c,
    )
    refused(Code.METADATA_BLOB_STALE, MetadataStore.load, stale, trust_root=pki.root, clock=clock, policy=STRICT)
    for grace in (3, None):
        lenient = Policy(metadata_next_update_grace_days=grace)
        assert MetadataStore.load(stale, trust_root=pki.root, clock=clock, policy=lenient).by_aaguid
    refused(
        Code.METADATA_BLOB_STALE,
        MetadataStore.load,
        stale,
        trust_root=pki.root,
        clock=clock,
        policy=Policy(metadata_next_update_grace_days=2),
    )


def _jws(header: dict | bytes, payload: dict | bytes, key) -> bytes:
    """A compact JWS whose parts may be invalid on purpose, signed correctly over whatever they are."""

    def part(value):
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = part(header) + b"." + part(payload)
    signature = key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
    return signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")


def _malformed_blobs(pki: SigningPki, vendor: AttestationPki) -> dict[str, bytes]:
    x5c = [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in pki.x5c]
    header = {"alg": "ES256", "typ": "JWT", "x5c": x5c}
    good = blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE)
    no_entries = {k: v for k, v in good.items() if k != "entries"}
    duplicate = blob_payload([packed_entry(vendor), packed_entry(vendor)], next_update=NEXT_UPDATE)
    bad_root = blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE)
    bad_root["entries"][0]["metadataStatement"]["attestationRootCertificates"] = ["AAAA"]
    signed = sign_blob(good, key=pki.signer_key, x5c=pki.x5c)
    return {
        "two parts": signed.rsplit(b".", 1)[0],
        "four parts": signed + b".AAAA",
        "padded base64": signed.replace(b".", b"=.", 1),
        "header not JSON": _jws(b"{alg", good, pki.signer_key),
        "header a JSON array": _jws(b"[1]", good, pki.signer_key),
        "duplicate header key": _jws(b'{"alg":"ES256","alg":"none"}', good, pki.signer_key),
        "payload NaN": _jws(header, b'{"no": NaN}', pki.signer_key),
        "alg none": _jws({**header, "alg": "none"}, good, pki.signer_key),
        "alg missing": _jws({"x5c": x5c}, good, pki.signer_key),
        "x5u": _jws({**header, "x5u": "https://mds.example/chain"}, good, pki.signer_key),
        "x5c not base64": _jws({**header, "x5c": ["%%%"]}, good, pki.signer_key),
        "x5c empty": _jws({**header, "x5c": []}, good, pki.signer_key),
        "payload without entries": _jws(header, no_entries, pki.signer_key),
        "two entries for one AAGUID": _jws(header, duplicate, pki.signer_key),
        "attestation root not DER": _jws(header, bad_root, pki.signer_key),
        "text not ASCII": "é.é.é",
    }


def test_malformed_blobs_are_refused(pki, vendor):
    for label, blob in _malformed_blobs(pki, vendor).items():
        with pytest.raises(VerificationError) as caught:
            MetadataStore.load(blob, trust_root=pki.root, clock=clock, policy=STRICT)
        assert caught.value.code == Code.METADATA_BLOB_MALFORMED, label


def test_integers_above_2_pow_53_in_a_statement_parse_exactly(pki, vendor):
    # FIDO tool Resp-5 P-5: "Metadata with 64-bit vendorPrototypeConfigCommands", stored as 18446744073709552000.
    values = [18446744073709552000, 184467440737095520, 2**53 + 1]
    entry = packed_entry(
        vendor,
        extra={
            "authenticatorGetInfo": {
                "versions": ["FIDO_2_1"],
                "aaguid": AAGUID.hex(),
                "vendorPrototypeConfigCommands": values,
            }
        },
    )
    store = load_store(pki, [entry])
    info = store.entry_for(aaguid=AAGUID).entry.metadata_statement.authenticator_get_info
    assert info["vendorPrototypeConfigCommands"] == values


@settings(max_examples=300)
@given(data=st.data())
def test_any_signed_payload_loads_or_is_refused_with_a_blob_code(pki, vendor, data):
    # The loader is a parse boundary: whatever a correctly signed payload holds, no builtin exception escapes.
    payload = blob_payload([packed_entry(vendor)], next_update=NEXT_UPDATE)
    places = list(json_slots(payload))
    container, key = places[data.draw(st.integers(0, len(places) - 1), label="slot")]
    if isinstance(container, dict) and data.draw(st.booleans(), label="delete"):
        del container[key]
    else:
        container[key] = data.draw(JSON_VALUES, label="value")
    blob = sign_blob(payload, key=pki.signer_key, x5c=pki.x5c)
    try:
        MetadataStore.load(blob, trust_root=pki.root, clock=clock, policy=STRICT)
    except VerificationError as error:
        assert error.code.value.startswith("metadata.blob."), error


# --- the MDS3 specification's example BLOB (vectors/mds) -------------------------------------------------------


SPEC_CLOCK = datetime(2022, 1, 1, tzinfo=UTC)


def test_spec_example_blob_parses_inside_its_validity():
    blob, root = MDS_DIR / "mds3-spec-example-blob.jwt", MDS_DIR / "mds3-spec-example-root.pem"
    # Its nextUpdate (2020-03-30) precedes its signer's notBefore (2021-04-19): no clock makes it fresh.
    policy = Policy(metadata_next_update_grace_days=None)
    store = MetadataStore.load(blob, trust_root=root, clock=lambda: SPEC_CLOCK, policy=policy)
    assert store.serial == 15 and store.next_update == date(2020, 3, 30)
    assert set(store.by_aaguid) == {bytes.fromhex("0132d110bf4e4208a403ab4f5f12efe5")}
    assert len(store.payload.entries) == 2
    refused(
        Code.METADATA_BLOB_STALE, MetadataStore.load, blob, trust_root=root, clock=lambda: SPEC_CLOCK, policy=STRICT
    )
    # The signer expires 2031-04-17.
    refused(
        Code.METADATA_BLOB_CHAIN_UNTRUSTED,
        MetadataStore.load,
        blob,
        trust_root=root,
        clock=lambda: datetime(2032, 1, 1, tzinfo=UTC),
        policy=policy,
    )


def test_authentication_algorithm_table_covers_the_fido_registry():
    # FIDO Registry #authentication-algorithms: ALG_SIGN_* 0x0001..0x0013.
    assert len(AUTHENTICATION_ALGORITHMS) == 19
