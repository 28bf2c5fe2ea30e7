"""The tpm cases: every check of #sctn-tpm-attestation and #sctn-tpm-cert-requirements broken once
(docs/attacks.md E4 and Appendix B, the FIDO tool's Resp-9), plus the valid shapes real TPMs send. Codes are
fidoconf code strings (verifier/errors.py), written out because this package does not import the verifier.
"""

from __future__ import annotations

from ..mutations import Mutation
from . import tpm
from .common import ACCEPT, case_maker

_TPM = "#sctn-tpm-attestation"
_AIK = "#sctn-tpm-cert-requirements"
_SYNTAX = "Verify that attStmt is valid CBOR conforming to the syntax defined above"
_tpm = case_maker("tpm", alg="RS256", anchor=_TPM, shape=tpm.TpmShape)

_KEY_MATCH = (
    "Verify that the public key specified by the parameters and unique fields of pubArea is identical to "
    "the credentialPublicKey in the attestedCredentialData in authenticatorData."
)
_NAME = (
    "Verify that attested contains a TPMS_CERTIFY_INFO structure ... whose name field contains a valid Name "
    "for pubArea, as computed using the algorithm in the nameAlg field of pubArea"
)
_SAN = "The Subject Alternative Name extension MUST be set as defined in [TPMv2-EK-Profile] section 3.2.9."

