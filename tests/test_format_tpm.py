"""tpm attestation (#sctn-tpm-attestation, #sctn-tpm-cert-requirements): every check, one defect at a time.

The credentials are built at test time by the virtual TPM (conformance/authenticator/formats_tpm_android), valid
except for the one defect each case names, re-signed; each must be refused with exactly its code under every
preset the case names. The TPM structure parsers are tested on their own for exact consumption.
"""

from __future__ import annotations

import json

import cbor2
import pytest
from fidoconf.conformance import vectors
from fidoconf.conformance.authenticator.formats_tpm_android import tpm, tpm_cases
from fidoconf.conformance.authenticator.formats_tpm_android.common import ORIGIN, RP_ID
from fidoconf.conformance.authenticator.formats_tpm_android.vectors import bench_credentials, build_case, files
from fidoconf.verifier import Policy, TrustStore, VerificationError, verify_registration
from fidoconf.verifier.attestation.tpm_aik import (
    TCG_VENDOR_IDS,
    check_aik_with_cryptography,
    check_manufacturer,
    plain_aik_identity,
)
from fidoconf.verifier.attestation.tpm_structures import (
    TPM_ALG_ECC,
    TPM_ALG_NULL,
    TPM_ALG_RSA,
    EccParms,
    RsaParms,
    parse_cert_info,
    parse_pub_area,
)
from fidoconf.verifier.certs import load_x5c
from fidoconf.verifier.encoding import b64url_decode, b64url_encode
from fidoconf.verifier.errors import Code
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import VECTORS, assert_verdict

# FIDO's 2018 TPM vectors (f2n-tpm-*) carry AIK CA certificates with negative serial numbers; cryptography warns
# on loading them. Accepting them is deliberate (RFC 5280 §4.1.2.2: "Certificate users SHOULD be prepared to
# gracefully handle such certificates"; trust.py records it), so the warning is expected here, not news.
pytestmark = pytest.mark.filterwarnings("ignore:Parsed a serial number:cryptography.utils.CryptographyDeprecationWarning")


@pytest.mark.parametrize("case", tpm_cases.MUTATIONS, ids=lambda c: c.name)
def test_case_gets_its_verdict_under_every_named_policy(case, pki, pki_trust):
    vector = build_case(case, pki=pki)
    for expectation in vectors.expectations(vector):
        assert_verdict(vector, expectation, trust=pki_trust)


def test_every_check_has_a_case():
    """Each tpm code of the vocabulary is the expected outcome of at least one generated case."""
    expected = {outcome.get("expected_code") for case in tpm_cases.MUTATIONS for outcome in case.outcomes.values()} - {None}
    tpm_codes = {c.value for c in Code if c.value.startswith("tpm.")}
    aik_codes = {
        Code.ATT_CERT_SUBJECT_NOT_EMPTY,
        Code.ATT_CERT_SAN_MISSING,
        Code.ATT_CERT_SAN_NOT_CRITICAL,
        Code.ATT_CERT_SAN_INVALID,
        Code.ATT_CERT_EKU_MISSING,
        Code.ATT_CERT_EKU_INVALID,
        Code.ATT_CERT_BASIC_CONSTRAINTS_MISSING,
        Code.ATT_CERT_BASIC_CONSTRAINTS_CA,
        Code.ATT_CERT_VERSION_INVALID,
        Code.ATT_CERT_AAGUID_MISMATCH,
    }
    assert (tpm_codes | {c.value for c in aik_codes}) - expected == set()


def test_committed_vectors_are_what_the_generator_writes():
    generated = {rel: text for rel, text in files().items() if rel.startswith("tpm/")}
    on_disk = {
        f"tpm/{p.name}": p.read_text(encoding="utf-8")
        for p in (VECTORS / "generated" / "tpm").glob("*.json")
        if p.stem.startswith("tpm-")
    }
    assert on_disk == generated


# --- TPMT_PUBLIC / TPMS_ATTEST parsers ---------------------------------------------------------------------


def _rsa_pub_area(**changes) -> bytes:
    key = tpm.derive_key("RS256", "fidoconf/test/tpm-parser")
    return tpm.pub_area(key, tpm.TpmShape(**changes))


def test_rsa_pub_area_parses_exactly():
    parsed = parse_pub_area(_rsa_pub_area())
    assert parsed.type == TPM_ALG_RSA and isinstance(parsed.parameters, RsaParms)
    assert (parsed.parameters.key_bits, parsed.parameters.exponent, len(parsed.unique)) == (2048, 0, 256)
    assert parse_pub_area(_rsa_pub_area(explicit_exponent=True)).parameters.exponent == 65537


