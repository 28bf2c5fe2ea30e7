"""OpenAPI 3.1 descriptions of the reference RP, one per flavour, served at `GET /openapi.json`.

The bodies are not described here: every request and response schema is the flavour's JSON Schema file under
`schemas/api/<flavour>/`, embedded as a component (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect), so those
files stay the one source of truth. This module only adds what OpenAPI needs around them: which route takes which
body, which status answers with which schema and media type, and who must authenticate. The table below is checked
against the app's Starlette routes by tests/test_rp_openapi.py.

`schemas/openapi/<flavour>.json` ships the document for the default configuration (`python -m
fidoconf.verifier.rp.openapi` writes them, `--check` fails when one is stale); the served document reflects the
running configuration: the fido-server prefix, the SKFS envelope version and the server's URL.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .config import RPConfig

OPENAPI_VERSION = "3.1.0"
#: The version of the API these documents describe (info.version), not of fidoconf: it changes with the routes.
API_VERSION = "1.0"
DOCUMENT_PATH = "/openapi.json"
JSON = "application/json"
TEXT = "text/plain"
FORM = "application/x-www-form-urlencoded"
#: Methods the fido-server routes answer themselves with the flavour's 405 body (verifier/rp/fido_server.py).
#: HEAD is not listed: Starlette answers it wherever GET is routed, and it is GET without a body (RFC 9110 §9.3.2).
FIDO_SERVER_REFUSED_METHODS = ("get", "put", "patch", "delete", "options")


@dataclass(frozen=True, slots=True)
class Body:
    """A request or response body: a schema file stem under schemas/api/<flavour>/ (or an inline schema)."""

    schemas: tuple[str, ...] = ()
    media_types: tuple[str, ...] = (JSON,)
    inline: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    responses: dict[str, tuple[str, Body | None]]
    request: Body | None = None
    bearer: bool = False
    parameters: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())


def _nevis_cloud_operations() -> list[Operation]:
    error = ("REST error", Body(("error-response",)))
    ceremony = "always 200: status ok or failed with a fidoconf errorCode"
    return [
        Operation("post", "/api/v1/users/enroll", "Start an enrollment (channel fido2 or app)",
                  {"200": ("the user and its enrollment", Body(("enroll-response",))), "4XX": error},
                  request=Body(("enroll-request",)), bearer=True),
        Operation("post", "/api/v1/status", "Poll a transaction with its statusToken",
                  {"200": ("pending, succeeded, failed or unknown", Body(("status-response",))), "4XX": error},
                  request=Body(("status-request",))),
        Operation("post", "/api/v1/introspect", "RFC 7662 token introspection",
                  {"200": ("active with the claims, or only active: false", Body(("introspect-response",))),
                   "4XX": error},
                  request=Body(("introspect-request",), (FORM,)), bearer=True),
        Operation("post", "/api/v1/intent", "Issue a one-time intent token",
                  {"200": ("the intent token", Body(("intent-response",))), "4XX": error},
                  request=Body(("intent-request",)), bearer=True),
        Operation("get", "/api/v1/users/{user_id}", "A user and its authenticators",
                  {"200": ("the user", Body(("user-response",))), "4XX": error},
                  bearer=True, parameters=("user_id",)),
        Operation("delete", "/api/v1/users/{user_id}", "Delete a user and its authenticators",
                  {"204": ("deleted", None), "4XX": error}, bearer=True, parameters=("user_id",)),
        Operation("patch", "/api/v1/authenticators/{authenticator_id}", "Rename an authenticator",
                  {"200": ("the authenticator", Body(("authenticator-response",))), "4XX": error},
                  request=Body(("authenticator-patch-request",)), bearer=True, parameters=("authenticator_id",)),
        Operation("delete", "/api/v1/authenticators/{authenticator_id}", "Delete an authenticator",
                  {"204": ("deleted", None), "4XX": error}, bearer=True, parameters=("authenticator_id",)),
        Operation("post", "/_app/attestation/result", "Submit the attestation (statusToken in the body)",
                  {"200": (ceremony, Body(("attestation-result-response",)))},
                  request=Body(("attestation-result-request",))),
        Operation("post", "/_app/dispatch/redeem", "App channel: redeem the dispatch token",
                  {"200": (ceremony, Body(("dispatch-redeem-response",)))},
                  request=Body(("dispatch-redeem-request",))),
        Operation("get", "/ping", "Liveness check",
                  {"200": ("PONG", Body(media_types=(TEXT,), inline={"const": "PONG"})), "4XX": error},
                  bearer=True),
    ]  # fmt: skip


def _fido_server_operations(prefix: str) -> list[Operation]:
    error = ("405 wrong method, 406 Accept without JSON, 415 body not application/json", Body(("error-response",)))
    ceremony = "200 with status ok, or failed with a non-empty errorMessage and a fidoconf errorCode"
    operations = [
        Operation("post", f"{prefix}/attestation/options", "Registration (or authentication) options",
                  {"200": (ceremony, Body(("attestation-options-response", "assertion-options-response"))),
                   "4XX": error},
                  request=Body(("attestation-options-request", "assertion-options-request"))),
        Operation("post", f"{prefix}/attestation/result", "Submit the attestation (fido2SessionId or cookie)",
                  {"200": (ceremony, Body(("attestation-result-response",))), "4XX": error},
                  request=Body(("attestation-result-request",))),
        Operation("post", f"{prefix}/status", "nevisFIDO status service",
                  {"200": ("initialized, succeeded, failed or unknown", Body(("status-response",))),
                   "4XX": ("400/413 malformed body, 405, 406, 415", Body(("error-response",)))},
                  request=Body(("status-request",))),
    ]  # fmt: skip
    refusals = [
        Operation(method, op.path, f"Not allowed: {op.path} takes POST",
                  {"405": ("the flavour's failed body, with Allow: POST", Body(("error-response",)))})
        for op in operations
        for method in FIDO_SERVER_REFUSED_METHODS
    ]  # fmt: skip
    return operations + refusals


def _skfs_operations(envelope: str) -> list[Operation]:
    error_media = (TEXT, JSON) if envelope == "4.16" else (JSON,)
    errors = {
        "401": ("the service credential or HMAC signature is refused (empty body)", None),
        "4XX": ("a FIDO-ERR error", Body((f"error-response-v{envelope}",), error_media)),
    }
    operations = [
        Operation("post", f"/skfs/rest/{name}", summary,
                  {"200": ("success", Body((f"{name}-response-v{envelope}",))), **errors},
                  request=Body((f"{name}-request",)))
        for name, summary in (
            ("preregister", "Registration options for a username"),
            ("register", "Submit the attestation"),
            ("getkeysinfo", "A user's registered keys"),
            ("updatekeyinfo", "Change a key's status or display name"),
            ("deregister", "Delete a key"),
        )
    ]  # fmt: skip
    operations.append(
        Operation("post", "/skfs/rest/ping", "Server and domain information",
                  {"200": ("a few lines of text", Body(("ping-response",), (TEXT,))), **errors},
                  request=Body(("ping-request",)))
    )  # fmt: skip
    return operations


def _document_operation() -> Operation:
    return Operation("get", DOCUMENT_PATH, "This OpenAPI document",
                     {"200": ("OpenAPI 3.1", Body(inline={"type": "object", "required": ["openapi", "paths"]}))})  # fmt: skip


#: Flavour → its operations for a configuration. Explicit, like verifier.rp.app.FLAVOURS, which it must match.
OPERATIONS: dict[str, Callable[[RPConfig], list[Operation]]] = {
    "nevis-cloud": lambda config: _nevis_cloud_operations(),
    "fido-server": lambda config: _fido_server_operations(config.fido_server_prefix),
    "skfs": lambda config: _skfs_operations(config.skfs_envelope),
}


# --- building the document ----------------------------------------------------------------------------------


def embed_schema(schema: dict[str, Any], *, component: str) -> dict[str, Any]:
    """The schema as a component: `$id`/`$schema` dropped (so `#` means the OpenAPI document, as tools expect) and
    its local `#/$defs/...` references re-rooted at the component that now holds those `$defs`."""
    embedded = copy.deepcopy(schema)
    embedded.pop("$id", None)
    embedded.pop("$schema", None)
    root = f"#/components/schemas/{component}"

    def reroot(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                node["$ref"] = root + ref[1:]
            for value in node.values():
                reroot(value)
        elif isinstance(node, list):
            for value in node:
                reroot(value)

    reroot(embedded)
    return embedded


def _component(flavour: str, stem: str) -> str:
    return f"{flavour}.{stem}"


def _body_schema(flavour: str, body: Body) -> dict[str, Any]:
    if body.inline is not None:
        return body.inline
    refs = [{"$ref": f"#/components/schemas/{_component(flavour, stem)}"} for stem in body.schemas]
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


def _content(flavour: str, body: Body) -> dict[str, Any]:
    schema = _body_schema(flavour, body)
    return {media: {"schema": schema} for media in body.media_types}


def _operation_object(flavour: str, op: Operation) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": f"{flavour}:{op.method}:{op.path}",
        "summary": op.summary,
        "tags": [flavour],
    }
    if op.parameters:
        result["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
            for name in op.parameters
        ]
    if op.request is not None:
        result["requestBody"] = {"required": True, "content": _content(flavour, op.request)}
    result["responses"] = {
        status: {"description": description, **({"content": _content(flavour, body)} if body else {})}
        for status, (description, body) in op.responses.items()
    }
    if op.bearer:
        result["security"] = [{"bearerAuth": []}]
    return result


def build_document(
    *,
    flavours: Iterable[str],
    config: RPConfig,
    schemas_root: Path,
    server_url: str | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for these flavours as `config` mounts them, embedding schemas_root/api/<flavour>/."""
    flavours = tuple(flavours)
    unknown = [f for f in flavours if f not in OPERATIONS]
    if unknown:
        raise ValueError(f"unknown flavour(s) {unknown}; known: {sorted(OPERATIONS)}")
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    tagged = [(flavour, op) for flavour in flavours for op in OPERATIONS[flavour](config)]
    tagged.append(("fidoconf", _document_operation()))
    for flavour, op in tagged:
        paths.setdefault(op.path, {})[op.method] = _operation_object(flavour, op)
        bodies = [op.request, *(body for _, body in op.responses.values())]
        for body in bodies:
            for stem in body.schemas if body else ():
                name = _component(flavour, stem)
                if name not in schemas:
                    raw = json.loads((schemas_root / "api" / flavour / f"{stem}.json").read_text(encoding="utf-8"))
                    schemas[name] = embed_schema(raw, component=name)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"fidoconf reference RP ({', '.join(flavours)})",
            "version": API_VERSION,
            "description": "Generated from schemas/api/<flavour>/*.json by fidoconf.verifier.rp.openapi; "
            "see verifier/rp/API.md for the behaviour behind each answer.",
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url.rstrip("/") or "/"}]
    document["paths"] = paths
    document["components"] = {
        "schemas": dict(sorted(schemas.items())),
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    }
    return document


