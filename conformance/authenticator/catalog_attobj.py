"""Appendix B "CBOR framing", the attestation object's members: fmt, attStmt and authData present and of their types,
fmt matched case-sensitively (docs/attacks.md A10, E9). The encoding itself is catalog_cbor."""

from __future__ import annotations

from . import requirements
from .hooks import replace_pair
from .mutations import Mutation

_ATTOBJ = "#sctn-attestation"
_ATTOBJ_REQ = "attObj = { authData: bytes, $$attStmtType } with attStmtType = ( fmt: text, attStmt: { ... } )"
_STEP13 = "#sctn-registering-a-new-credential"
_FMT_REQ = (
    "Determine the attestation statement format by performing a USASCII case-sensitive match on fmt against the "
    "set of supported WebAuthn Attestation Statement Format Identifier values."
)


def _pairs(name, description, hook, code, **kw) -> Mutation:
    # Group "cbor": these were catalog_cbor's entries, and the group is written into their generated vectors.
    return Mutation(
        name=name,
        group="cbor",
        description=description,
        requirement=kw.pop("requirement"),
        anchor=kw.pop("anchor", _STEP13),
        hooks={"attestation_object": hook},
        expected_code=code,
        **kw,
    )


MUTATIONS: tuple[Mutation, ...] = (
    # --- attestation object members (A10, E9) ---
    _pairs(
        "attobj-fmt-missing",
        "no fmt key",
        replace_pair("fmt", drop=True),
        "attestation_object.fmt.missing",
        requirement=_ATTOBJ_REQ,
        anchor=_ATTOBJ,
        level="MUST",
    ),
    _pairs(
        "attobj-fmt-bytes",
        "fmt is the byte string b'none' instead of text",
        replace_pair("fmt", b"none"),
        "attestation_object.fmt.type_invalid",
        requirement=_ATTOBJ_REQ,
        anchor=_ATTOBJ,
        level="MUST",
    ),
    _pairs(
        "attobj-att-stmt-missing",
        "no attStmt key",
        replace_pair("attStmt", drop=True),
        "attestation_object.att_stmt.missing",
        requirement=requirements.ATTOBJ_DECODE,
        anchor=_ATTOBJ,
        level="MUST",
    ),
    _pairs(
        "attobj-att-stmt-null",
        "attStmt is null",
        replace_pair("attStmt", None),
        "attestation_object.att_stmt.type_invalid",
        requirement=requirements.ATTOBJ_DECODE,
        anchor=_ATTOBJ,
        level="MUST",
    ),
    _pairs(
        "attobj-att-stmt-array",
        "attStmt is an empty array",
        replace_pair("attStmt", []),
        "attestation_object.att_stmt.type_invalid",
        requirement=requirements.NONE_EMPTY_STMT,
        anchor=_ATTOBJ,
        level="STRICT",
    ),
    _pairs(
        "attobj-auth-data-missing",
        "no authData key",
        replace_pair("authData", drop=True),
        "attestation_object.auth_data.missing",
        requirement=_ATTOBJ_REQ,
        anchor=_ATTOBJ,
        level="MUST",
    ),
    _pairs(
        "attobj-auth-data-text",
        "authData is a text string (its bytes in hex)",
        replace_pair("authData", lambda v: v.hex()),
        "attestation_object.auth_data.type_invalid",
        requirement=_ATTOBJ_REQ,
        anchor=_ATTOBJ,
        level="MUST",
    ),
    _pairs(
        "fmt-case-none",
        "fmt is 'None' (case differs)",
        replace_pair("fmt", "None"),
        "attestation.fmt.unsupported",
        requirement=requirements.FMT_MATCH,
        level="MUST",
    ),
    _pairs(
        "fmt-case-packed",
        "fmt is 'PACKED' on a packed statement",
        replace_pair("fmt", "PACKED"),
        "attestation.fmt.unsupported",
        requirement=requirements.FMT_MATCH,
        base=("packed-self", "ES256"),
        level="MUST",
    ),
    _pairs(
        "fmt-trailing-space",
        "fmt is 'packed ' (trailing space)",
        replace_pair("fmt", "packed "),
        "attestation.fmt.unsupported",
        requirement=requirements.FMT_MATCH,
        base=("packed-self", "ES256"),
        level="MUST",
    ),
    _pairs(
        "fmt-unknown", "fmt is 'foo'", replace_pair("fmt", "foo"), "attestation.fmt.unsupported", requirement=_FMT_REQ,
        level="MUST"
    ),
)
