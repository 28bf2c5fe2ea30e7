"""The closed vocabulary of verification failures.

The reference RP's own refusals (requests, tokens, ceremony state) are a second vocabulary, `RpCode` in
verifier/rp/errors.py: they say what the RP refused, not what was wrong with a credential.

Every refusal carries one `Code`; tests assert the code, never the message. Codes follow the grammar
``<object>.<field>.<condition>`` so a reader can find the check from the code alone. The vocabulary is closed:
adding a check means adding a code here, and `tests/test_error_vocabulary.py` proves every code is produced
by at least one test.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Code(StrEnum):
    # --- configuration handed to the verifier by the caller (not attacker input) ---
    CONFIG_EXPECTED_CHALLENGE_INVALID = "config.expected_challenge.invalid"
    CONFIG_EXPECTED_ORIGIN_INVALID = "config.expected_origin.invalid"
    CONFIG_EXPECTED_RP_ID_INVALID = "config.expected_rp_id.invalid"
    CONFIG_METADATA_TRUST_ROOT_INVALID = "config.metadata_trust_root.invalid"
    CONFIG_METADATA_CRL_INVALID = "config.metadata_crl.invalid"

    # --- the credential JSON a browser posts ---
    CREDENTIAL_JSON_INVALID = "credential.json.invalid"
    CREDENTIAL_ID_MISSING = "credential.id.missing"
    CREDENTIAL_ID_MISMATCH = "credential.id.mismatch"
    CREDENTIAL_RAW_ID_MISSING = "credential.raw_id.missing"
    CREDENTIAL_RAW_ID_MISMATCH = "credential.raw_id.mismatch"
    CREDENTIAL_TYPE_INVALID = "credential.type.invalid"
    CREDENTIAL_RESPONSE_MISSING = "credential.response.missing"
    CREDENTIAL_CLIENT_DATA_JSON_MISSING = "credential.client_data_json.missing"
    CREDENTIAL_ATTESTATION_OBJECT_MISSING = "credential.attestation_object.missing"
    CREDENTIAL_TRANSPORTS_INVALID = "credential.transports.invalid"
    # the L3 JSON's convenience copies (authenticatorData, publicKey, publicKeyAlgorithm) disagree with the original
    CREDENTIAL_AUTHENTICATOR_DATA_MISMATCH = "credential.authenticator_data.mismatch"
    CREDENTIAL_PUBLIC_KEY_INVALID = "credential.public_key.invalid"
    CREDENTIAL_PUBLIC_KEY_MISMATCH = "credential.public_key.mismatch"
    CREDENTIAL_PUBLIC_KEY_ALGORITHM_INVALID = "credential.public_key_algorithm.invalid"
    CREDENTIAL_PUBLIC_KEY_ALGORITHM_MISMATCH = "credential.public_key_algorithm.mismatch"

    # --- encodings ---
    ENCODING_BASE64URL_INVALID = "encoding.base64url.invalid"

    # --- strict CBOR (CTAP2 canonical profile) ---
    CBOR_ATTESTATION_OBJECT_TRAILING_BYTES = "cbor.attestation_object.trailing_bytes"
    CBOR_ATTESTATION_OBJECT_TOO_LARGE = "cbor.attestation_object.too_large"
    CBOR_ATTESTATION_OBJECT_EMPTY = "cbor.attestation_object.empty"
    CBOR_ITEM_TRUNCATED = "cbor.item.truncated"
    CBOR_ITEM_INDEFINITE_LENGTH = "cbor.item.indefinite_length"
    CBOR_ITEM_TAG_FORBIDDEN = "cbor.item.tag_forbidden"
    CBOR_ITEM_NON_MINIMAL = "cbor.item.non_minimal"
    CBOR_ITEM_FLOAT_FORBIDDEN = "cbor.item.float_forbidden"
    CBOR_ITEM_SIMPLE_FORBIDDEN = "cbor.item.simple_forbidden"
    CBOR_ITEM_RESERVED = "cbor.item.reserved"
    CBOR_ITEM_TOO_DEEP = "cbor.item.too_deep"
    CBOR_ITEM_TOO_LARGE = "cbor.item.too_large"
    CBOR_MAP_DUPLICATE_KEY = "cbor.map.duplicate_key"
    CBOR_MAP_KEY_TYPE_INVALID = "cbor.map.key_type_invalid"
    CBOR_MAP_UNSORTED = "cbor.map.unsorted"
    CBOR_TEXT_INVALID_UTF8 = "cbor.text.invalid_utf8"

    # --- attestation object structure ---
    ATTESTATION_OBJECT_NOT_MAP = "attestation_object.type.not_map"
    ATTESTATION_OBJECT_FMT_MISSING = "attestation_object.fmt.missing"
    ATTESTATION_OBJECT_FMT_TYPE_INVALID = "attestation_object.fmt.type_invalid"
    ATTESTATION_OBJECT_ATT_STMT_MISSING = "attestation_object.att_stmt.missing"
    ATTESTATION_OBJECT_ATT_STMT_TYPE_INVALID = "attestation_object.att_stmt.type_invalid"
    ATTESTATION_OBJECT_AUTH_DATA_MISSING = "attestation_object.auth_data.missing"
    ATTESTATION_OBJECT_AUTH_DATA_TYPE_INVALID = "attestation_object.auth_data.type_invalid"
    ATTESTATION_OBJECT_KEY_UNEXPECTED = "attestation_object.key.unexpected"
    ATTESTATION_FMT_UNSUPPORTED = "attestation.fmt.unsupported"
    ATTESTATION_FMT_NOT_ALLOWED = "attestation.fmt.not_allowed"
    ATTESTATION_TYPE_NOT_ALLOWED = "attestation.type.not_allowed"

    # --- client data ---
    CLIENT_DATA_JSON_INVALID = "client_data.json.invalid"
    CLIENT_DATA_JSON_DUPLICATE_KEY = "client_data.json.duplicate_key"
    CLIENT_DATA_TYPE_MISSING = "client_data.type.missing"
    CLIENT_DATA_TYPE_MISMATCH = "client_data.type.mismatch"
    CLIENT_DATA_CHALLENGE_MISSING = "client_data.challenge.missing"
    CLIENT_DATA_CHALLENGE_MISMATCH = "client_data.challenge.mismatch"
    CLIENT_DATA_ORIGIN_MISSING = "client_data.origin.missing"
    CLIENT_DATA_ORIGIN_MISMATCH = "client_data.origin.mismatch"
    CLIENT_DATA_CROSS_ORIGIN_TYPE_INVALID = "client_data.cross_origin.type_invalid"
    CLIENT_DATA_CROSS_ORIGIN_FORBIDDEN = "client_data.cross_origin.forbidden"
    CLIENT_DATA_TOP_ORIGIN_FORBIDDEN = "client_data.top_origin.forbidden"
    CLIENT_DATA_TOP_ORIGIN_MISMATCH = "client_data.top_origin.mismatch"
    CLIENT_DATA_TOKEN_BINDING_INVALID = "client_data.token_binding.invalid"

    # --- authenticator data ---
    AUTH_DATA_LENGTH_TOO_SHORT = "auth_data.length.too_short"
    AUTH_DATA_RP_ID_HASH_MISMATCH = "auth_data.rp_id_hash.mismatch"
    AUTH_DATA_FLAGS_UP_MISSING = "auth_data.flags.up_missing"
    AUTH_DATA_FLAGS_UV_MISSING = "auth_data.flags.uv_missing"
    AUTH_DATA_FLAGS_AT_MISSING = "auth_data.flags.at_missing"
    AUTH_DATA_FLAGS_BS_WITHOUT_BE = "auth_data.flags.bs_without_be"
    AUTH_DATA_ATTESTED_CREDENTIAL_DATA_TRUNCATED = "auth_data.attested_credential_data.truncated"
    AUTH_DATA_CREDENTIAL_ID_EMPTY = "auth_data.credential_id.empty"
    AUTH_DATA_CREDENTIAL_ID_TOO_LONG = "auth_data.credential_id.too_long"
    AUTH_DATA_CREDENTIAL_ID_TRUNCATED = "auth_data.credential_id.truncated"
    AUTH_DATA_CREDENTIAL_PUBLIC_KEY_MISSING = "auth_data.credential_public_key.missing"
    AUTH_DATA_EXTENSIONS_MISSING = "auth_data.extensions.missing"
    AUTH_DATA_EXTENSIONS_TYPE_INVALID = "auth_data.extensions.type_invalid"
    AUTH_DATA_TRAILING_BYTES = "auth_data.trailing_bytes.present"
    AUTH_DATA_AAGUID_NOT_ZERO = "auth_data.aaguid.not_zero"

    # --- COSE credential public key ---
    COSE_KEY_TYPE_INVALID = "cose_key.type.not_map"
    COSE_KEY_LABEL_INVALID = "cose_key.label.invalid"
    COSE_KEY_PARAM_UNEXPECTED = "cose_key.param.unexpected"
    COSE_KEY_KTY_MISSING = "cose_key.kty.missing"
    COSE_KEY_KTY_UNSUPPORTED = "cose_key.kty.unsupported"
    COSE_KEY_KTY_TYPE_INVALID = "cose_key.kty.type_invalid"
    COSE_KEY_ALG_MISSING = "cose_key.alg.missing"
    COSE_KEY_ALG_UNSUPPORTED = "cose_key.alg.unsupported"
    COSE_KEY_ALG_KTY_MISMATCH = "cose_key.alg.kty_mismatch"
    COSE_KEY_ALG_NOT_ALLOWED = "cose_key.alg.not_allowed"
    COSE_KEY_CRV_MISSING = "cose_key.crv.missing"
    COSE_KEY_CRV_UNSUPPORTED = "cose_key.crv.unsupported"
    COSE_KEY_CRV_TYPE_INVALID = "cose_key.crv.type_invalid"
    COSE_KEY_CRV_ALG_MISMATCH = "cose_key.crv.alg_mismatch"
    COSE_KEY_X_MISSING = "cose_key.x.missing"
    COSE_KEY_X_LENGTH_INVALID = "cose_key.x.length_invalid"
    COSE_KEY_Y_MISSING = "cose_key.y.missing"
    COSE_KEY_Y_LENGTH_INVALID = "cose_key.y.length_invalid"
    COSE_KEY_POINT_INVALID = "cose_key.point.invalid"
    COSE_KEY_POINT_WEAK = "cose_key.point.weak"
    COSE_KEY_N_MISSING = "cose_key.n.missing"
    COSE_KEY_N_INVALID = "cose_key.n.invalid"
    COSE_KEY_E_MISSING = "cose_key.e.missing"
    COSE_KEY_E_INVALID = "cose_key.e.invalid"
    COSE_KEY_RSA_TOO_SMALL = "cose_key.rsa.too_small"
    COSE_KEY_PUB_MISSING = "cose_key.pub.missing"
    COSE_KEY_PUB_LENGTH_INVALID = "cose_key.pub.length_invalid"

    # --- attestation statement (shared by formats) ---
    ATT_STMT_KEY_UNEXPECTED = "att_stmt.key.unexpected"
    ATT_STMT_ALG_MISSING = "att_stmt.alg.missing"
    ATT_STMT_ALG_TYPE_INVALID = "att_stmt.alg.type_invalid"
    ATT_STMT_ALG_UNSUPPORTED = "att_stmt.alg.unsupported"
    ATT_STMT_ALG_SHA1_FORBIDDEN = "att_stmt.alg.sha1_forbidden"
    ATT_STMT_ALG_MISMATCH = "att_stmt.alg.mismatch"
    ATT_STMT_SIG_MISSING = "att_stmt.sig.missing"
    ATT_STMT_SIG_TYPE_INVALID = "att_stmt.sig.type_invalid"
    ATT_STMT_SIG_MALFORMED = "att_stmt.sig.malformed"
    ATT_STMT_SIG_INVALID = "att_stmt.sig.invalid"
    ATT_STMT_X5C_MISSING = "att_stmt.x5c.missing"
    ATT_STMT_X5C_TYPE_INVALID = "att_stmt.x5c.type_invalid"
    ATT_STMT_X5C_EMPTY = "att_stmt.x5c.empty"
    ATT_STMT_X5C_COUNT_INVALID = "att_stmt.x5c.count_invalid"
    ATT_STMT_X5C_CERT_INVALID = "att_stmt.x5c.cert_invalid"
    ATT_STMT_ECDAA_UNSUPPORTED = "att_stmt.ecdaa_key_id.unsupported"

    # --- attestation certificate requirements ---
    ATT_CERT_VERSION_INVALID = "att_cert.version.invalid"
    ATT_CERT_SUBJECT_INVALID = "att_cert.subject.invalid"
    ATT_CERT_BASIC_CONSTRAINTS_CA = "att_cert.basic_constraints.ca_true"
    ATT_CERT_AAGUID_MISMATCH = "att_cert.aaguid.mismatch"
    ATT_CERT_AAGUID_CRITICAL = "att_cert.aaguid.critical"
    ATT_CERT_AAGUID_MALFORMED = "att_cert.aaguid.malformed"
    ATT_CERT_PUBLIC_KEY_INVALID = "att_cert.public_key.invalid"
    ATT_CERT_PUBLIC_KEY_MISMATCH = "att_cert.public_key.mismatch"
    ATT_CERT_EXTENSIONS_MALFORMED = "att_cert.extensions.malformed"

    # --- trust and chains ---
    TRUST_ANCHOR_MISSING = "trust.anchor.missing"
    TRUST_CHAIN_UNTRUSTED = "trust.chain.untrusted"
    TRUST_CHAIN_EXPIRED = "trust.chain.expired"
    TRUST_CHAIN_NOT_YET_VALID = "trust.chain.not_yet_valid"
    TRUST_CHAIN_INVALID = "trust.chain.invalid"
    TRUST_CHAIN_ROOT_INCLUDED = "trust.chain.root_included"
    TRUST_CHAIN_WEAK_SIGNATURE = "trust.chain.weak_signature"
    TRUST_CHAIN_WEAK_KEY = "trust.chain.weak_key"
    TRUST_CHAIN_TOO_LONG = "trust.chain.too_long"
    TRUST_CHAIN_TOO_COSTLY = "trust.chain.too_costly"

    # --- metadata (FIDO MDS3 BLOB and its entries) ---
    METADATA_BLOB_MALFORMED = "metadata.blob.malformed"
    METADATA_BLOB_SIGNATURE_INVALID = "metadata.blob.signature_invalid"
    METADATA_BLOB_CHAIN_UNTRUSTED = "metadata.blob.chain_untrusted"
    METADATA_BLOB_SIGNER_REVOKED = "metadata.blob.signer_revoked"
    METADATA_BLOB_STALE = "metadata.blob.stale"
    METADATA_ENTRY_UNKNOWN_AAGUID = "metadata.entry.unknown_aaguid"
    METADATA_STATUS_REVOKED = "metadata.status.revoked"
    METADATA_STATUS_ATTESTATION_KEY_COMPROMISE = "metadata.status.attestation_key_compromise"
    METADATA_STATUS_USER_VERIFICATION_BYPASS = "metadata.status.user_verification_bypass"
    METADATA_STATUS_USER_KEY_REMOTE_COMPROMISE = "metadata.status.user_key_remote_compromise"
    METADATA_STATUS_USER_KEY_PHYSICAL_COMPROMISE = "metadata.status.user_key_physical_compromise"
    METADATA_ATTESTATION_TYPE_NOT_LISTED = "metadata.attestation_type.not_listed"
    METADATA_ALGORITHM_NOT_LISTED = "metadata.algorithm.not_listed"

    # --- tpm ---
    TPM_VER_MISSING = "tpm.ver.missing"
    TPM_VER_UNSUPPORTED = "tpm.ver.unsupported"
    TPM_PUB_AREA_MISSING = "tpm.pub_area.missing"
    TPM_PUB_AREA_TYPE_INVALID = "tpm.pub_area.type_invalid"
    TPM_PUB_AREA_MALFORMED = "tpm.pub_area.malformed"
    TPM_PUB_AREA_TRAILING_BYTES = "tpm.pub_area.trailing_bytes"
    TPM_PUB_AREA_KEY_TYPE_UNSUPPORTED = "tpm.pub_area.key_type_unsupported"
    TPM_PUB_AREA_KEY_MISMATCH = "tpm.pub_area.key_mismatch"
    TPM_CERT_INFO_MISSING = "tpm.cert_info.missing"
    TPM_CERT_INFO_TYPE_INVALID = "tpm.cert_info.type_invalid"
    TPM_CERT_INFO_MALFORMED = "tpm.cert_info.malformed"
    TPM_CERT_INFO_TRAILING_BYTES = "tpm.cert_info.trailing_bytes"
    TPM_CERT_INFO_MAGIC_INVALID = "tpm.cert_info.magic_invalid"
    TPM_CERT_INFO_ATTEST_TYPE_INVALID = "tpm.cert_info.attest_type_invalid"
    TPM_CERT_INFO_EXTRA_DATA_MISMATCH = "tpm.cert_info.extra_data_mismatch"
    TPM_CERT_INFO_NAME_ALG_UNSUPPORTED = "tpm.cert_info.name_alg_unsupported"
    TPM_CERT_INFO_NAME_MISMATCH = "tpm.cert_info.name_mismatch"
    TPM_MANUFACTURER_UNKNOWN = "tpm.manufacturer.unknown"
    TPM_MANUFACTURER_TEST_VENDOR_REFUSED = "tpm.manufacturer.test_vendor_refused"
    ATT_CERT_SUBJECT_NOT_EMPTY = "att_cert.subject.not_empty"
    ATT_CERT_SAN_MISSING = "att_cert.san.missing"
    ATT_CERT_SAN_NOT_CRITICAL = "att_cert.san.not_critical"
    ATT_CERT_SAN_INVALID = "att_cert.san.invalid"
    ATT_CERT_EKU_MISSING = "att_cert.eku.missing"
    ATT_CERT_EKU_INVALID = "att_cert.eku.invalid"
    ATT_CERT_BASIC_CONSTRAINTS_MISSING = "att_cert.basic_constraints.missing"

    # --- android-key ---
    ATT_CERT_KEY_DESCRIPTION_MISSING = "att_cert.key_description.missing"
    ATT_CERT_KEY_DESCRIPTION_MALFORMED = "att_cert.key_description.malformed"
    ANDROID_KEY_CHALLENGE_MISMATCH = "android_key.challenge.mismatch"
    ANDROID_KEY_ALL_APPLICATIONS_PRESENT = "android_key.all_applications.present"
    ANDROID_KEY_ORIGIN_MISSING = "android_key.origin.missing"
    ANDROID_KEY_ORIGIN_INVALID = "android_key.origin.invalid"
    ANDROID_KEY_PURPOSE_MISSING = "android_key.purpose.missing"
    ANDROID_KEY_PURPOSE_INVALID = "android_key.purpose.invalid"

    # --- format-specific ---
    ATT_CERT_NONCE_MISMATCH = "att_cert.nonce.mismatch"
    SAFETYNET_RESPONSE_CTS_PROFILE_MATCH_FALSE = "safetynet_response.cts_profile_match.false"

    # --- android-safetynet ---
    SAFETYNET_VER_MISSING = "safetynet.ver.missing"
    SAFETYNET_VER_INVALID = "safetynet.ver.invalid"
    SAFETYNET_RESPONSE_MISSING = "safetynet.response.missing"
    SAFETYNET_RESPONSE_TYPE_INVALID = "safetynet.response.type_invalid"
    SAFETYNET_RESPONSE_JWS_MALFORMED = "safetynet_response.jws.malformed"
    SAFETYNET_RESPONSE_ALG_UNSUPPORTED = "safetynet_response.alg.unsupported"
    SAFETYNET_RESPONSE_ALG_KEY_MISMATCH = "safetynet_response.alg.key_mismatch"
    SAFETYNET_RESPONSE_CRIT_UNSUPPORTED = "safetynet_response.crit.unsupported"
    SAFETYNET_RESPONSE_X5C_MISSING = "safetynet_response.x5c.missing"
    SAFETYNET_RESPONSE_X5C_INVALID = "safetynet_response.x5c.invalid"
    SAFETYNET_RESPONSE_SIGNATURE_INVALID = "safetynet_response.signature.invalid"
    SAFETYNET_RESPONSE_NONCE_MISSING = "safetynet_response.nonce.missing"
    SAFETYNET_RESPONSE_NONCE_MISMATCH = "safetynet_response.nonce.mismatch"
    SAFETYNET_RESPONSE_BASIC_INTEGRITY_FALSE = "safetynet_response.basic_integrity.false"
    SAFETYNET_RESPONSE_TIMESTAMP_INVALID = "safetynet_response.timestamp.invalid"
    SAFETYNET_RESPONSE_TIMESTAMP_FUTURE = "safetynet_response.timestamp.future"
    SAFETYNET_RESPONSE_TIMESTAMP_EXPIRED = "safetynet_response.timestamp.expired"
    ATT_CERT_HOSTNAME_MISMATCH = "att_cert.hostname.mismatch"

    # --- apple ---
    ATT_CERT_NONCE_MISSING = "att_cert.nonce.missing"
    ATT_CERT_NONCE_MALFORMED = "att_cert.nonce.malformed"

    # --- compound ---
    ATT_STMT_COMPOUND_TOO_FEW = "att_stmt.compound.too_few"
    ATT_STMT_COMPOUND_TOO_MANY = "att_stmt.compound.too_many"
    ATT_STMT_COMPOUND_ENTRY_MALFORMED = "att_stmt.compound.entry_malformed"
    ATT_STMT_COMPOUND_NESTED = "att_stmt.compound.nested"
    ATT_STMT_COMPOUND_ALL_NONE = "att_stmt.compound.all_none"

    # --- the last-resort boundary: a bug in fidoconf, never an expected outcome ---
    INTERNAL_UNEXPECTED = "internal.unexpected.error"


class VerificationError(Exception):
    """A coded refusal. `code` is stable; `message` is for people; `detail` locates the defect."""

    def __init__(self, code: StrEnum, message: str = "", **detail: Any) -> None:
        # A member of a closed vocabulary (Code, or the RP's RpCode) stays itself; a bare string must be a Code.
        self.code = code if isinstance(code, StrEnum) else Code(code)
        self.message = message or self.code.value
        self.detail = detail
        super().__init__(f"{self.code.value}: {self.message}")

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code.value, "message": self.message, "detail": _jsonable(self.detail)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def fail(code: StrEnum, message: str = "", **detail: Any) -> VerificationError:
    """Build an error to raise: ``raise fail(Code.X, "why", where=...)`` reads as the spec step."""
    return VerificationError(code, message, **detail)
