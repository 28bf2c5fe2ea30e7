"""A credential decoded for people: what a report shows of the bytes the suite sent, and the defect as a diff.

Nothing here judges: decoding is tolerant (a malformed part is shown as its bytes with what went wrong), because
the reports must display exactly the broken credentials the suite builds. CBOR values are written in the
diagnostic notation of RFC 8949 §8 (`h'..'`, `{1: 2}`, `24(h'..')`), which is how the specifications print them.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import cbor2
from cryptography import x509

#: How many bytes of a long byte string a report prints before eliding the middle.
BYTES_SHOWN = 48
#: Paths whose values differ between any two credentials, by construction (signatures are randomised): a diff
#: reports them only when their kind changes, so the one planted defect is what the diff shows.
VOLATILE_SUFFIXES = (".sig", ".attStmt.sig")


def diagnostic(value: Any) -> str:
    """RFC 8949 §8 diagnostic notation of a decoded CBOR value (long byte strings shortened)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if value is cbor2.undefined:
        return "undefined"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, bytes | bytearray):
        return _bytes(bytes(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(diagnostic(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{diagnostic(k)}: {diagnostic(v)}" for k, v in value.items()) + "}"
    if isinstance(value, cbor2.CBORTag):
        return f"{value.tag}({diagnostic(value.value)})"
    if isinstance(value, cbor2.CBORSimpleValue):
        return f"simple({value.value})"
    if isinstance(value, frozenset | set):  # cbor2 decodes an unhashable-key map's keys this way
        return "[" + ", ".join(diagnostic(v) for v in value) + "]"
    return repr(value)


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _bytes(data: bytes) -> str:
    if len(data) <= BYTES_SHOWN:
        return f"h'{data.hex()}'"
    half = BYTES_SHOWN // 2
    return f"h'{data[:half].hex()}…{data[-8:].hex()}' ({len(data)} bytes)"


def _b64url(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_").rstrip("=") + "==")
    except (ValueError, TypeError):
        return None


def _cbor(data: bytes) -> tuple[Any, str | None]:
    """First CBOR item and a note on what was wrong (trailing bytes, malformed)."""
    try:
        import io

        stream = io.BytesIO(data)
        value = cbor2.CBORDecoder(stream).decode()
        rest = len(data) - stream.tell()
        return value, (f"{rest} trailing byte(s) after the CBOR item" if rest else None)
    except Exception as exc:  # noqa: BLE001 - every decoder fault is shown, none escapes a report
        return None, f"not well-formed CBOR ({type(exc).__name__}: {exc})"


def decode_auth_data(data: bytes) -> dict[str, Any]:
    """#sctn-authenticator-data fields, tolerant of truncation (the rest is shown as bytes)."""
    out: dict[str, Any] = {"length": len(data)}
    if len(data) < 37:
        out["bytes"] = _bytes(data)
        out["note"] = "shorter than the 37-byte fixed part"
        return out
    flags = data[32]
    names = [n for bit, n in ((0x01, "UP"), (0x04, "UV"), (0x08, "BE"), (0x10, "BS"), (0x40, "AT"), (0x80, "ED"))
             if flags & bit]
    out.update(rpIdHash=_bytes(data[:32]), flags=f"0x{flags:02x} ({' '.join(names) or 'none'})",
               signCount=int.from_bytes(data[33:37], "big"))
    rest = data[37:]
    if flags & 0x40 and len(rest) >= 18:
        length = int.from_bytes(rest[16:18], "big")
        attested: dict[str, Any] = {"aaguid": rest[:16].hex(), "credentialIdLength": length}
        attested["credentialId"] = _bytes(rest[18 : 18 + length])
        key, note = _cbor(rest[18 + length :])
        attested["credentialPublicKey"] = diagnostic(key) if note is None or key is not None else note
        out["attestedCredentialData"] = attested
        used = 18 + length + (len(cbor2.dumps(key)) if key is not None else 0)
        rest = rest[used:]
    if rest:
        value, note = _cbor(rest) if flags & 0x80 else (None, None)
        out["extensions" if flags & 0x80 and value is not None else "trailing"] = (
            diagnostic(value) if value is not None else _bytes(rest)
        )
        if note:
            out["note"] = note
    return out


def describe_certificate(der: Any) -> Any:
    if not isinstance(der, bytes):
        return diagnostic(der)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return f"not a certificate ({exc}): {_bytes(der)}"
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": hex(cert.serial_number),
        "notBefore": cert.not_valid_before_utc.isoformat(),
        "notAfter": cert.not_valid_after_utc.isoformat(),
        "signatureAlgorithm": getattr(cert.signature_algorithm_oid, "_name", cert.signature_algorithm_oid.dotted_string),
        "extensions": ", ".join(sorted(getattr(e.oid, "_name", e.oid.dotted_string) for e in cert.extensions))
        if _extensions_parse(cert) else "unparseable extensions",
    }


def _extensions_parse(cert: x509.Certificate) -> bool:
    try:
        _ = cert.extensions
    except Exception:  # noqa: BLE001 - a deliberately malformed extension is shown, not raised
        return False
    return True


def decode_attestation_object(data: bytes) -> dict[str, Any]:
    value, note = _cbor(data)
    if not isinstance(value, dict):
        return {"bytes": _bytes(data), "note": note or f"not a CBOR map: {diagnostic(value)}"}
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = key if isinstance(key, str) else diagnostic(key)
        if key == "authData" and isinstance(item, bytes):
            out[name] = decode_auth_data(item)
        elif key == "attStmt" and isinstance(item, dict):
            out[name] = {
                (k if isinstance(k, str) else diagnostic(k)): (
                    [describe_certificate(c) for c in v] if k == "x5c" and isinstance(v, list) else diagnostic(v)
                )
                for k, v in item.items()
            }
        else:
            out[name] = diagnostic(item)
    if note:
        out["note"] = note
    return out


def decode_client_data(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"bytes": _bytes(data), "note": "not UTF-8 JSON"}


def decode_credential(credential: Any) -> Any:
    """The credential JSON with clientDataJSON and attestationObject decoded (what a report panel shows)."""
    if not isinstance(credential, dict):
        return credential
    out = dict(credential)
    response = credential.get("response")
    if isinstance(response, dict):
        decoded = dict(response)
        raw = _b64url(response.get("clientDataJSON"))
        if raw is not None:
            decoded["clientDataJSON"] = decode_client_data(raw)
        raw = _b64url(response.get("attestationObject"))
        if raw is not None:
            decoded["attestationObject"] = decode_attestation_object(raw)
        out["response"] = decoded
    return out


def find_credential(body: Any) -> dict[str, Any] | None:
    """The registration credential inside a request body, wherever the flavour nests it."""
    if isinstance(body, dict):
        if isinstance(body.get("response"), dict) and "attestationObject" in body["response"]:
            return body
        for value in body.values():
            found = find_credential(value)
            if found is not None:
                return found
    elif isinstance(body, list):
        for value in body:
            found = find_credential(value)
            if found is not None:
                return found
    elif isinstance(body, str) and body[:1] == "{":  # SKFS carries the credential as a JSON string
        try:
            return find_credential(json.loads(body))
        except ValueError:
            return None
    return None


def _compact(value: Any) -> Any:
    return value if not isinstance(value, dict | list) else json.dumps(value, ensure_ascii=False)


def _walk(before: Any, after: Any, path: str, out: list[dict[str, Any]]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            child = f"{path}.{key}" if path else str(key)
            _walk(before.get(key, _ABSENT), after.get(key, _ABSENT), child, out)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            _walk(old, new, f"{path}[{index}]", out)
    elif before != after and not _volatile(path, before, after):
        out.append({"path": path, "base": _shown(_compact(before)), "sent": _shown(_compact(after))})


def _volatile(path: str, before: Any, after: Any) -> bool:
    """A re-made signature differs every time; only its absence, emptiness or kind is a defect."""
    if not path.endswith(VOLATILE_SUFFIXES) or _ABSENT in (before, after):
        return False
    empty = ("h''", "")
    return type(before) is type(after) and before not in empty and after not in empty


def credential_diff(base: Any, mutated: Any) -> list[dict[str, Any]]:
    """What differs between the undamaged credential and the one sent, field by decoded field (a subtree that
    is missing or changed kind on one side is one change, not one per leaf)."""
    changes: list[dict[str, Any]] = []
    _walk(decode_credential(base), decode_credential(mutated), "", changes)
    return changes


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _shown(value: Any) -> Any:
    return "(absent)" if value is _ABSENT else value


def diff_sentence(changes: list[dict[str, Any]], *, limit: int = 3) -> str:
    parts = []
    for change in changes[:limit]:
        if change["sent"] == "(absent)":
            parts.append(f"{change['path']} removed (was {_short(change['base'])})")
        elif change["base"] == "(absent)":
            parts.append(f"{change['path']} added: {_short(change['sent'])}")
        else:
            parts.append(f"{change['path']}: {_short(change['sent'])} instead of {_short(change['base'])}")
    if len(changes) > limit:
        parts.append(f"and {len(changes) - limit} more change(s)")
    return "; ".join(parts)


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"
