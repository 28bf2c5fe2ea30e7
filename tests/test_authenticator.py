"""The virtual authenticator and its generated vectors (conformance/authenticator).

Three properties: generation is byte-identical (in memory, across output directories, and against the committed
vectors/generated); every credential meant to be valid verifies with libraries that are NOT fidoconf's verifier
(py_webauthn, python-fido2, and plain cryptography where neither supports the algorithm); and every mutation
changes what it says and nothing else, with the signature re-made over the defect when it claims `resigned`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cbor2
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from fido2.attestation import FidoU2FAttestation, NoneAttestation, PackedAttestation, verify_x509_chain
from fido2.cose import CoseKey, UnsupportedKey
from fido2.webauthn import AttestationObject, CollectedClientData
from fidoconf.conformance.authenticator import ALGS, TestPKI, make_credential
from fidoconf.conformance.authenticator import generate as gen
from fidoconf.conformance.authenticator import mldsa as det_mldsa
from fidoconf.conformance.authenticator.authenticator import FLAG_UP, STAGES
from fidoconf.conformance.authenticator.ca import OID_FIDO_GEN_CE_AAGUID, VERIFY_AT
from fidoconf.conformance.authenticator.defects import stage_mutations
from fidoconf.conformance.authenticator.keys import CRV_P256, CURVE_ORDERS, derive_key
from webauthn import verify_registration_response
from webauthn.helpers.cose import COSEAlgorithmIdentifier

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "vectors" / "generated"
#: Algorithms py_webauthn 3 verifies (webauthn.helpers.cose.COSEAlgorithmIdentifier), EdDSA only over Ed25519.
PYW_ALGS = {a.value for a in COSEAlgorithmIdentifier}
MUTATIONS = stage_mutations()
_VALID_CASES = [c for c in gen.cases() if c.expected_code is None]


@pytest.fixture(scope="module")
def generated(pki) -> dict[str, str]:
    return gen.files(pki=pki)


def _b64(value: str) -> bytes:
    from fidoconf.verifier.encoding import b64url_decode

    return b64url_decode(value, field="test vector")


# --- byte identity ---


def test_generation_is_byte_identical_in_memory(generated, pki):
    assert gen.files(pki=TestPKI()) == generated


def test_two_output_directories_are_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert gen.main(["--out", str(first)]) == 0
    assert gen.main(["--out", str(second)]) == 0
    files_a = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert files_a == files_b
    assert all((first / p).read_bytes() == (second / p).read_bytes() for p in files_a)
    assert gen.main(["--out", str(first), "--check"]) == 0


def test_check_reports_a_changed_byte(tmp_path, generated):
    gen.write(tmp_path, generated)
    victim = tmp_path / "none" / "valid-none-es256.json"
    victim.write_bytes(victim.read_bytes().replace(b'"accept"', b'"reject"'))
    assert list(gen.differences(tmp_path, generated)) == ["differs: none/valid-none-es256.json"]
    assert gen.main(["--out", str(tmp_path), "--check"]) == 1


def test_committed_vectors_match_the_generator(generated):
    assert list(gen.differences(COMMITTED, generated)) == []


def test_deterministic_mldsa_matches_cryptography():
    # FIPS 204 deterministic signing: same key from the same seed as cryptography, signatures it accepts.
    for alg in (-48, -49, -50):
        key = derive_key({-48: "ML-DSA-44", -49: "ML-DSA-65", -50: "ML-DSA-87"}[alg], "test/mldsa")
        assert key.mldsa_expanded.public_key == key.public_key().public_bytes_raw()
        signature = det_mldsa.sign(key.mldsa_expanded, b"message")
        assert signature == det_mldsa.sign(key.mldsa_expanded, b"message")
        key.public_key().verify(signature, b"message")
        with pytest.raises(InvalidSignature):
            key.public_key().verify(signature, b"other message")


# --- catalogue shape ---


def test_catalogue_size_and_fields():
    assert len(MUTATIONS) >= 100
    for mutation in MUTATIONS.values():
        assert mutation.anchor.startswith("#"), mutation.name
        assert mutation.requirement and mutation.description, mutation.name
        assert mutation.base[0] in mutation.formats, mutation.name
        assert set(mutation.hooks) <= set(STAGES), mutation.name


def test_expected_codes_follow_the_grammar():
    for mutation in MUTATIONS.values():
        code = mutation.expected_code
        assert code is None or len(code.split(".")) == 3, (mutation.name, code)


def test_expected_codes_are_in_the_verifier_vocabulary():
    # Only the vocabulary (strings) is read here; the authenticator package never imports the verifier.
    from fidoconf.verifier.errors import Code

    known = {c.value for c in Code}
    used = {m.expected_code for m in MUTATIONS.values() if m.expected_code}
    used |= {o.get("expected_code") for m in MUTATIONS.values() for o in (m.outcomes or {}).values()} - {None}
    assert used - known == set()


def test_the_authenticator_package_does_not_import_the_verifier():
    for path in (REPO / "conformance" / "authenticator").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "from verifier" not in text and "import verifier" not in text, path.name


# --- valid credentials verify with independent libraries ---


def _credential_for(case, pki):
    return gen.vector(case, pki=pki)


def _verify_with_py_webauthn(vector, root_pem: bytes) -> None:
    verify_registration_response(
        credential=vector["credential"],
        expected_challenge=_b64(vector["challenge_b64url"]),
        expected_origin=vector["origin"],
        expected_rp_id=vector["rp_id"],
        supported_pub_key_algs=[COSEAlgorithmIdentifier(a) for a in vector["pub_key_cred_params"]],
        pem_root_certs_bytes_by_fmt={"packed": [root_pem], "fido-u2f": [root_pem]},
    )


def _verify_with_fido2(vector, root_der: bytes) -> None:
    """python-fido2: parse everything, check client data and authData, verify the statement and the chain."""
    response = vector["credential"]["response"]
    client_data = CollectedClientData(_b64(response["clientDataJSON"]))
    assert client_data.type == "webauthn.create"
    assert client_data.challenge == _b64(vector["challenge_b64url"])
    assert client_data.origin == vector["origin"]
    attestation = AttestationObject(_b64(response["attestationObject"]))
    auth_data = attestation.auth_data
    assert auth_data.rp_id_hash == hashlib.sha256(vector["rp_id"].encode()).digest()
    assert auth_data.flags & FLAG_UP
    assert auth_data.credential_data.credential_id == _b64(vector["credential"]["rawId"])
    key_map = dict(auth_data.credential_data.public_key)
    cdh = hashlib.sha256(_b64(response["clientDataJSON"])).digest()
    if key_map[3] == -8 and key_map[-1] == 7:
        # Neither library handles EdDSA over Ed448: verify the statement with cryptography itself.
        _verify_ed448_statement(attestation, auth_data, key_map, cdh)
    else:
        verifier = {"none": NoneAttestation, "packed": PackedAttestation, "fido-u2f": FidoU2FAttestation}[
            attestation.fmt
        ]
        result = verifier().verify(attestation.att_stmt, auth_data, cdh)
        if result.trust_path:
            verify_x509_chain([*result.trust_path, root_der])


def _verify_ed448_statement(attestation, auth_data, key_map, cdh) -> None:
    statement = attestation.att_stmt
    if attestation.fmt == "none":
        assert statement == {}
        ed448.Ed448PublicKey.from_public_bytes(key_map[-2])
        return
    signed = bytes(auth_data) + cdh
    if "x5c" in statement:
        x509.load_der_x509_certificate(statement["x5c"][0]).public_key().verify(statement["sig"], signed)
        verify_x509_chain([*statement["x5c"], TestPKI().root.public_bytes(serialization.Encoding.DER)])
    else:
        ed448.Ed448PublicKey.from_public_bytes(key_map[-2]).verify(statement["sig"], signed)


@pytest.mark.parametrize("case", _VALID_CASES, ids=lambda c: c.name)
def test_valid_credentials_verify_independently(case, pki):
    vector = _credential_for(case, pki)
    assert vector["expect"] == "accept"
    root_der = pki.root.public_bytes(serialization.Encoding.DER)
    spec = ALGS[case.alg]
    checked = []
    if spec.alg in PYW_ALGS and case.alg != "EdDSA-Ed448":
        _verify_with_py_webauthn(vector, pki.root_pem().encode())
        checked.append("py_webauthn")
    fido2_supports = CoseKey.for_alg(spec.alg) is not UnsupportedKey or case.alg == "EdDSA-Ed448"
    # python-fido2 refuses a BOM in clientDataJSON (docs/attacks.md G5); py_webauthn, like the spec, strips it.
    if fido2_supports and case.name != "valid-client-data-bom":
        _verify_with_fido2(vector, root_der)
        checked.append("fido2")
    assert checked, f"no independent library verified {case.name}"


def test_every_algorithm_and_format_has_a_valid_case():
    variants = {(c.fmt, c.alg) for c in gen.cases() if c.description is None}
    assert len(variants) == 3 * len(ALGS) + 1
    assert ("fido-u2f", "ES256") in variants


def test_mldsa_cose_key_matches_the_recorded_real_vector_shape():
    # /work/shared vectors/real/none/pyw-none-ml-dsa-44.json: {1: 7, 3: -48, -1: pub(1312)} (draft-ietf-cose-dilithium).
    real = json.loads((REPO / "vectors/real/none/pyw-none-ml-dsa-44.json").read_text())
    real_key = AttestationObject(_b64(real["credential"]["response"]["attestationObject"])).auth_data.credential_data
    ours = derive_key("ML-DSA-44", "test/shape").cose_key()
    assert sorted(dict(real_key.public_key)) == sorted(ours)
    assert ours[1] == 7 and ours[3] == -48 and len(ours[-1]) == 1312


# --- each mutation changes what it says ---

_CLIENT_STAGES = {"client_data", "client_data_json"}
_AUTH_STAGES = {"cose_key", "cose_key_bytes", "auth_data", "auth_data_bytes"}
_STATEMENT_STAGES = {"x5c", "signed_data", "signature", "att_stmt"}


def _pair(mutation, pki, base=None):
    variant, alg = base or mutation.base
    kwargs = {
        "rp_id": gen.RP_ID,
        "origin": gen.ORIGIN,
        "challenge": mutation.challenge or b"c" * 32,
        "fmt": variant,
        "alg": alg,
        "seed": f"fidoconf/credential/{alg}",
        "credential_id": b"i" * 32,
        "pki": pki,
        **dict(mutation.options),
    }
    return make_credential(**kwargs), make_credential(mutation=mutation, **kwargs)


@pytest.mark.parametrize("mutation", list(MUTATIONS.values()), ids=lambda m: m.name)
def test_mutation_is_confined_to_its_stage(mutation, pki):
    base, mutated = _pair(mutation, pki)
    stages = set(mutation.hooks)
    if not stages:  # a change of RP expectations (pubKeyCredParams) or make_credential options only
        return
    if stages <= _CLIENT_STAGES:
        assert mutated.client_data_json != base.client_data_json
        assert mutated.auth_data == base.auth_data
    elif stages <= _AUTH_STAGES:
        assert mutated.auth_data != base.auth_data
        assert mutated.client_data_json == base.client_data_json
    elif stages <= _STATEMENT_STAGES:
        assert (mutated.att_stmt, mutated.attestation_object) != (base.att_stmt, base.attestation_object)
        assert mutated.auth_data == base.auth_data and mutated.client_data_json == base.client_data_json
    elif stages <= {"attestation_object", "attestation_object_bytes"}:
        assert mutated.attestation_object != base.attestation_object
        assert mutated.auth_data == base.auth_data and mutated.client_data_json == base.client_data_json
    elif stages == {"credential"}:
        assert mutated.credential != base.credential
        assert mutated.attestation_object == base.attestation_object
        assert mutated.client_data_json == base.client_data_json
    else:
        assert mutated.credential != base.credential


def _statement_signature_verifies(bundle) -> bool:
    statement, signer = bundle.att_stmt, bundle.attestation_key or bundle.credential_key
    cdh = hashlib.sha256(bundle.client_data_json).digest()
    signed = bundle.auth_data + cdh
    if bundle.fmt == "fido-u2f":
        auth = bundle.auth_data
        cred_len = int.from_bytes(auth[53:55], "big")
        key = cbor2.loads(auth[55 + cred_len :])
        signed = b"\x00" + auth[:32] + cdh + auth[55 : 55 + cred_len] + b"\x04" + key[-2] + key[-3]
    try:
        signer.public_key().verify(statement["sig"], signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# Defects in client data or authData, re-signed: instantiate each on a packed-self ES256 credential and check that
# the self-attestation signature still verifies over the defective bytes (so the defect is the only problem).
_RESIGNED_SIGNED = [
    m
    for m in MUTATIONS.values()
    if m.hooks
    and m.resigned
    and "packed-self" in m.formats
    and m.base[1] == "ES256"
    and set(m.hooks) <= _CLIENT_STAGES | _AUTH_STAGES | {"params"}
]


@pytest.mark.parametrize("mutation", _RESIGNED_SIGNED, ids=lambda m: m.name)
def test_resigned_mutations_carry_a_valid_signature_over_the_defect(mutation, pki):
    _, mutated = _pair(mutation, pki, base=("packed-self", "ES256"))
    assert _statement_signature_verifies(mutated)


def test_unsigned_mutations_are_flagged():
    assert not MUTATIONS["sig-ecdsa-bit-flip"].resigned
    assert not MUTATIONS["cbor-trailing-zero-byte"].resigned
    assert not MUTATIONS["sig-x5c-by-credential-key"].resigned
    assert MUTATIONS["client-data-type-get"].resigned and MUTATIONS["authdata-up-clear"].resigned


def _att_obj(bundle):
    return cbor2.loads(bundle.attestation_object)


def _leaf(bundle) -> x509.Certificate:
    return x509.load_der_x509_certificate(bundle.x5c[0])


def _flags(bundle) -> int:
    return bundle.auth_data[32]


def _client(bundle) -> dict:
    return json.loads(bundle.client_data_json.decode("utf-8-sig"))


def test_specific_mutations_change_exactly_the_named_field(pki):
    def pair(name):
        return _pair(MUTATIONS[name], pki)

    base, m = pair("cbor-trailing-zero-byte")
    assert m.attestation_object == base.attestation_object + b"\x00"
    base, m = pair("authdata-up-clear")
    assert _flags(m) == _flags(base) & ~FLAG_UP and m.auth_data[33:] == base.auth_data[33:]
    base, m = pair("authdata-rp-id-hash-wrong")
    assert m.auth_data[:32] == hashlib.sha256(b"evil.example").digest() and m.auth_data[32:] == base.auth_data[32:]
    base, m = pair("cose-kid-present")
    assert cbor2.loads(m.cose_key) == {**cbor2.loads(base.cose_key), 2: b"kid"}
    base, m = pair("cose-point-off-curve")
    assert cbor2.loads(m.cose_key)[-3] != cbor2.loads(base.cose_key)[-3]
    base, m = pair("client-data-type-get")
    assert _client(m) == {**_client(base), "type": "webauthn.get"}
    base, m = pair("valid-client-data-bom")
    assert m.client_data_json == b"\xef\xbb\xbf" + base.client_data_json
    base, m = pair("client-data-duplicate-challenge-same")
    assert m.client_data_json.count(b'"challenge"') == 2 and json.loads(m.client_data_json) == _client(base)
    base, m = pair("att-stmt-alg-text")
    assert _att_obj(m)["attStmt"]["alg"] == "-7" and _att_obj(m)["attStmt"]["sig"] == base.att_stmt["sig"]
    base, m = pair("credential-id-differs-from-raw-id")
    assert m.credential["rawId"] == base.credential["rawId"] and m.credential["id"] != base.credential["id"]
    base, m = pair("authdata-cred-id-1024")
    assert int.from_bytes(m.auth_data[53:55], "big") == 1024


def test_certificate_mutations(pki):
    verify_at = VERIFY_AT.replace("Z", "+00:00")
    _, m = _pair(MUTATIONS["chain-leaf-expired"], pki)
    assert _leaf(m).not_valid_after_utc.isoformat() < verify_at
    _, m = _pair(MUTATIONS["chain-leaf-not-yet-valid"], pki)
    assert _leaf(m).not_valid_before_utc.isoformat() > verify_at
    _, m = _pair(MUTATIONS["packed-cert-ca-true"], pki)
    assert _leaf(m).extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    _, m = _pair(MUTATIONS["packed-cert-aaguid-critical"], pki)
    assert _leaf(m).extensions.get_extension_for_oid(OID_FIDO_GEN_CE_AAGUID).critical is True
    _, m = _pair(MUTATIONS["packed-cert-ou-wrong"], pki)
    ou = _leaf(m).subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert [a.value for a in ou] == ["Attestation"]
    # Surgery results are still correctly signed by their issuer: one defect each.
    intermediate = pki.issuer("intermediate")[0].public_key()
    _, m = _pair(MUTATIONS["packed-cert-version-1"], pki)
    assert _leaf(m).version is x509.Version.v1
    intermediate.verify(_leaf(m).signature, _leaf(m).tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    _, m = _pair(MUTATIONS["chain-leaf-sha1"], pki)
    assert _leaf(m).signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA1
    intermediate.verify(_leaf(m).signature, _leaf(m).tbs_certificate_bytes, ec.ECDSA(hashes.SHA1()))
    _, m = _pair(MUTATIONS["chain-root-included"], pki)
    assert x509.load_der_x509_certificate(m.x5c[-1]) == pki.root


def test_valid_certificates_meet_the_packed_requirements(pki):
    bundle = make_credential(
        rp_id="x.example",
        origin="https://x.example",
        challenge=b"c" * 32,
        fmt="packed-x5c",
        alg="ES256",
        seed="s",
        pki=pki,
    )
    leaf = _leaf(bundle)
    assert leaf.version is x509.Version.v3
    subject = {a.oid: a.value for a in leaf.subject}
    assert subject[x509.NameOID.ORGANIZATIONAL_UNIT_NAME] == "Authenticator Attestation"
    assert {x509.NameOID.COUNTRY_NAME, x509.NameOID.ORGANIZATION_NAME, x509.NameOID.COMMON_NAME} <= set(subject)
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    aaguid_ext = leaf.extensions.get_extension_for_oid(OID_FIDO_GEN_CE_AAGUID)
    assert not aaguid_ext.critical and aaguid_ext.value.value == b"\x04\x10" + bundle.auth_data[37:53]


def test_signature_mutations_shape(pki):
    _, m = _pair(MUTATIONS["sig-ecdsa-r-zero"], pki)
    assert m.att_stmt["sig"][2:5] == b"\x02\x01\x00"
    base, m = _pair(MUTATIONS["valid-sig-ecdsa-high-s"], pki)
    n = CURVE_ORDERS[CRV_P256]
    assert m.att_stmt["sig"] != base.att_stmt["sig"]
    m.credential_key.public_key().verify(
        m.att_stmt["sig"], m.auth_data + hashlib.sha256(m.client_data_json).digest(), ec.ECDSA(hashes.SHA256())
    )
    assert n > 0
    _, m = _pair(MUTATIONS["sig-ecdsa-bit-flip"], pki)
    assert not _statement_signature_verifies(m)


def test_trust_export_writes_root_and_metadata(tmp_path, pki):
    from fidoconf.conformance.authenticator import export_trust

    paths = export_trust(tmp_path, pki=pki, authenticators=[("packed-x5c", "ES256"), ("fido-u2f", "ES256")])
    assert (tmp_path / "root.pem").read_text() == pki.root_pem()
    statement = json.loads((tmp_path / "metadata-packed-x5c-es256.json").read_text())
    assert statement["attestationTypes"] == ["basic_full"]
    assert statement["authenticationAlgorithms"] == ["secp256r1_ecdsa_sha256_raw"]
    assert len(paths) == 3


def test_virtual_authenticator_answers_each_challenge_with_one_key(pki):
    from fidoconf.conformance.authenticator import VirtualAuthenticator

    device = VirtualAuthenticator(fmt="packed-self", alg="ES256", seed="fidoconf/test-device", pki=pki)
    first = device.make_credential(rp_id="a.example", origin="https://a.example", challenge=b"1" * 32)
    second = device.make_credential(rp_id="a.example", origin="https://a.example", challenge=b"2" * 32)
    assert first.cose_key == second.cose_key
    assert first.client_data_json != second.client_data_json
    assert _client(second)["challenge"] == "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI"


def test_fido_u2f_is_p256_only(pki):
    with pytest.raises(ValueError, match="ES256 only"):
        make_credential(
            rp_id="a.example",
            origin="https://a.example",
            challenge=b"c",
            fmt="fido-u2f",
            alg="ES384",
            seed="s",
            pki=pki,
        )


def test_suite_only_mutations_write_no_vector_file(generated):
    suite_only = {m.name for m in MUTATIONS.values() if not m.vector_file}
    assert suite_only == {
        "cbor-empty-attestation-object",
        "credential-attestation-object-missing",
        "credential-client-data-missing",
        "credential-client-data-std-base64",
        "credential-id-missing",
        "credential-id-padded",
        "credential-raw-id-missing",
        "credential-response-missing",
        "credential-transports-string",
    }
    names = {Path(p).stem for p in generated}
    assert not suite_only & names
