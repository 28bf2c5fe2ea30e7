"""The two TPM 2.0 structures a tpm attestation statement carries, parsed exactly (TPM 2.0 Library Part 2).

`pubArea` is a TPMT_PUBLIC (Part 2 §12.2.4) and `certInfo` a TPMS_ATTEST (Part 2 §10.12.12). Both are
big-endian, length-prefixed (TPM2B) structures; every parser here consumes its input exactly, so leftover
bytes are a coded defect (fido2-net-lib #305, "Leftover bytes decoding pubArea") and a short input is
`*.malformed`, never an IndexError.
"""

from __future__ import annotations

import struct
from typing import NamedTuple, NoReturn

from cryptography.hazmat.primitives import hashes

from ..errors import Code, fail

# TPM_GENERATED (Part 2 §6.2): "0xff 'TCG'", the marker the TPM puts on structures it signed itself.
TPM_GENERATED_VALUE = 0xFF544347
# TPM_ST (Part 2 §6.9): the structure tag of a TPM2_Certify() result.
TPM_ST_ATTEST_CERTIFY = 0x8017

# TPM_ALG_ID (Part 2 §6.3).
TPM_ALG_RSA = 0x0001
TPM_ALG_SHA1 = 0x0004
TPM_ALG_XOR = 0x000A
TPM_ALG_SHA256 = 0x000B
TPM_ALG_SHA384 = 0x000C
TPM_ALG_SHA512 = 0x000D
TPM_ALG_NULL = 0x0010
TPM_ALG_RSASSA = 0x0014
TPM_ALG_ECDSA = 0x0018
TPM_ALG_ECDAA = 0x001A
TPM_ALG_ECC = 0x0023

#: TPM_ALG_ID of a hash → the hash, for Name computation (Part 1 §16: Name = nameAlg || H_nameAlg(public area)).
NAME_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    TPM_ALG_SHA1: hashes.SHA1,
    TPM_ALG_SHA256: hashes.SHA256,
    TPM_ALG_SHA384: hashes.SHA384,
    TPM_ALG_SHA512: hashes.SHA512,
}

# TPM_ECC_CURVE (Part 2 §6.4) → COSE crv (RFC 9053 §7.1) and coordinate size in bytes.
TPM_ECC_NIST_P256, TPM_ECC_NIST_P384, TPM_ECC_NIST_P521 = 0x0003, 0x0004, 0x0005
ECC_CURVES: dict[int, tuple[int, int]] = {
    TPM_ECC_NIST_P256: (1, 32),
    TPM_ECC_NIST_P384: (2, 48),
    TPM_ECC_NIST_P521: (3, 66),
}

#: TPMS_RSA_PARMS.exponent: "zero indicates that the exponent is the default of 2^16 + 1" (Part 2 §12.2.3.5).
RSA_DEFAULT_EXPONENT = 65537


class RsaParms(NamedTuple):
    symmetric: int
    scheme: int
    key_bits: int
    #: As encoded: 0 means RSA_DEFAULT_EXPONENT.
    exponent: int


class EccParms(NamedTuple):
    symmetric: int
    scheme: int
    curve_id: int
    kdf: int


class PubArea(NamedTuple):
    """TPMT_PUBLIC. `unique` is the RSA modulus, or the ECC point as (x, y). (These records are NamedTuples: made
    on every TPM verification, where a frozen dataclass sets each field through object.__setattr__.)"""

    type: int
    name_alg: int
    object_attributes: int
    auth_policy: bytes
    parameters: RsaParms | EccParms
    unique: bytes | tuple[bytes, bytes]
    raw: bytes


class CertInfo(NamedTuple):
    """TPMS_ATTEST. `attested_*` is the TPMS_CERTIFY_INFO, present only when type is TPM_ST_ATTEST_CERTIFY."""

    magic: int
    type: int
    qualified_signer: bytes
    extra_data: bytes
    clock: int
    reset_count: int
    restart_count: int
    safe: int
    firmware_version: int
    attested_name: bytes | None
    attested_qualified_name: bytes | None


_SIZES = {"B": 1, "H": 2, "I": 4, "Q": 8}
_PUB_AREA_HEAD = struct.Struct(">HHI")
_ATTEST_HEAD = struct.Struct(">IH")
#: TPMS_CLOCK_INFO (Part 2 §10.11.1: clock, resetCount, restartCount, safe), then firmwareVersion.
_CLOCK_AND_FIRMWARE = struct.Struct(">QIIBQ")
_CLOCK_FIELDS = (
    "clockInfo.clock",
    "clockInfo.resetCount",
    "clockInfo.restartCount",
    "clockInfo.safe",
    "firmwareVersion",
)