def test_ecc_pub_area_parses_exactly():
    key = tpm.derive_key("ES256", "fidoconf/test/tpm-parser")
    parsed = parse_pub_area(tpm.pub_area(key))
    assert parsed.type == TPM_ALG_ECC and isinstance(parsed.parameters, EccParms)
    assert parsed.parameters == EccParms(TPM_ALG_NULL, TPM_ALG_NULL, 0x0003, TPM_ALG_NULL)
    assert [len(c) for c in parsed.unique] == [32, 32]


def test_non_null_symmetric_and_scheme_details_are_consumed():
    # A restricted decryption key's TPMT_SYM_DEF_OBJECT (AES-128-CFB) and an ECDAA scheme (hashAlg + count):
    # the parser must step over their details to find curveID, kdf and unique in the right place.
    head = (TPM_ALG_ECC).to_bytes(2, "big") + b"\x00\x0b" + bytes(4) + b"\x00\x00"
    params = b"\x00\x06\x00\x80\x00\x43" + b"\x00\x1a\x00\x0b\x00\x01" + b"\x00\x03" + b"\x00\x10"
    unique = b"\x00\x20" + bytes(32) + b"\x00\x20" + bytes(32)
    parsed = parse_pub_area(head + params + unique)
    assert parsed.parameters == EccParms(0x0006, 0x001A, 0x0003, TPM_ALG_NULL)


@pytest.mark.parametrize("cut", [1, 2, 8, 10, 20, 100, 300])
def test_every_short_pub_area_is_malformed(cut):
    data = _rsa_pub_area()
    with pytest.raises(VerificationError) as info:
        parse_pub_area(data[: len(data) - cut])
    assert info.value.code is Code.TPM_PUB_AREA_MALFORMED


def test_every_prefix_of_cert_info_is_malformed_and_extra_bytes_are_trailing():
    info_bytes = tpm.cert_info(extra_data=bytes(32), name=b"\x00\x0b" + bytes(32))
    assert parse_cert_info(info_bytes).attested_name == b"\x00\x0b" + bytes(32)
    for end in range(len(info_bytes)):
        with pytest.raises(VerificationError) as info:
            parse_cert_info(info_bytes[:end])
        assert info.value.code is Code.TPM_CERT_INFO_MALFORMED
    with pytest.raises(VerificationError) as info:
        parse_cert_info(info_bytes + b"\x00")
    assert info.value.code is Code.TPM_CERT_INFO_TRAILING_BYTES


def test_cert_info_of_another_type_is_parsed_up_to_its_attested_union():
    quote = tpm.cert_info(extra_data=b"", name=b"", shape=tpm.TpmShape(attest_type=tpm.TPM_ST_ATTEST_QUOTE))
    parsed = parse_cert_info(quote + b"quote-specific bytes")
    assert parsed.type == tpm.TPM_ST_ATTEST_QUOTE and parsed.attested_name is None


# --- vendor ids ----------------------------------------------------------------------------------------------


def _manufacturer_code(manufacturer: str, policy: Policy) -> Code | None:
    try:
        check_manufacturer({"tpm_manufacturer": manufacturer}, policy=policy)
    except VerificationError as exc:
        return exc.code
    return None


def test_vendor_ids_compare_case_insensitively_and_follow_policy():
    strict, permissive, conformance = (Policy.preset(n) for n in ("strict", "permissive", "fido-conformance"))
    assert _manufacturer_code("id:49424d00", strict) is None  # IBM, lower-case hex as some certificates write it
    assert _manufacturer_code("id:FFFFF1D0", strict) is Code.TPM_MANUFACTURER_TEST_VENDOR_REFUSED
    assert _manufacturer_code("id:FFFFF1D0", conformance) is None
    assert _manufacturer_code("id:00000000", conformance) is Code.TPM_MANUFACTURER_UNKNOWN
    assert _manufacturer_code("id:00000000", permissive) is None
    assert all(len(vendor) == 8 and vendor == vendor.upper() for vendor in TCG_VENDOR_IDS)


