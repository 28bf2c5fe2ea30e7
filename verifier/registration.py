"""verify_registration: #sctn-registering-a-new-credential, step by step.

Every input is explicit (`expected_*`, `policy`, `trust`, `clock`); nothing is global. Every refusal is a
`VerificationError` with a `Code`; this function is the parse boundary, so any other exception that escapes
a step is a fidoconf bug and is reported as `internal.unexpected.error` (the fuzz tests assert it never is).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from cryptography import x509

from .attestation import REGISTRY, AttestationContext, StatementResult, Verify
from .authdata import AuthenticatorData, Flags, parse_authenticator_data
from .clientdata import (
    check_challenge,
    check_cross_origin,
    check_origin,
    check_token_binding,
    check_type,
    parse_client_data,
)
from .cose import CoseKey, cose_key_from_map
from .credential_json import check_convenience_members
from .digest import digest
from .encoding import b64url_decode, canonical_attestation_object, decode_cbor
from .errors import Code, VerificationError, fail
from .metadata import MetadataStore, apply_metadata
from .policy import PRESETS, Policy
from .trust import TrustStore, validate_chain

_ATT_OBJ_KEYS = frozenset({"fmt", "attStmt", "authData"})
#: Chain findings that are defects of the statement itself, refused whatever the trust configuration.
_CHAIN_DEFECTS = frozenset(
    {
        Code.TRUST_CHAIN_EXPIRED,
        Code.TRUST_CHAIN_NOT_YET_VALID,
        Code.TRUST_CHAIN_INVALID,
        Code.TRUST_CHAIN_ROOT_INCLUDED,
        Code.TRUST_CHAIN_WEAK_SIGNATURE,
        Code.TRUST_CHAIN_WEAK_KEY,
        Code.TRUST_CHAIN_TOO_LONG,
        Code.TRUST_CHAIN_TOO_COSTLY,
    }
)


class RegistrationResult(NamedTuple):
    """What a verified registration established. Immutable (a NamedTuple: made on every verification, where a
    frozen dataclass spent more time in per-field setattr than the signature check around it)."""

    credential_id: bytes
    #: The COSE_Key exactly as it appeared in authenticatorData: store these bytes, never a re-encoding.
    credential_public_key: bytes
    alg: int
    sign_count: int
    aaguid: bytes
    flags: Flags
    fmt: str
    attestation_type: str
    trust_path: tuple[x509.Certificate, ...]
    trusted: bool
    trust_code: Code | None
    trust_reason: str
    extensions: Mapping[Any, Any] | None
    client_extension_results: Mapping[str, Any] = MappingProxyType({})
    transports: tuple[str, ...] = ()
    statement_info: Mapping[str, Any] = MappingProxyType({})

    def to_json(self) -> dict[str, Any]:
        return {
            "credential_id": self.credential_id.hex(),
            "credential_public_key": self.credential_public_key.hex(),
            "alg": self.alg,
            "sign_count": self.sign_count,
            "aaguid": self.aaguid.hex(),
            "flags": self.flags.to_json(),
            "fmt": self.fmt,
            "attestation_type": self.attestation_type,
            "trust_path_subjects": [c.subject.rfc4514_string() for c in self.trust_path],
            "trusted": self.trusted,
            "trust_code": self.trust_code.value if self.trust_code else None,
            "trust_reason": self.trust_reason,
        }


def _utc_now() -> datetime:
    return datetime.now(UTC)


def verify_registration(
    credential: Mapping[str, Any],
    *,
    expected_challenge: bytes,
    expected_origin: str | Sequence[str],
    expected_rp_id: str,
    expected_algorithms: Sequence[int] | None = None,
    policy: Policy = PRESETS["strict"],
    trust: TrustStore | None = None,
    clock: Callable[[], datetime] = _utc_now,
    metadata: MetadataStore | None = None,
    formats: Mapping[str, Verify] | None = None,
) -> RegistrationResult:
    """Verify a registration credential (the JSON a browser posts) against what the RP issued.

    `formats` replaces the attestation format registry (default `verifier.attestation.REGISTRY`); the suite's
    negative controls use it to build deliberately broken verifiers.
    """
    try:
        return _verify(
            credential,
            expected_challenge=expected_challenge,
            expected_origins=_origins(expected_origin),
            expected_rp_id=expected_rp_id,
            expected_algorithms=expected_algorithms,
            policy=policy,
            trust=trust if trust is not None else TrustStore.empty(),
            clock=clock,
            metadata=metadata,
            formats=REGISTRY if formats is None else formats,
        )
    except VerificationError:
        raise
    except Exception as exc:  # the parse boundary: no builtin exception leaves the verifier
        raise VerificationError(Code.INTERNAL_UNEXPECTED, f"{type(exc).__name__}: {exc}") from exc


def _origins(expected_origin: str | Sequence[str]) -> tuple[str, ...]:
    if expected_origin and isinstance(expected_origin, str):
        return (expected_origin,)
    origins = (expected_origin,) if isinstance(expected_origin, str) else tuple(expected_origin)
    if not origins or not all(isinstance(o, str) and o for o in origins):
        raise fail(Code.CONFIG_EXPECTED_ORIGIN_INVALID, "expected_origin must be a non-empty string or list of them")
    return origins


def _verify(
    credential: Mapping[str, Any],
    *,
    expected_challenge: bytes,
    expected_origins: tuple[str, ...],
    expected_rp_id: str,
    expected_algorithms: Sequence[int] | None,
    policy: Policy,
    trust: TrustStore,
    clock: Callable[[], datetime],
    metadata: MetadataStore | None,
    formats: Mapping[str, Verify],
) -> RegistrationResult:
    if not isinstance(expected_challenge, bytes) or not expected_challenge:
        raise fail(Code.CONFIG_EXPECTED_CHALLENGE_INVALID, "expected_challenge must be non-empty bytes")
    if not isinstance(expected_rp_id, str) or not expected_rp_id:
        raise fail(Code.CONFIG_EXPECTED_RP_ID_INVALID, "expected_rp_id must be a non-empty string")
    raw_id, client_data_json, attestation_object, response = _credential_fields(credential)

    # Steps 5-11: client data.
    client_data = parse_client_data(client_data_json, policy=policy)
    check_type(client_data)
    check_challenge(client_data, expected_challenge=expected_challenge)
    check_origin(client_data, expected_origins=expected_origins)
    check_cross_origin(client_data, policy=policy)
    check_token_binding(client_data, policy=policy)
    # Step 12: "Let hash be the result of computing a hash over response.clientDataJSON using SHA-256."
    client_data_hash = digest("sha256", client_data_json)

    # Step 13: "Perform CBOR decoding on the attestationObject field ... to obtain fmt, authData and attStmt."
    fmt, att_stmt, auth_data = _attestation_object(attestation_object, policy=policy)
    _check_auth_data(auth_data, expected_rp_id=expected_rp_id, policy=policy)
    if auth_data.credential_id != raw_id:
        # #sctn-registering-a-new-credential: the credential's rawId is the credentialId in authData.
        raise fail(Code.CREDENTIAL_RAW_ID_MISMATCH, "rawId differs from the credentialId in authenticatorData")
    key = cose_key_from_map(
        auth_data.credential_public_key_params,
        min_rsa_bits=policy.min_rsa_bits,
        refuse_weak_ed25519=policy.refuse_weak_ed25519_keys,
        # Self attestation verifies its signature with the credential key: build it now (a hint; valid either way).
        load_now=fmt == "packed" and "x5c" not in att_stmt,
    )
    check_convenience_members(response, auth_data=auth_data, key=key)
    # Step 20: "Verify that the "alg" parameter in the credential public key in authData matches the alg
    # attribute of one of the items in pkOptions.pubKeyCredParams."
    if expected_algorithms is not None and key.alg.alg not in expected_algorithms:
        raise fail(Code.COSE_KEY_ALG_NOT_ALLOWED, f"{key.alg.name} was not in pubKeyCredParams")
    if key.alg.alg == -65535 and not policy.allow_sha1:
        raise fail(Code.COSE_KEY_ALG_NOT_ALLOWED, "RS1 (SHA-1) credential keys are refused by policy")

    # Steps 22-23: fmt selects the statement verification procedure.
    statement = _verify_statement(
        fmt, att_stmt, auth_data, client_data_hash, key, policy=policy, clock=clock, formats=formats, trust=trust
    )
    if metadata is not None:
        # Step 24: trust anchors "from a trusted source or from policy"; the FIDO MDS entry also refuses.
        decision = apply_metadata(
            statement,
            aaguid=auth_data.aaguid,
            credential_key=key,
            metadata=metadata,
            policy=policy,
            trust=trust,
            clock=clock,
        )
        statement, trust = decision.statement, decision.trust
    trusted, trust_code, trust_reason = _assess_trust(statement, auth_data, policy=policy, trust=trust, clock=clock)
    # Positional, in RegistrationResult's field order: keyword binding of sixteen fields is measurable per call.
    return RegistrationResult(
        raw_id,
        auth_data.credential_public_key,
        key.alg.alg,
        auth_data.sign_count,
        auth_data.aaguid,
        auth_data.flags,
        fmt,
        statement.attestation_type,
        statement.trust_path,
        trusted,
        trust_code,
        trust_reason,
        auth_data.extensions,
        _mapping(credential.get("clientExtensionResults")),
        # _credential_fields has checked that transports, when present, is a list of strings.
        tuple(response.get("transports") or ()),
        statement.info,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _credential_fields(credential: Mapping[str, Any]) -> tuple[bytes, bytes, bytes, Mapping[str, Any]]:
    if not isinstance(credential, dict) and not isinstance(credential, Mapping):
        raise fail(Code.CREDENTIAL_JSON_INVALID, "credential is not a JSON object")
    if "id" not in credential:
        raise fail(Code.CREDENTIAL_ID_MISSING, "credential.id missing")
    if "rawId" not in credential:
        raise fail(Code.CREDENTIAL_RAW_ID_MISSING, "credential.rawId missing")
    raw_id = b64url_decode(credential["rawId"], field="rawId")
    # #dom-credential-id: id is the base64url encoding of rawId. Strict base64url gives each byte string exactly
    # one spelling, so comparing the texts is comparing the decoded values.
    if credential["id"] != credential["rawId"]:
        b64url_decode(credential["id"], field="id")
        raise fail(Code.CREDENTIAL_ID_MISMATCH, "credential.id is not the base64url of rawId")
    # Step 3 (#sctn-registering-a-new-credential): the credential's type is "public-key".
    if credential.get("type") != "public-key":
        raise fail(Code.CREDENTIAL_TYPE_INVALID, f"credential.type is {credential.get('type')!r}")
    response = credential.get("response")
    if not isinstance(response, dict) and not isinstance(response, Mapping):
        raise fail(Code.CREDENTIAL_RESPONSE_MISSING, "credential.response missing or not an object")
    if "clientDataJSON" not in response:
        raise fail(Code.CREDENTIAL_CLIENT_DATA_JSON_MISSING, "response.clientDataJSON missing")
    if "attestationObject" not in response:
        raise fail(Code.CREDENTIAL_ATTESTATION_OBJECT_MISSING, "response.attestationObject missing")
    client_data_json = b64url_decode(response["clientDataJSON"], field="clientDataJSON")
    attestation_object = b64url_decode(response["attestationObject"], field="attestationObject")
    transports = response.get("transports")
    if transports is not None and not (isinstance(transports, list) and all(isinstance(t, str) for t in transports)):
        raise fail(Code.CREDENTIAL_TRANSPORTS_INVALID, "response.transports is not a list of strings")
    return raw_id, client_data_json, attestation_object, response


def _attestation_object(data: bytes, *, policy: Policy) -> tuple[str, dict, AuthenticatorData]:
    if not data:
        raise fail(Code.CBOR_ATTESTATION_OBJECT_EMPTY, "attestationObject is empty")
    if len(data) > policy.cbor.max_size:
        raise fail(Code.CBOR_ATTESTATION_OBJECT_TOO_LARGE, f"attestationObject exceeds {policy.cbor.max_size} bytes")
    obj = canonical_attestation_object(data, limits=policy.cbor) or decode_cbor(
        data, what="attestationObject", trailing_code=Code.CBOR_ATTESTATION_OBJECT_TRAILING_BYTES, limits=policy.cbor
    )
    if not isinstance(obj, dict):
        raise fail(Code.ATTESTATION_OBJECT_NOT_MAP, "attestationObject is not a CBOR map")
    extra = set(obj) - _ATT_OBJ_KEYS
    if extra:
        raise fail(Code.ATTESTATION_OBJECT_KEY_UNEXPECTED, f"unexpected key(s) {sorted(map(str, extra))}")
    if "fmt" not in obj:
        raise fail(Code.ATTESTATION_OBJECT_FMT_MISSING, "fmt missing")
    if not isinstance(obj["fmt"], str):
        raise fail(Code.ATTESTATION_OBJECT_FMT_TYPE_INVALID, "fmt is not a text string")
    if "attStmt" not in obj:
        raise fail(Code.ATTESTATION_OBJECT_ATT_STMT_MISSING, "attStmt missing")
    # Every format's attStmt is a map, except compound's (#sctn-compound-attestation: "[2* nonCompoundAttStmt]").
    if not isinstance(obj["attStmt"], dict) and not (obj["fmt"] == "compound" and isinstance(obj["attStmt"], list)):
        raise fail(Code.ATTESTATION_OBJECT_ATT_STMT_TYPE_INVALID, "attStmt is not a map")
    if "authData" not in obj:
        raise fail(Code.ATTESTATION_OBJECT_AUTH_DATA_MISSING, "authData missing")
    if not isinstance(obj["authData"], bytes):
        raise fail(Code.ATTESTATION_OBJECT_AUTH_DATA_TYPE_INVALID, "authData is not a byte string")
    return obj["fmt"], obj["attStmt"], parse_authenticator_data(obj["authData"], limits=policy.cbor)


@lru_cache(maxsize=64)
def _rp_id_hash(rp_id: str) -> bytes:
    # The RP's own identity, not request input: a server computes it once, so may the verifier.
    return hashlib.sha256(rp_id.encode("utf-8")).digest()


def _check_auth_data(auth_data: AuthenticatorData, *, expected_rp_id: str, policy: Policy) -> None:
    # Step 14: "Verify that the rpIdHash in authData is the SHA-256 hash of the RP ID expected by the RP."
    if auth_data.rp_id_hash != _rp_id_hash(expected_rp_id):
        raise fail(Code.AUTH_DATA_RP_ID_HASH_MISMATCH, f"rpIdHash is not SHA-256({expected_rp_id!r})")
    # Step 15: "Verify that the UP bit of the flags in authData is set."
    if not auth_data.flags.up:
        raise fail(Code.AUTH_DATA_FLAGS_UP_MISSING, "user presence flag not set")
    # Step 16: "If the Relying Party requires user verification for this registration, verify that the UV bit
    # of the flags in authData is set."
    if policy.require_user_verification and not auth_data.flags.uv:
        raise fail(Code.AUTH_DATA_FLAGS_UV_MISSING, "user verification required by policy and not performed")
    # A registration without attested credential data has no key to register (#sctn-attested-credential-data).
    if not auth_data.flags.at or auth_data.credential_public_key is None:
        raise fail(Code.AUTH_DATA_FLAGS_AT_MISSING, "attested credential data flag not set")


def _verify_statement(
    fmt: str,
    att_stmt: dict,
    auth_data: AuthenticatorData,
    client_data_hash: bytes,
    key: CoseKey,
    *,
    policy: Policy,
    clock: Callable[[], datetime],
    formats: Mapping[str, Verify],
    trust: TrustStore,
) -> StatementResult:
    # Step 22: "Determine the attestation statement format by performing a USASCII case-sensitive match on fmt
    # against the set of supported WebAuthn Attestation Statement Format Identifier values."
    verify = formats.get(fmt)
    if verify is None:
        raise fail(Code.ATTESTATION_FMT_UNSUPPORTED, f"attestation format {fmt!r} is not supported")
    if policy.allowed_formats is not None and fmt not in policy.allowed_formats:
        raise fail(Code.ATTESTATION_FMT_NOT_ALLOWED, f"attestation format {fmt!r} is refused by policy")
    context = AttestationContext(auth_data, client_data_hash, key, policy, clock, formats, trust.name_readings())
    # Step 23: "Verify that attStmt is a correct attestation statement, conveying a valid attestation signature".
    statement = verify(att_stmt, context)
    allowed = policy.allowed_attestation_types
    if allowed is not None and statement.attestation_type not in allowed:
        raise fail(Code.ATTESTATION_TYPE_NOT_ALLOWED, f"attestation type {statement.attestation_type} refused")
    return statement


def _assess_trust(
    statement: StatementResult,
    auth_data: AuthenticatorData,
    *,
    policy: Policy,
    trust: TrustStore,
    clock: Callable[[], datetime],
) -> tuple[bool, Code | None, str]:
    # Step 25: "Assess the attestation trustworthiness using the outputs of the verification procedure".
    # Compound: every verified element's trust path is assessed; the registration is trusted only if all are.
    for part in statement.parts:
        if part.trust_path and part.trust_path != statement.trust_path:
            verdict_of_part = _assess_trust(part, auth_data, policy=policy, trust=trust, clock=clock)
            if not verdict_of_part[0]:
                return verdict_of_part
    # None and self attestation have no path: they are never "trusted", and that is not a failure.
    if not statement.trust_path:
        return False, None, f"{statement.attestation_type} attestation carries no trust path"
    verdict = validate_chain(statement.trust_path, trust=trust, aaguid=auth_data.aaguid, clock=clock, policy=policy)
    if verdict.trusted:
        return True, None, verdict.reason
    if verdict.code in _CHAIN_DEFECTS or policy.require_trusted_attestation:
        raise fail(verdict.code or Code.TRUST_CHAIN_UNTRUSTED, verdict.reason)
    return False, verdict.code, verdict.reason