class _Reader:
    """Big-endian cursor over one structure; running short is `malformed`, leftovers are `trailing`."""

    def __init__(self, data: bytes, *, what: str, malformed: Code, trailing: Code) -> None:
        self.data, self.pos, self.what = data, 0, what
        self.malformed, self.trailing = malformed, trailing

    def take(self, n: int, field: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            self._short(field)
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def uint(self, size: int, field: str) -> int:
        # take() inlined: about twenty of these run for every TPM verification.
        start, end = self.pos, self.pos + size
        if end > len(self.data):
            self._short(field)
        self.pos = end
        return int.from_bytes(self.data[start:end], "big")

    def uints(self, layout: struct.Struct, fields: tuple[str, ...]) -> tuple[int, ...]:
        """Consecutive big-endian unsigned fields (`layout`, e.g. ">HHI") in one read; when the data runs short,
        field by field, so the error names the field it ends in."""
        start = self.pos
        if start + layout.size <= len(self.data):
            self.pos = start + layout.size
            return layout.unpack_from(self.data, start)
        return tuple(self.uint(_SIZES[kind], field) for kind, field in zip(layout.format[1:], fields, strict=True))

    def tpm2b(self, field: str) -> bytes:
        """TPM2B_*: a UINT16 size followed by that many bytes (Part 2 §10.4)."""
        data, start = self.data, self.pos
        if start + 2 > len(data):
            self._short(f"{field}.size")  # the size's field name is only spelled out for the error
        end = start + 2 + ((data[start] << 8) | data[start + 1])
        if end > len(data):
            self.pos = start + 2
            self._short(field)
        self.pos = end
        return data[start + 2 : end]

    def _short(self, field: str) -> NoReturn:
        raise fail(self.malformed, f"{self.what} ends inside {field}", offset=self.pos, field=field)

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise fail(self.trailing, f"{len(self.data) - self.pos} byte(s) after the {self.what}", offset=self.pos)


def parse_pub_area(data: bytes) -> PubArea:
    """TPMT_PUBLIC (Part 2 §12.2.4) for the two key types WebAuthn credentials use: RSA and ECC."""
    r = _Reader(data, what="pubArea", malformed=Code.TPM_PUB_AREA_MALFORMED, trailing=Code.TPM_PUB_AREA_TRAILING_BYTES)
    key_type, name_alg, object_attributes = r.uints(_PUB_AREA_HEAD, ("type", "nameAlg", "objectAttributes"))
    auth_policy = r.tpm2b("authPolicy")
    parameters: RsaParms | EccParms
    unique: bytes | tuple[bytes, bytes]
    if key_type == TPM_ALG_RSA:
        # TPMS_RSA_PARMS (Part 2 §12.2.3.5): symmetric, scheme, keyBits, exponent.
        symmetric = _sym_def_object(r)
        scheme = _scheme(r, "scheme")
        parameters = RsaParms(symmetric, scheme, r.uint(2, "keyBits"), r.uint(4, "exponent"))
        # TPM2B_PUBLIC_KEY_RSA (Part 2 §11.2.4.5): the modulus.
        unique = r.tpm2b("unique")
    elif key_type == TPM_ALG_ECC:
        # TPMS_ECC_PARMS (Part 2 §12.2.3.6): symmetric, scheme, curveID, kdf.
        symmetric = _sym_def_object(r)
        scheme = _scheme(r, "scheme")
        parameters = EccParms(symmetric, scheme, r.uint(2, "curveID"), _scheme(r, "kdf"))
        # TPMS_ECC_POINT (Part 2 §11.2.5.2): two TPM2B_ECC_PARAMETERs.
        unique = (r.tpm2b("unique.x"), r.tpm2b("unique.y"))
    else:
        raise fail(Code.TPM_PUB_AREA_KEY_TYPE_UNSUPPORTED, f"pubArea type 0x{key_type:04x} is neither RSA nor ECC")
    r.finish()
    return PubArea(key_type, name_alg, object_attributes, auth_policy, parameters, unique, data)


def _sym_def_object(r: _Reader) -> int:
    """TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): algorithm, then keyBits and mode unless it is TPM_ALG_NULL."""
    algorithm = r.uint(2, "symmetric.algorithm")
    if algorithm == TPM_ALG_XOR:
        r.uint(2, "symmetric.keyBits.xor")  # TPMU_SYM_KEY_BITS.xor is a hash alg; XOR has no mode
    elif algorithm != TPM_ALG_NULL:
        r.uint(2, "symmetric.keyBits")
        r.uint(2, "symmetric.mode")
    return algorithm


def _scheme(r: _Reader, field: str) -> int:
    """TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME (Part 2 §11.2.4.2, §11.2.5.6, §11.2.3.3): scheme, then
    its details (a hashAlg; ECDAA adds a count) unless it is TPM_ALG_NULL."""
    scheme = r.uint(2, f"{field}.scheme")
    if scheme != TPM_ALG_NULL:
        r.uint(2, f"{field}.details.hashAlg")
        if scheme == TPM_ALG_ECDAA:
            r.uint(2, f"{field}.details.count")
    return scheme


def parse_cert_info(data: bytes) -> CertInfo:
    """TPMS_ATTEST (Part 2 §10.12.12). The `attested` union is parsed for TPM_ST_ATTEST_CERTIFY only; for any
    other type its layout is unknown here, and the verifier refuses the type before it matters."""
    r = _Reader(
        data, what="certInfo", malformed=Code.TPM_CERT_INFO_MALFORMED, trailing=Code.TPM_CERT_INFO_TRAILING_BYTES
    )
    magic, attest_type = r.uints(_ATTEST_HEAD, ("magic", "type"))
    qualified_signer = r.tpm2b("qualifiedSigner")
    extra_data = r.tpm2b("extraData")
    # TPMS_CLOCK_INFO (Part 2 §10.11.1): clock, resetCount, restartCount, safe.
    clock, reset_count, restart_count, safe, firmware_version = r.uints(_CLOCK_AND_FIRMWARE, _CLOCK_FIELDS)
    name = qualified_name = None
    if attest_type == TPM_ST_ATTEST_CERTIFY:
        # TPMS_CERTIFY_INFO (Part 2 §10.12.3): name, qualifiedName.
        name = r.tpm2b("attested.name")
        qualified_name = r.tpm2b("attested.qualifiedName")
        r.finish()
    return CertInfo(
        magic,
        attest_type,
        qualified_signer,
        extra_data,
        clock,
        reset_count,
        restart_count,
        safe,
        firmware_version,
        name,
        qualified_name,
    )