def render(document: dict[str, Any]) -> str:
    """The shipped files' bytes: stable key order as built, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def shipped_document(flavour: str, *, schemas_root: Path) -> dict[str, Any]:
    """What schemas/openapi/<flavour>.json holds: the flavour under the default configuration, no server URL."""
    return build_document(flavours=(flavour,), config=RPConfig(flavours=(flavour,)), schemas_root=schemas_root)


# --- serving -------------------------------------------------------------------------------------------------


def installed_schemas() -> Path:
    """The installed schemas/ folder. Imported here, not at module level: the verifier library does not need the
    suite's data locator unless a server is asked for its document."""
    from fidoconf.conformance.data import schemas_dir

    return schemas_dir()


def route(config: RPConfig, *, schemas_root: Callable[[], Path] = installed_schemas) -> BaseRoute:
    """`GET /openapi.json` for the mounted flavours; built on first request (apps made in tests never pay for it)."""
    built: list[bytes] = []

    async def openapi_json(request: Request) -> Response:
        if not built:
            document = build_document(
                flavours=config.flavours, config=config, schemas_root=schemas_root(), server_url=config.base_url
            )
            built.append(json.dumps(document).encode("utf-8"))
        return Response(built[0], media_type=JSON)

    return Route(DOCUMENT_PATH, openapi_json, methods=["GET"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fidoconf.verifier.rp.openapi", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when a shipped document differs from the build")
    args = parser.parse_args(argv)
    root = installed_schemas()
    stale = []
    for flavour in OPERATIONS:
        path = root / "openapi" / f"{flavour}.json"
        text = render(shipped_document(flavour, schemas_root=root))
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    if stale:
        print("stale OpenAPI documents (run python -m fidoconf.verifier.rp.openapi): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
