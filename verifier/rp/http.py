"""HTTP plumbing shared by every flavour: bounded body reading, media types, Bearer auth, error envelopes.

Two error conventions (API.md, "Errors"):
- REST endpoints answer an HTTP error code with `{"error": <reason phrase>, "message": <text>, "status": <code>}`;
- ceremony endpoints answer 200 with the flavour's failure body (a router's own helper builds it).
Every malformed input ends in one of those; nothing a client sends reaches the 500 handler.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import VerificationError, fail
from .context import RPContext
from .errors import RpCode


class ApiError(Exception):
    """A REST failure: becomes `{error, message, status}` with that HTTP status."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None) -> JSONResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return JSONResponse({"error": phrase, "message": message, "status": status}, status_code=status, headers=headers)


def iso(value: datetime | None) -> str | None:
    """RFC 3339 UTC with microseconds and `Z`, as in the Nevis samples (2021-09-06T13:06:33.773981Z)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- bodies --------------------------------------------------------------------------------------------------


async def read_body(request: Request, *, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise fail(RpCode.REQUEST_BODY_TOO_LARGE, f"body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise fail(RpCode.REQUEST_BODY_TOO_LARGE, f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    return value.split(";", 1)[0].strip().lower() if value else None


def is_json_media_type(value: str | None) -> bool:
    return value == "application/json" or (
        value is not None and value.startswith("application/") and value.endswith("+json")
    )


#: A `\\u` escape of a UTF-16 surrogate (D800-DFFF): the only way JSON text can carry a code point UTF-8 cannot encode.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes, or a coded `request.body.invalid`.

    This is the one parse boundary of every flavour's JSON: a string (or member name) holding a lone surrogate
    (`"\\ud800"`) is refused here, because SQLite, PyJWT and the JSON renderer all raise on it later."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise fail(RpCode.REQUEST_BODY_INVALID, "body is not JSON") from None
    if not isinstance(value, dict):
        raise fail(RpCode.REQUEST_BODY_INVALID, "body is not a JSON object")
    if _SURROGATE_ESCAPE.search(raw) and not encodable(value):
        raise fail(RpCode.REQUEST_BODY_INVALID, "body holds a lone UTF-16 surrogate, which is not Unicode text")
    return value


def encodable(value: Any) -> bool:
    """Whether every string in `value` (member names included) encodes as UTF-8; a pair of surrogate escapes
    decodes to one code point and is fine, a lone one is not."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


async def rest_json_body(request: Request, ctx: RPContext) -> dict[str, Any]:
    """A REST JSON body: 415 for another declared media type, 413 when too large, 400 when not a JSON object."""
    declared = media_type(request)
    if declared is not None and not is_json_media_type(declared):
        raise ApiError(415, f"expected application/json, got {declared}")
    try:
        return parse_json_object(await read_body(request, limit=ctx.config.max_body_bytes))
    except VerificationError as exc:
        raise ApiError(413 if exc.code is RpCode.REQUEST_BODY_TOO_LARGE else 400, exc.message) from None


async def rest_form_body(request: Request, ctx: RPContext) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (RFC 7662 introspection): 415 for anything else."""
    if media_type(request) != "application/x-www-form-urlencoded":
        raise ApiError(415, "expected application/x-www-form-urlencoded")
    try:
        raw = await read_body(request, limit=ctx.config.max_body_bytes)
        # errors="strict": a percent-escaped byte sequence that is not UTF-8 is refused, not replaced by U+FFFD.
        fields = parse_qs(
            raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=32, errors="strict"
        )
    except VerificationError as exc:
        raise ApiError(413, exc.message) from None
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "body is not form-encoded UTF-8") from None
    # A parameter given twice is ambiguous; RFC 6749 §3.1 says "Request and response parameters MUST NOT be
    # included more than once", which the token endpoint family (RFC 7662 included) inherits.
    if any(len(values) > 1 for values in fields.values()):
        raise ApiError(400, "a form parameter is repeated")
    return {name: values[0] for name, values in fields.items()}


# --- Bearer authentication ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "access" or "intent"
    claims: dict[str, Any]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "missing Authorization: Bearer access key", headers={"WWW-Authenticate": "Bearer"})
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization is not a Bearer credential", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def is_access_key(ctx: RPContext, token: str) -> bool:
    candidate = token.encode("utf-8", "surrogateescape")
    # Compare against every key so the time taken does not reveal which one (or whether any) nearly matched.
    matched = False
    for key in ctx.config.access_keys:
        matched |= hmac.compare_digest(candidate, key.encode("utf-8"))
    return matched


def authenticate(request: Request, ctx: RPContext, *, allow_intent: bool = False) -> Principal:
    """401 without a Bearer credential, 403 with one that is not an access key (or usable intent token)."""
    token = bearer_token(request)
    if is_access_key(ctx, token):
        return Principal("access", {})
    if allow_intent:
        try:
            claims = ctx.tokens.decode(token, kinds=("intent",))
        except VerificationError:
            pass
        else:
            return Principal("intent", claims)
    raise ApiError(403, "the Bearer credential is not valid for this endpoint")
