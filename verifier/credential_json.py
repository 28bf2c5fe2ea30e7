"""The convenience members of a browser's registration JSON (WebAuthn L3 `AuthenticatorAttestationResponseJSON`:
`authenticatorData`, `publicKey`, `publicKeyAlgorithm`), checked against the attestation object they repeat.

They are copies, never a second source: a relying party that reads the key from `publicKey` instead of
authenticatorData registers whatever the sender wrote there, so a copy that differs from the signed original is
refused with its own code. Absent members are fine (older clients, and `publicKey` is null when the browser
cannot encode the algorithm).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

from .authdata import AuthenticatorData
from .cose import CoseKey
from .encoding import b64url_decode
from .errors import Code, fail


def check_convenience_members(response: Mapping[str, Any], *, auth_data: AuthenticatorData, key: CoseKey) -> None:
    """Each present convenience member equals what the attestation object says."""
    _check_authenticator_data(response, auth_data=auth_data)
    _check_public_key_algorithm(response, key=key)
    _check_public_key(response, key=key)


def _check_authenticator_data(response: Mapping[str, Any], *, auth_data: AuthenticatorData) -> None:
    # #dom-authenticatorattestationresponse-getauthenticatordata: "This operation returns the authenticator data
    # contained within attestationObject."
    if "authenticatorData" not in response:
        return
    if b64url_decode(response["authenticatorData"], field="authenticatorData") != auth_data.raw:
        raise fail(Code.CREDENTIAL_AUTHENTICATOR_DATA_MISMATCH, "response.authenticatorData differs from authData")


def _check_public_key_algorithm(response: Mapping[str, Any], *, key: CoseKey) -> None:
    # #dom-authenticatorattestationresponse-getpublickeyalgorithm: "This operation returns the
    # COSEAlgorithmIdentifier of the new credential."
    if "publicKeyAlgorithm" not in response:
        return
    given = response["publicKeyAlgorithm"]
    if isinstance(given, bool) or not isinstance(given, int):  # True == 1: a bool is not an algorithm
        raise fail(Code.CREDENTIAL_PUBLIC_KEY_ALGORITHM_INVALID, "response.publicKeyAlgorithm is not an integer")
    if given != key.alg.alg:
        raise fail(
            Code.CREDENTIAL_PUBLIC_KEY_ALGORITHM_MISMATCH,
            f"response.publicKeyAlgorithm is {given}, the credential key's alg is {key.alg.alg}",
        )


def _check_public_key(response: Mapping[str, Any], *, key: CoseKey) -> None:
    # #dom-authenticatorattestationresponse-getpublickey: "This operation returns the DER SubjectPublicKeyInfo of
    # the new credential, or null if this is not available."
    if response.get("publicKey") is None:
        return
    der = b64url_decode(response["publicKey"], field="publicKey")
    try:
        given = load_der_public_key(der).public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise fail(Code.CREDENTIAL_PUBLIC_KEY_INVALID, "response.publicKey is not a DER SubjectPublicKeyInfo") from None
    if given != der or given != key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo):
        raise fail(Code.CREDENTIAL_PUBLIC_KEY_MISMATCH, "response.publicKey is not the credential public key")