MUTATIONS: tuple[Mutation, ...] = (
    # --- valid ---
    _tpm(
        "rs256-valid",
        None,
        "valid: RSA credential key, RSA AIK, RS256 (FIDO Resp-9 P-1)",
        ACCEPT,
        note="benchmark workload: tpm RS256",
    ),
    _tpm(
        "es256-ecc-valid",
        None,
        "valid: ECC P-256 pubArea, ECC AIK, ES256 (FIDO Resp-9 P-4)",
        ACCEPT,
        alg="ES256",
        aik_alg="ES256",
    ),
    _tpm(
        "es256-rsa-aik-valid",
        None,
        "valid: ECC credential key attested by an RSA AIK (Windows Hello shape)",
        ACCEPT,
        alg="ES256",
    ),
    _tpm(
        "rs256-explicit-exponent",
        None,
        "valid: TPMS_RSA_PARMS.exponent 65537 written out instead of 0",
        ACCEPT,
        explicit_exponent=True,
    ),
    _tpm(
        "rs256-san-three-rdns",
        None,
        "valid: TPM SAN attributes as three RDNs instead of one multi-valued RDN",
        ACCEPT,
        san="three-rdns",
    ),
    _tpm(
        "rs256-aaguid-extension-match",
        None,
        "valid: AIK certificate carries id-fido-gen-ce-aaguid = aaguid",
        ACCEPT,
        aaguid_ext="match",
    ),
    _tpm(
        "rs256-name-alg-sha384",
        None,
        "valid: attested.name computed with the nameAlg it encodes (SHA-384), pubArea.nameAlg SHA-256 "
        "(FIDO Resp-9 P-3)",
        ACCEPT,
        name_prefix_alg=tpm.TPM_ALG_SHA384,
    ),
    # --- policy ---
    _tpm(
        "rs1-statement",
        "attestation statement alg RS1 (SHA-1), as Windows Hello TPMs send",
        "RS1 (SHA-1) accepted or refused by an explicit policy switch (Policy.allow_sha1)",
        {"strict": "att_stmt.alg.sha1_forbidden", "fido-conformance": None, "permissive": None},
        aik_alg="RS1",
    ),
    _tpm(
        "test-vendor",
        "TPMManufacturer id:FFFFF1D0, the FIDO conformance tool's virtual TPM",
        "the FIDO test vendor only where policy enables test vendors (Policy.allow_test_tpm_vendors)",
        {"strict": "tpm.manufacturer.test_vendor_refused", "fido-conformance": None, "permissive": None},
        anchor=_AIK,
        manufacturer=tpm.FIDO_TEST_MANUFACTURER,
    ),
    _tpm(
        "unknown-vendor",
        "TPMManufacturer id:DEADBEEF, not in the TCG vendor ID registry",
        "TPM manufacturer id allow-list (TCG TPM Vendor ID Registry; Policy.tpm_require_known_manufacturer)",
        {"strict": "tpm.manufacturer.unknown", "fido-conformance": "tpm.manufacturer.unknown", "permissive": None},
        anchor=_AIK,
        manufacturer="id:DEADBEEF",
    ),
    _tpm(
        "name-alg-sha1",
        "attested.name uses nameAlg SHA-1",
        "SHA-1 anywhere only by policy (Policy.allow_sha1)",
        {"strict": "tpm.cert_info.name_alg_unsupported", "fido-conformance": None, "permissive": None},
        name_prefix_alg=tpm.TPM_ALG_SHA1,
    ),
    # --- syntax ---
    _tpm("ver-missing", "attStmt without ver", _SYNTAX + ': ver: "2.0"', "tpm.ver.missing", drop=("ver",)),
    _tpm("ver-1-2", 'ver "1.2"', _SYNTAX + ': ver: "2.0"', "tpm.ver.unsupported", ver="1.2"),
    _tpm("pub-area-missing", "attStmt without pubArea", _SYNTAX, "tpm.pub_area.missing", drop=("pubArea",)),
    _tpm(
        "pub-area-text",
        "pubArea is a text string",
        _SYNTAX + ": pubArea: bytes",
        "tpm.pub_area.type_invalid",
        set_fields=(("pubArea", "AAAA"),),
    ),
    _tpm("cert-info-missing", "attStmt without certInfo", _SYNTAX, "tpm.cert_info.missing", drop=("certInfo",)),
    _tpm(
        "cert-info-int",
        "certInfo is an integer",
        _SYNTAX + ": certInfo: bytes",
        "tpm.cert_info.type_invalid",
        set_fields=(("certInfo", 1),),
    ),
    _tpm(
        "x5c-missing", "attStmt without x5c", "Verify that x5c is present.", "att_stmt.x5c.missing", x5c_layout="absent"
    ),
    _tpm(
        "ecdaa-key-id",
        "attStmt carries ecdaaKeyId (ECDAA, removed in Level 2)",
        _SYNTAX,
        "att_stmt.ecdaa_key_id.unsupported",
        set_fields=(("ecdaaKeyId", b"\x01" * 32),),
    ),
    _tpm("extra-key", "attStmt carries an unknown key", _SYNTAX, "att_stmt.key.unexpected", set_fields=(("foo", 1),)),
    # --- pubArea ---
    _tpm(
        "pub-area-trailing-byte",
        "one byte after TPMT_PUBLIC (the Name covers it)",
        "pubArea: The TPMT_PUBLIC structure (no leftover bytes, fido2-net-lib #305)",
        "tpm.pub_area.trailing_bytes",
        pub_area_trailing=b"\x00",
    ),
    _tpm(
        "pub-area-truncated",
        "TPMT_PUBLIC missing its last byte",
        "pubArea: The TPMT_PUBLIC structure",
        "tpm.pub_area.malformed",
        pub_area_truncate=1,
    ),
    _tpm(
        "pub-area-keyedhash",
        "pubArea.type TPM_ALG_KEYEDHASH",
        _KEY_MATCH,
        "tpm.pub_area.key_type_unsupported",
        key_type=tpm.TPM_ALG_KEYEDHASH,
    ),
    _tpm(
        "pub-area-other-key",
        "pubArea.unique is another RSA key's modulus, certInfo recomputed (FIDO Resp-9 F-4)",
        _KEY_MATCH,
        "tpm.pub_area.key_mismatch",
        described_key=("RS256", "fidoconf/tpm/other-credential"),
    ),
    _tpm(
        "pub-area-exponent-3",
        "pubArea.parameters.exponent 3, the credential key's is 65537",
        _KEY_MATCH,
        "tpm.pub_area.key_mismatch",
        exponent=3,
    ),
    _tpm(
        "pub-area-curve-p384",
        "pubArea.curveID NIST P-384 around a P-256 point",
        _KEY_MATCH,
        "tpm.pub_area.key_mismatch",
        alg="ES256",
        aik_alg="ES256",
        curve=0x0004,
    ),
    _tpm(
        "pub-area-rsa-for-ec-key",
        "pubArea describes an RSA key, the credential key is EC2 P-256",
        _KEY_MATCH,
        "tpm.pub_area.key_mismatch",
        alg="ES256",
        described_key=("RS256", "fidoconf/tpm/other-credential"),
    ),
    _tpm(
        "pub-area-for-okp-key",
        "Ed25519 credential key: no TPMT_PUBLIC can describe it (fido2-net-lib #671)",
        _KEY_MATCH,
        "tpm.pub_area.key_mismatch",
        alg="Ed25519",
        described_key=("RS256", "fidoconf/tpm/other-credential"),
    ),
    # --- certInfo ---
    _tpm(
        "cert-info-trailing-byte",
        "one byte after TPMS_ATTEST (signed over)",
        "certInfo: The TPMS_ATTEST structure",
        "tpm.cert_info.trailing_bytes",
        cert_info_trailing=b"\x00",
    ),
    _tpm(
        "cert-info-truncated",
        "TPMS_ATTEST missing its last byte",
        "certInfo: The TPMS_ATTEST structure",
        "tpm.cert_info.malformed",
        cert_info_truncate=1,
    ),
    _tpm(
        "cert-info-magic",
        "certInfo.magic 0xdeadbeef (FIDO Resp-9 F-3)",
        "Verify that magic is set to TPM_GENERATED_VALUE.",
        "tpm.cert_info.magic_invalid",
        magic=0xDEADBEEF,
    ),
    _tpm(
        "cert-info-type-quote",
        "certInfo.type TPM_ST_ATTEST_QUOTE",
        "Verify that type is set to TPM_ST_ATTEST_CERTIFY.",
        "tpm.cert_info.attest_type_invalid",
        attest_type=tpm.TPM_ST_ATTEST_QUOTE,
    ),
    _tpm(
        "extra-data-sha1",
        "extraData hashed with SHA-1 while alg is RS256",
        'Verify that extraData is set to the hash of attToBeSigned using the hash algorithm employed in "alg".',
        "tpm.cert_info.extra_data_mismatch",
        extra_data_hash=tpm.hashes.SHA1,
    ),
    _tpm(
        "extra-data-other-bytes",
        "extraData = SHA-256 of other bytes (FIDO Resp-9 F-2)",
        'Verify that extraData is set to the hash of attToBeSigned using the hash algorithm employed in "alg".',
        "tpm.cert_info.extra_data_mismatch",
        extra_data_over=b"fidoconf: not attToBeSigned",
    ),
    _tpm(
        "name-of-other-key",
        "attested.name names another key's TPMT_PUBLIC",
        _NAME,
        "tpm.cert_info.name_mismatch",
        name_of_other_key=True,
    ),
    _tpm(
        "name-alg-mislabelled",
        "attested.name says SHA-384 but holds a SHA-256 digest",
        _NAME,
        "tpm.cert_info.name_mismatch",
        name_prefix_alg=tpm.TPM_ALG_SHA384,
        name_hash_alg=tpm.TPM_ALG_SHA256,
    ),
    _tpm(
        "name-alg-unknown",
        "attested.name's nameAlg 0x0099 is no hash",
        _NAME,
        "tpm.cert_info.name_alg_unsupported",
        name_prefix_alg=0x0099,
        name_hash_alg=tpm.TPM_ALG_SHA256,
    ),
    # --- signature ---
    _tpm(
        "sig-other-key",
        "certInfo signed by a key other than the AIK",
        "Verify the sig is a valid signature over certInfo using the attestation public key in aikCert with the "
        "algorithm specified in alg.",
        "att_stmt.sig.invalid",
        sign_with=("RS256", "fidoconf/tpm/not-the-aik"),
    ),
    _tpm(
        "x5c-reversed",
        "x5c = [intermediate, aikCert] (FIDO Resp-9 F-1)",
        "x5c: aikCert followed by its certificate chain",
        "att_stmt.sig.invalid",
        alg="ES256",
        aik_alg="ES256",
        x5c_layout="intermediate+aik",
    ),
    # --- AIK certificate ---
    _tpm(
        "aik-version-1",
        "AIK certificate is X.509 v1",
        "Version MUST be set to 3.",
        "att_cert.version.invalid",
        anchor=_AIK,
        aik_version1=True,
    ),
    _tpm(
        "aik-subject",
        "AIK certificate subject CN=fidoconf AIK",
        "Subject field MUST be set to empty.",
        "att_cert.subject.not_empty",
        anchor=_AIK,
        aik_subject_cn="fidoconf AIK",
    ),
    _tpm(
        "aik-san-missing",
        "AIK certificate without subjectAltName",
        _SAN,
        "att_cert.san.missing",
        anchor=_AIK,
        san="absent",
    ),
    _tpm(
        "aik-san-not-critical",
        "empty subject with a non-critical SAN",
        "RFC 5280 §4.2.1.6: with an empty subject the SAN MUST be critical",
        "att_cert.san.not_critical",
        anchor=_AIK,
        san_critical=False,
    ),
    _tpm(
        "aik-san-no-model",
        "SAN directoryName without TPMModel",
        _SAN,
        "att_cert.san.invalid",
        anchor=_AIK,
        san="no-model",
    ),
    _tpm(
        "aik-san-two-directory-names",
        "SAN with two directoryNames",
        _SAN,
        "att_cert.san.invalid",
        anchor=_AIK,
        san="two-directory-names",
    ),
    _tpm(
        "aik-san-manufacturer-not-id",
        'TPMManufacturer "NTC" instead of "id:4E544300"',
        _SAN,
        "att_cert.san.invalid",
        anchor=_AIK,
        manufacturer="NTC",
    ),
    _tpm(
        "aik-eku-missing",
        "AIK certificate without extendedKeyUsage",
        "The Extended Key Usage extension MUST contain the OID 2.23.133.8.3",
        "att_cert.eku.missing",
        anchor=_AIK,
        eku="absent",
    ),
    _tpm(
        "aik-eku-server-auth",
        "extendedKeyUsage is id-kp-serverAuth only",
        "The Extended Key Usage extension MUST contain the OID 2.23.133.8.3",
        "att_cert.eku.invalid",
        anchor=_AIK,
        eku="server-auth",
    ),
    _tpm(
        "aik-basic-constraints-missing",
        "AIK certificate without basicConstraints",
        "The Basic Constraints extension MUST have the CA component set to false.",
        "att_cert.basic_constraints.missing",
        anchor=_AIK,
        basic_constraints="absent",
    ),
    _tpm(
        "aik-ca-true",
        "AIK certificate with basicConstraints CA=true",
        "The Basic Constraints extension MUST have the CA component set to false.",
        "att_cert.basic_constraints.ca_true",
        anchor=_AIK,
        basic_constraints="ca-true",
    ),
    _tpm(
        "aik-aaguid-mismatch",
        "id-fido-gen-ce-aaguid differs from authData's aaguid",
        "If aikCert contains an extension with OID 1.3.6.1.4.1.45724.1.1.4 (id-fido-gen-ce-aaguid) verify that the "
        "value of this extension matches the aaguid in authenticatorData.",
        "att_cert.aaguid.mismatch",
        aaguid_ext="mismatch",
    ),
)
