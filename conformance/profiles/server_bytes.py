"""Binary members of what a server sent (the options' challenge), decoded tolerantly but explicitly.

The verifier's decoder (verifier/encoding.py) is strict on purpose: a reference must not accept two spellings of one
value in a credential. A profile reads the *server's* options, and there strictness would turn a server's padded or
standard-alphabet challenge into a verification error on the suite's side, raised in every case that starts a
ceremony and blamed on whichever requirement that case tests. So a profile accepts the four spellings of base64
(base64url or standard alphabet, padded or not), says which one it read, and leaves judging the spelling to the one
case that is about it (OPT-CHAL-P03, the FIDO tool's Req-1 P-1 pattern, a MUST on fido-server; OPT-CHAL-P04, STRICT,
on the APIs that document "base64url" only). Anything else is not a challenge the suite
can answer: ServerEncodingError, a coded `profile.<field>.<condition>` error that makes the case ERROR (the case
could not be carried out), never FAIL for a requirement it did not test.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

#: The spelling WebAuthn's JSON options use (#base64url-encoding: URL-safe alphabet, trailing '=' omitted).
CANONICAL = "base64url"
_ALPHABET = re.compile(r"[A-Za-z0-9+/_-]*")
_PREVIEW = 120


@dataclass(frozen=True)
class ServerBytes:
    """Bytes a server sent as text: the value, the text exactly as sent, and the spelling it was read in."""

    value: bytes
    sent: str
    #: "base64url", "base64url-padded", "base64" or "base64-padded".
    spelling: str

    @property
    def loose(self) -> bool:
        return self.spelling != CANONICAL

    def note(self, field: str) -> str:
        """One line for the case report: what the server sent and how the suite read it."""
        return (f"{field}: the server sent {self.sent[:_PREVIEW]!r} ({self.spelling}); read tolerantly as "
                f"{len(self.value)} bytes, the spelling itself is judged by OPT-CHAL-P03 or P04")


class ServerEncodingError(Exception):
    """A binary member of the server's answer the suite cannot decode at all. Not an AssertionError on purpose: the
    case that needed the value could not run, which is an ERROR of that case, not a finding against its requirement.
    """

    def __init__(self, *, code: str, field: str, sent: Any, why: str) -> None:
        self.code, self.field, self.sent = code, field, sent
        shown = repr(sent)[:_PREVIEW]
        super().__init__(f"{code}: the server's {field} {shown} {why}; the case cannot build a credential for it")


def server_bytes(value: Any, *, field: str) -> ServerBytes:
    """Decode a server-sent base64 member in any of the four spellings, reporting which; refuse everything else."""
    if value is None:
        raise ServerEncodingError(code=f"profile.{field}.missing", field=field, sent=value, why="is absent")
    if not isinstance(value, str):  # bool, numbers, lists: JSON the server meant as something else
        raise ServerEncodingError(code=f"profile.{field}.not_string", field=field, sent=value,
                                  why=f"is a JSON {type(value).__name__}, not a string")
    body = value.rstrip("=")
    padding = len(value) - len(body)
    url_safe, standard = bool(set(body) & set("-_")), bool(set(body) & set("+/"))
    problem = _spelling_problem(body, padding=padding, mixed=url_safe and standard, total=len(value))
    if problem:
        raise ServerEncodingError(code=f"profile.{field}.malformed", field=field, sent=value, why=problem)
    decoded = _decode(body, standard=standard)
    if decoded is None:
        raise ServerEncodingError(code=f"profile.{field}.malformed", field=field, sent=value,
                                  why="has trailing bits that no encoder writes")
    spelling = ("base64" if standard else "base64url") + ("-padded" if padding else "")
    return ServerBytes(value=decoded, sent=value, spelling=spelling)


def _spelling_problem(body: str, *, padding: int, mixed: bool, total: int) -> str | None:
    if not body:
        return "is empty"
    if not _ALPHABET.fullmatch(body):
        return "holds characters outside both base64 alphabets"
    if mixed:
        return "mixes the base64url ('-', '_') and standard ('+', '/') alphabets"
    if len(body) % 4 == 1:
        return "has a length no base64 encoding has"
    if padding and (total % 4 or padding > 2):
        return "is padded to a length that is not a multiple of 4"
    return None


def _decode(body: str, *, standard: bool) -> bytes | None:
    """The bytes, or None when the last character carries non-zero unused bits (a second spelling of one value)."""
    text = body if standard else body.replace("-", "+").replace("_", "/")
    padded = text + "=" * (-len(text) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if base64.b64encode(decoded).decode("ascii") == padded else None
