"""compound (#sctn-compound-attestation): an array of {fmt, attStmt} elements for one credential.

Each element is a complete statement over the same authenticatorData and clientDataHash, built by its own
format's builder (packed here; apple and android-safetynet from this package). Stages a case may edit:
builders (the element builders, in order), elements (the finished array, or whatever replaces it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ca import ChainProfile
from ..keys import derive_key
from . import apple, safetynet
from .common import Parts, apply, case_maker, policy_dependent, serial

FMT = "compound"
Element = Callable[[Parts], dict[str, Any]]


def statement(parts: Parts, edits: dict[str, Any]) -> Any:
    elements = [build(parts) for build in edits.get("builders", (PACKED, APPLE))]
    return apply(edits, "elements", elements, parts)


def packed_statement(parts: Parts, *, self_attestation: bool = False, forge: bool = False) -> dict[str, Any]:
    """#sctn-packed-attestation: sig over authenticatorData || clientDataHash, by the credential key (self) or by
    a test-PKI attestation key with x5c. `forge` signs other bytes, so only the signature is wrong."""
    signed = parts.auth_data + parts.client_data_hash
    if self_attestation:
        return {"alg": parts.credential_key.spec.alg, "sig": parts.credential_key.sign(signed)}
    key = derive_key("ES256", "fidoconf/packed-x5c/ES256/attestation")
    aaguid = parts.auth_data[37:53]
    x5c = parts.pki.chain(key, aaguid=aaguid, profile=ChainProfile(), serial=serial(f"{parts.seed}/packed"))
    return {"alg": key.spec.alg, "sig": key.sign(signed + (b"forged" if forge else b"")), "x5c": x5c}


def _element(fmt: str, build: Callable[[Parts], Any]) -> Element:
    return lambda parts: {"fmt": fmt, "attStmt": build(parts)}


PACKED = _element("packed", packed_statement)
PACKED_SELF = _element("packed", lambda p: packed_statement(p, self_attestation=True))
PACKED_FORGED = _element("packed", lambda p: packed_statement(p, forge=True))
APPLE = _element("apple", lambda p: apple.statement(p, {}))
APPLE_WRONG_NONCE = _element("apple", lambda p: apple.statement(p, {"leaf": apple.NONCE_OVER_AUTH_DATA}))
NONE = _element("none", lambda _p: {})
SAFETYNET = _element("android-safetynet", lambda p: safetynet.statement(p, {"signer": safetynet.ES256}))


def _of(*builders: Element) -> dict[str, Any]:
    return {"builders": builders}


def _elements(edit: Callable[[list, Parts], Any]) -> dict[str, Any]:
    return {"elements": edit}


_case = case_maker(FMT, "compound")
_MALFORMED = "att_stmt.compound.entry_malformed"

MUTATIONS = (
    _case("valid-packed-apple", None, _of(PACKED, APPLE), None),
    _case("valid-packed-self-safetynet", None, _of(PACKED_SELF, SAFETYNET), None),
    _case("valid-none-packed", None, _of(NONE, PACKED), None, "none adds nothing; packed carries the statement"),
    _case("empty", "attStmt is []", _of(), "att_stmt.compound.too_few"),
    _case("one-element", "a single packed element", _of(PACKED), "att_stmt.compound.too_few"),
    _case("too-many", "9 packed self elements", _of(*[PACKED_SELF] * 9), "att_stmt.compound.too_many"),
    _case(
        "att-stmt-map",
        "attStmt is the map {fmt, attStmt} instead of an array of them",
        _elements(lambda e, _p: e[0]),
        "attestation_object.att_stmt.type_invalid",
    ),
    _case(
        "nested",
        "second element is compound",
        _elements(lambda e, _p: [e[0], {"fmt": "compound", "attStmt": []}]),
        "att_stmt.compound.nested",
    ),
    _case(
        "nested-deep",
        "second element is compound with two none elements",
        _elements(lambda e, p: [e[0], {"fmt": "compound", "attStmt": [NONE(p), NONE(p)]}]),
        "cbor.item.too_deep",
        "the strict CBOR profile's depth limit refuses it before the compound rules are reached",
    ),
    _case("element-not-map", "second element is a byte string", _elements(lambda e, _p: [e[0], b"\x00"]), _MALFORMED),
    _case(
        "element-extra-key",
        "first element carries authData too",
        _elements(lambda e, p: [{**e[0], "authData": p.auth_data}, e[1]]),
        _MALFORMED,
    ),
    _case(
        "element-fmt-missing",
        "first element without fmt",
        _elements(lambda e, _p: [{"attStmt": e[0]["attStmt"]}, e[1]]),
        _MALFORMED,
    ),
    _case(
        "element-fmt-unknown",
        "first element fmt 'Packed'",
        _elements(lambda e, _p: [{**e[0], "fmt": "Packed"}, e[1]]),
        "attestation.fmt.unsupported",
    ),
    _case(
        "element-att-stmt-array",
        "first element attStmt is []",
        _elements(lambda e, _p: [{**e[0], "attStmt": []}, e[1]]),
        "attestation_object.att_stmt.type_invalid",
    ),
    _case("all-none", "two none elements", _of(NONE, NONE), "att_stmt.compound.all_none"),
    _case(
        "valid-plus-forged",
        "packed valid, apple with a wrong nonce",
        _of(PACKED, APPLE_WRONG_NONCE),
        policy_dependent("att_cert.nonce.mismatch"),
        "permissive drops a failing element when another element other than none verifies",
    ),
    _case(
        "none-plus-forged",
        "none, and packed with a forged signature",
        _of(NONE, PACKED_FORGED),
        "att_stmt.sig.invalid",
        "no preset lets none carry a compound statement",
    ),
)