def test_recorded_fido_2018_aik_certificate_is_refused_for_its_extensions():
    """The FIDO tool's 2018 AIK certificate: cryptography refuses its certificatePolicies (UserNotice + trailing
    bytes); #sctn-tpm-cert-requirements cannot be checked on an extension list that is not DER."""
    vector = vectors.load(VECTORS / "real" / "tpm" / "f2n-tpm-rsa-sha256.json")
    outcome = vectors.run(vector, policy=Policy.preset("permissive"), trust=TrustStore.empty())
    assert (outcome.result, outcome.code) == ("reject", Code.ATT_CERT_EXTENSIONS_MALFORMED.value)


def test_windows_hello_single_rdn_san_is_read():
    """Windows Hello AIK certificates put the three TPM attributes in one multi-valued RDN; the TPM they name is
    reported in the statement info."""
    vector = vectors.load(VECTORS / "real" / "tpm" / "pyw-tpm-ecc-webauthnio.json")
    result = verify_registration(
        vector["credential"],
        expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
        expected_origin=vector["origin"],
        expected_rp_id=vector["rp_id"],
        policy=Policy.preset("permissive"),
        clock=vectors.clock_for(vector),
    )
    assert result.attestation_type == "attca"
    assert dict(result.statement_info) == {
        "tpm_manufacturer": "id:4E544300",
        "tpm_model": "NPCT75x",
        "tpm_version": "id:00070002",
        "tpm_vendor": "Nuvoton Technology",
    }


# --- the plain AIK reading agrees with cryptography's -----------------------------------------------------------


def _aik_readings() -> list:
    """The AIK certificate reading of every TPM credential among the vectors."""
    readings = []
    for path in sorted(VECTORS.rglob("*.json")):
        vector = json.loads(path.read_text())
        credential = vector.get("credential") if isinstance(vector, dict) else None
        if not isinstance(credential, dict):
            continue
        try:
            obj = cbor2.loads(b64url_decode(credential["response"]["attestationObject"], field="attestationObject"))
            if obj.get("fmt") == "tpm":
                readings.append(load_x5c(obj["attStmt"]["x5c"]).parsed[0])
        except (VerificationError, cbor2.CBORDecodeError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return readings


def _both_readings(reading, policy):
    def outcome(read):
        try:
            return read()
        except VerificationError as exc:
            return exc.code

    def plain():
        identity = plain_aik_identity(reading)
        if identity is not None:
            check_manufacturer(identity, policy=policy)
        return identity

    return outcome(plain), outcome(lambda: check_aik_with_cryptography(reading.cert, policy=policy))


@pytest.mark.parametrize("policy_name", ["strict", "permissive"])
def test_plain_aik_reading_only_accepts_what_cryptography_reads_the_same_way(policy_name):
    policy = Policy.preset(policy_name)
    readings = _aik_readings()
    plain_count = 0
    for reading in readings:
        plain, checked = _both_readings(reading, policy)
        if plain is not None:
            plain_count += 1
            assert plain == checked, reading.cert.serial_number
    # The generated AIK certificates have the plain shape; the recorded 2018 FIDO ones (certificatePolicies) do not.
    assert len(readings) >= 60 and plain_count >= 35


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_changed_byte_in_a_plain_aik_certificate_never_makes_the_readings_disagree(data):
    """Any one byte of the SAN, EKU or basicConstraints value changed: the plain reading either steps aside (None)
    or says what cryptography's reading says, on a certificate re-read from the changed DER."""
    vector = json.loads((VECTORS / "generated" / "tpm" / "tpm-es256-rsa-aik-valid.json").read_text())
    obj = cbor2.loads(b64url_decode(vector["credential"]["response"]["attestationObject"], field="attestationObject"))
    der = obj["attStmt"]["x5c"][0]
    reading = load_x5c([der]).parsed[0]
    assert plain_aik_identity(reading) is not None
    read = [e for e in reading.extensions if e.oid in ("2.5.29.17", "2.5.29.37", "2.5.29.19")]
    extension = data.draw(st.sampled_from(read))
    offset = der.index(extension.value) + data.draw(st.integers(0, len(extension.value) - 1))
    changed = der[:offset] + bytes([data.draw(st.integers(0, 255))]) + der[offset + 1 :]
    try:
        mutated = load_x5c([changed]).parsed[0]
    except VerificationError:
        return  # no longer a certificate: load_x5c's own refusal, before any AIK reading
    plain, checked = _both_readings(mutated, Policy.preset("permissive"))
    assert plain is None or plain == checked


# --- no builtin exception escapes ------------------------------------------------------------------------------

_STRUCTURE_CODES = {
    Code.TPM_PUB_AREA_MALFORMED,
    Code.TPM_PUB_AREA_TRAILING_BYTES,
    Code.TPM_PUB_AREA_KEY_TYPE_UNSUPPORTED,
    Code.TPM_CERT_INFO_MALFORMED,
    Code.TPM_CERT_INFO_TRAILING_BYTES,
}


@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_a_structure_or_a_coded_refusal(data):
    for parse in (parse_pub_area, parse_cert_info):
        try:
            parse(data)
        except VerificationError as exc:
            assert exc.code in _STRUCTURE_CODES


@pytest.fixture(scope="module")
def valid_tpm(pki):
    vector = build_case(tpm_cases.MUTATIONS[0], pki=pki)
    raw = vector["credential"]["response"]["attestationObject"]
    return vector, cbor2.loads(b64url_decode(raw, field="attestationObject"))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["pubArea", "certInfo", "sig"]),
    position=st.integers(min_value=0, max_value=400),
    value=st.integers(min_value=0, max_value=255),
)
def test_corrupted_statement_fields_are_refused_with_a_code(valid_tpm, field, position, value):
    vector, attestation_object = valid_tpm
    statement = dict(attestation_object["attStmt"])
    corrupted = bytearray(statement[field])
    corrupted[position % len(corrupted)] ^= value or 1
    statement[field] = bytes(corrupted)
    credential = json.loads(json.dumps(vector["credential"]))
    credential["response"]["attestationObject"] = b64url_encode(
        cbor2.dumps({**attestation_object, "attStmt": statement})
    )
    with pytest.raises(VerificationError) as info:
        verify_registration(
            credential,
            expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
            expected_origin=vector["origin"],
            expected_rp_id=vector["rp_id"],
            policy=Policy.preset("permissive"),
            clock=vectors.clock_for(vector),
        )
    assert info.value.code is not Code.INTERNAL_UNEXPECTED


