"""Verifying an MDS3 BLOB (fido-metadata-service-v3.0 #metadata-blob-object-processing-rules), offline and at clock().

The JWS signature and the payload's typed parsing are `fido2.mds3.parse_blob`'s. What that function does not do is
done here: it checks each x5c link's signature but never validity periods, CA flags or revocation, and it has no
notion of time. So before calling it the signer chain is validated with `cryptography.x509.verification` at the
injected clock and checked against the CRLs the caller supplied with the root; afterwards nextUpdate is checked
against the same clock. Every failure is a `metadata.blob.*` (or `config.metadata_*`) code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as ChainError
from fido2.attestation import InvalidSignature as ChainLinkInvalid
from fido2.mds3 import MetadataBlobPayload, parse_blob

from .encoding import b64url_encode
from .errors import Code, fail
from .jws import CompactJws, parse_compact_jws, x5c_der
from .policy import Policy

#: JWS "alg" values fido2's CoseKey verifies, each with the signer key it requires.
_JWS_KEYS: Mapping[str, Callable[[object], bool]] = {
    "ES256": lambda k: isinstance(k, ec.EllipticCurvePublicKey) and isinstance(k.curve, ec.SECP256R1),
    "ES384": lambda k: isinstance(k, ec.EllipticCurvePublicKey) and isinstance(k.curve, ec.SECP384R1),
    "ES512": lambda k: isinstance(k, ec.EllipticCurvePublicKey) and isinstance(k.curve, ec.SECP521R1),
    "RS256": lambda k: isinstance(k, rsa.RSAPublicKey),
    "PS256": lambda k: isinstance(k, rsa.RSAPublicKey),
    "EdDSA": lambda k: isinstance(k, ed25519.Ed25519PublicKey),
}
_ECDSA_SIZES = {"ES256": 32, "ES384": 48, "ES512": 66}


@dataclass(frozen=True, slots=True)
class VerifiedBlob:
    payload: MetadataBlobPayload
    #: Signer first, trust root last.
    signer_chain: tuple[x509.Certificate, ...]
    #: True only when a CRL covered every certificate below the root.
    revocation_checked: bool


def verify_blob(
    blob: bytes | str | Path,
    *,
    trust_root: x509.Certificate | Path | bytes,
    crls: tuple[x509.CertificateRevocationList | Path | bytes, ...],
    policy: Policy,
    at: datetime,
) -> VerifiedBlob:
    raw = blob_bytes(blob)
    root = load_trust_root(trust_root)
    revocation_lists = tuple(load_crl(c) for c in crls)
    jws = _split_jws(raw)
    chain = _validate_signer_chain(_x5c(jws.header), root=root, at=at)
    checked = _check_revocation(chain, revocation_lists)
    payload = _verified_payload(jws, signer=chain[0], root=root)
    _check_fresh(payload, policy=policy, at=at)
    return VerifiedBlob(payload, chain, checked)


def blob_bytes(blob: bytes | str | Path) -> bytes:
    """The compact JWS: bytes or text as given, or the content of a Path."""
    if isinstance(blob, Path):
        blob = blob.read_bytes()
    if isinstance(blob, str):
        if not blob.isascii():
            raise fail(Code.METADATA_BLOB_MALFORMED, "BLOB text is not ASCII")
        blob = blob.encode("ascii")
    if not isinstance(blob, bytes):
        raise fail(Code.METADATA_BLOB_MALFORMED, f"BLOB is {type(blob).__name__}, not bytes, text or a Path")
    # Files fetched with curl end in a newline, which is not part of the compact serialization.
    return blob.strip()


def load_trust_root(value: x509.Certificate | Path | bytes) -> x509.Certificate:
    if isinstance(value, x509.Certificate):
        return value
    data = value.read_bytes() if isinstance(value, Path) else value
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (AttributeError, TypeError, ValueError) as exc:
        raise fail(Code.CONFIG_METADATA_TRUST_ROOT_INVALID, f"trust root is not a certificate: {exc}") from exc


def load_crl(value: x509.CertificateRevocationList | Path | bytes) -> x509.CertificateRevocationList:
    if isinstance(value, x509.CertificateRevocationList):
        return value
    data = value.read_bytes() if isinstance(value, Path) else value
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except (AttributeError, TypeError, ValueError) as exc:
        raise fail(Code.CONFIG_METADATA_CRL_INVALID, f"CRL does not parse: {exc}") from exc


def _split_jws(raw: bytes) -> CompactJws:
    # #metadata-blob: "The metadata BLOB is a JSON Web Token (see [JWT] and [JWS])", in compact serialization.
    jws = parse_compact_jws(raw, code=Code.METADATA_BLOB_MALFORMED, what="BLOB")
    # Checked here so fido2 (lenient: it turns "no": "1" into 1) only sees a well-typed object, no duplicates, no NaN.
    # Integers stay Python ints: 64-bit vendor values in a statement (FIDO tool Resp-5 P-5) parse exactly.
    _check_payload_shape(jws.payload_object(code=Code.METADATA_BLOB_MALFORMED, what="BLOB"))
    return jws


def _check_payload_shape(payload: Mapping[str, object]) -> None:
    # #metadata-blob-payload-dictionary: legalHeader DOMString, no Number, nextUpdate DOMString, entries sequence.
    shape = {"legalHeader": str, "no": int, "nextUpdate": str, "entries": list}
    for key, kind in shape.items():
        value = payload.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise fail(Code.METADATA_BLOB_MALFORMED, f"payload {key} is missing or not a {kind.__name__}")
    if not all(isinstance(entry, dict) for entry in payload["entries"]):
        raise fail(Code.METADATA_BLOB_MALFORMED, "payload entries are not all objects")


def _x5c(header: Mapping[str, object]) -> tuple[x509.Certificate, ...]:
    # "If the x5u attribute is missing, the chain should be retrieved from the x5c attribute. If that attribute is
    # missing as well, Metadata BLOB signing trust anchor is considered the BLOB signing certificate chain."
    # x5u means a download; an offline verifier refuses it rather than silently skipping the chain.
    if "x5u" in header:
        raise fail(Code.METADATA_BLOB_MALFORMED, "x5u (download the signer chain) is not supported offline")
    if "x5c" not in header:
        return ()
    certs = []
    for i, der in enumerate(x5c_der(header["x5c"], code=Code.METADATA_BLOB_MALFORMED, what="header")):
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            raise fail(Code.METADATA_BLOB_MALFORMED, f"header x5c[{i}] is not a DER certificate") from exc
    return tuple(certs)


def _validate_signer_chain(
    signers: tuple[x509.Certificate, ...], *, root: x509.Certificate, at: datetime
) -> tuple[x509.Certificate, ...]:
    # "The certificate chain MUST be verified to properly chain to the metadata BLOB signing trust anchor according
    # to [RFC5280]." Path validation at the injected time. The extension profile is relaxed from the Web PKI one
    # (an MDS signer has no SAN, the spec example's has no AKI), but every issuer must still be a CA.
    if not signers:
        if not root.not_valid_before_utc <= at <= root.not_valid_after_utc:
            raise fail(Code.METADATA_BLOB_CHAIN_UNTRUSTED, "the trust root (the BLOB signer) is not valid at clock()")
        return (root,)
    ca_policy = ExtensionPolicy.permit_all().require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
    verifier = (
        PolicyBuilder()
        .store(Store([root]))
        .time(at)
        .extension_policies(ca_policy=ca_policy, ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )
    try:
        built = verifier.verify(signers[0], list(signers[1:]))
    except ChainError as exc:
        raise fail(Code.METADATA_BLOB_CHAIN_UNTRUSTED, f"BLOB signer chain does not validate: {exc}") from exc
    return tuple(built.chain)


def _check_revocation(chain: tuple[x509.Certificate, ...], crls: tuple[x509.CertificateRevocationList, ...]) -> bool:
    # "All certificates in the chain MUST be checked for revocation according to [RFC5280]." and "The FIDO Server
    # SHOULD ignore the file if the chain cannot be verified or if one of the chain certificates is revoked."
    # Offline, "revoked" means listed in a CRL supplied with the root and signed by the listed cert's issuer.
    covered = len(chain) > 1
    for position, (cert, issuer) in enumerate(zip(chain, chain[1:], strict=False)):
        covering = [crl for crl in crls if crl.issuer == issuer.subject]
        covered = covered and bool(covering)
        for crl in covering:
            # A CRL its issuer did not sign is configuration nobody can rely on, not a revocation to skip.
            if not crl.is_signature_valid(issuer.public_key()):
                raise fail(Code.CONFIG_METADATA_CRL_INVALID, f"CRL of {issuer.subject.rfc4514_string()} is not its own")
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                raise fail(
                    Code.METADATA_BLOB_SIGNER_REVOKED,
                    f"{cert.subject.rfc4514_string()} (serial {cert.serial_number}) is in its issuer's CRL",
                    position=position,
                )
    return covered


def _verified_payload(jws: CompactJws, *, signer: x509.Certificate, root: x509.Certificate) -> MetadataBlobPayload:
    # "Verify the signature of the Metadata BLOB object using the BLOB signing certificate chain (as determined by
    # the steps above). The FIDO Server SHOULD ignore the file if the signature is invalid."
    alg = jws.header.get("alg")
    if not isinstance(alg, str) or alg not in _JWS_KEYS:
        raise fail(Code.METADATA_BLOB_MALFORMED, f"header alg {alg!r} is not one of {sorted(_JWS_KEYS)}")
    if not _JWS_KEYS[alg](signer.public_key()):
        raise fail(Code.METADATA_BLOB_SIGNATURE_INVALID, f"alg {alg} does not fit the signer's key")
    signature = b64url_encode(_der_signature(alg, jws.signature)).encode("ascii")
    try:
        # fido2 re-checks each x5c link (validated above, at clock()) and verifies the JWS signature.
        return parse_blob(b".".join((jws.header_b64, jws.payload_b64, signature)), root.public_bytes(Encoding.DER))
    except InvalidSignature as exc:
        raise fail(Code.METADATA_BLOB_SIGNATURE_INVALID, "BLOB signature does not verify with the signer key") from exc
    except ChainLinkInvalid as exc:
        raise fail(
            Code.METADATA_BLOB_CHAIN_UNTRUSTED, "x5c is not ordered signer first, each signed by the next"
        ) from exc
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise fail(Code.METADATA_BLOB_MALFORMED, f"BLOB payload is not an MDS3 payload: {exc!r}") from exc


def _der_signature(alg: str, signature: bytes) -> bytes:
    """RFC 7518 #section-3.4: an ES* JWS signature is R||S. fido2 (and the MDS3 example BLOB) use DER: take both."""
    size = _ECDSA_SIZES.get(alg)
    if size is None:
        return signature
    try:
        decode_dss_signature(signature)
        return signature
    except ValueError:
        if len(signature) != 2 * size:
            return signature  # neither encoding; verification reports it as a bad signature
        return encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))


def _check_fresh(payload: MetadataBlobPayload, *, policy: Policy, at: datetime) -> None:
    # #dom-metadatablobpayload-nextupdate: "ISO-8601 formatted date when the next update will be provided at latest."
    # Past it (and the policy's grace), the RP is deciding from data the service has already replaced.
    grace = policy.metadata_next_update_grace_days
    # Counted as days past nextUpdate, so a nextUpdate of 9999-12-31 cannot overflow a date.
    if grace is not None and (at.date() - payload.next_update).days > grace:
        raise fail(
            Code.METADATA_BLOB_STALE,
            f"nextUpdate {payload.next_update.isoformat()} (+{grace} days) is before {at.date().isoformat()}",
        )