def test_bench_credentials_are_distinct_and_accepted(pki, pki_trust):
    made = bench_credentials("tpm", 2, pki=pki)
    assert len({c["response"]["attestationObject"] for c, _ in made}) == 2
    for credential, challenge in made:
        result = verify_registration(
            credential,
            expected_challenge=challenge,
            expected_origin=ORIGIN,
            expected_rp_id=RP_ID,
            policy=Policy.preset("permissive"),
            trust=pki_trust,
        )
        assert (result.fmt, result.attestation_type, result.trusted) == ("tpm", "attca", True)


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.binary(max_size=40) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _outcome_with_statement(vector: dict, attestation_object: dict, statement: dict) -> Code | None:
    credential = json.loads(json.dumps(vector["credential"]))
    encoded = cbor2.dumps({**attestation_object, "attStmt": statement}, canonical=True)
    credential["response"]["attestationObject"] = b64url_encode(encoded)
    try:
        verify_registration(
            credential,
            expected_challenge=b64url_decode(vector["challenge_b64url"], field="challenge"),
            expected_origin=vector["origin"],
            expected_rp_id=vector["rp_id"],
            policy=Policy.preset("permissive"),
            clock=vectors.clock_for(vector),
        )
    except VerificationError as exc:
        return exc.code
    return None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["ver", "alg", "x5c", "sig", "certInfo", "pubArea"]), value=_VALUES)
def test_any_field_value_is_refused_with_a_code(valid_tpm, field, value):
    vector, attestation_object = valid_tpm
    statement = {**attestation_object["attStmt"], field: value}
    if statement == attestation_object["attStmt"]:
        return
    assert _outcome_with_statement(vector, attestation_object, statement) not in (None, Code.INTERNAL_UNEXPECTED)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0, max_value=2000), flip=st.integers(min_value=1, max_value=255))
def test_corrupted_aik_certificate_never_escapes_as_a_builtin_error(valid_tpm, position, flip):
    """Accepted untrusted (a flipped signature byte, no anchors given) or refused with a code, never a crash."""
    vector, attestation_object = valid_tpm
    statement = dict(attestation_object["attStmt"])
    aik = bytearray(statement["x5c"][0])
    aik[position % len(aik)] ^= flip
    statement["x5c"] = [bytes(aik), *statement["x5c"][1:]]
    assert _outcome_with_statement(vector, attestation_object, statement) is not Code.INTERNAL_UNEXPECTED
