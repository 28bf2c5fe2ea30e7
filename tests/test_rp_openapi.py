"""The RP's OpenAPI 3.1 documents: valid, equal to the app's routes, served at /openapi.json, and shipped up to date
under schemas/openapi/ (built from schemas/api/<flavour>/, never hand-edited)."""

from __future__ import annotations

import json

import pytest
from fidoconf.conformance.data import schemas_dir
from fidoconf.verifier.rp import RPConfig, create_app
from fidoconf.verifier.rp.openapi import OPERATIONS, build_document, embed_schema, main, render, shipped_document
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from starlette.routing import Mount, Route

from .rp_support import asgi_client

ROOT = schemas_dir()
#: Every way a flavour is mounted that changes its document: the fido-server prefixes of the FIDO tool and
#: nevisFIDO, both SKFS envelopes, and all flavours on one app.
CONFIGS = {
    "nevis-cloud": RPConfig(flavours=("nevis-cloud",)),
    "fido-server": RPConfig(flavours=("fido-server",)),
    "fido-server-nevisfido": RPConfig(flavours=("fido-server",), fido_server_prefix="/nevisfido/fido2"),
    "skfs-4.17": RPConfig(flavours=("skfs",), skfs_envelope="4.17"),
    "skfs-4.16": RPConfig(flavours=("skfs",), skfs_envelope="4.16"),
    "all": RPConfig(flavours=("nevis-cloud", "fido-server", "skfs"), fido_server_prefix="/nevisfido/fido2"),
}
OPENAPI_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _routed(routes, prefix: str = "") -> set[tuple[str, str]]:
    """(path, method) for every Starlette route, through mounts. Starlette adds HEAD to every GET route; HEAD is
    GET without a body (RFC 9110 §9.3.2), so the documents leave it implicit and so does this comparison."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= _routed(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            methods = set(route.methods or ())
            if "GET" in methods:
                methods.discard("HEAD")
            found |= {(prefix + route.path, method.lower()) for method in methods}
        else:
            raise AssertionError(f"an unexpected route type {type(route).__name__} at {prefix}")
    return found


def _documented(document) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item if method in OPENAPI_METHODS}


def _served(config: RPConfig):
    with asgi_client(create_app(config)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_served_document_is_openapi_3_1_and_matches_the_routes(name):
    config = CONFIGS[name]
    document = _served(config)
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert _documented(document) == _routed(create_app(config).routes)
    assert document["servers"] == [{"url": config.base_url.rstrip("/")}]


def test_the_fido_server_prefix_is_in_every_path():
    paths = set(_served(CONFIGS["fido-server-nevisfido"])["paths"])
    assert paths == {
        "/nevisfido/fido2/attestation/options",
        "/nevisfido/fido2/attestation/result",
        "/nevisfido/fido2/status",
        "/openapi.json",
    }


def test_the_skfs_envelope_picks_the_response_schemas():
    for envelope in ("4.16", "4.17"):
        document = _served(CONFIGS[f"skfs-{envelope}"])
        ok = document["paths"]["/skfs/rest/register"]["post"]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": f"#/components/schemas/skfs.register-response-v{envelope}"}
        errors = document["paths"]["/skfs/rest/register"]["post"]["responses"]["4XX"]["content"]
        assert set(errors) == ({"text/plain", "application/json"} if envelope == "4.16" else {"application/json"})


@pytest.mark.parametrize("flavour", sorted(OPERATIONS))
def test_the_shipped_document_is_what_the_builder_makes(flavour):
    shipped = (ROOT / "openapi" / f"{flavour}.json").read_text(encoding="utf-8")
    assert shipped == render(shipped_document(flavour, schemas_root=ROOT))
    validate(json.loads(shipped))


def test_the_check_command_agrees(capsys):
    assert main(["--check"]) == 0


@pytest.mark.parametrize("flavour", sorted(OPERATIONS))
def test_every_schema_file_of_the_flavour_is_embedded_unchanged_but_for_its_refs(flavour):
    """One source of truth: each component is its schemas/api file, with only $id/$schema dropped and the
    local $defs references re-rooted; and every schema file of the flavour is used by some operation."""
    components = shipped_document(flavour, schemas_root=ROOT)["components"]["schemas"]
    files = {path.stem for path in (ROOT / "api" / flavour).glob("*.json")}
    used = {name.split(".", 1)[1] for name in components}
    # The other SKFS envelope's files are used by the document of a server configured with it.
    if flavour == "skfs":
        used |= {name.split(".", 1)[1] for name in _served(CONFIGS["skfs-4.16"])["components"]["schemas"]}
    assert used == files
    for name, schema in components.items():
        stem = name.split(".", 1)[1]
        raw = json.loads((ROOT / "api" / flavour / f"{stem}.json").read_text(encoding="utf-8"))
        assert schema == embed_schema(raw, component=name)
        assert "$id" not in schema


def test_embedding_reroots_local_refs_only():
    raw = {
        "$id": "https://fidoconf.dev/schemas/api/x/y.json",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "properties": {"a": {"$ref": "#/$defs/a"}, "b": {"items": [{"$ref": "https://example.org/other.json"}]}},
        "$defs": {"a": {"type": "string"}},
    }
    assert embed_schema(raw, component="x.y") == {
        "properties": {"a": {"$ref": "#/components/schemas/x.y/$defs/a"},
                       "b": {"items": [{"$ref": "https://example.org/other.json"}]}},
        "$defs": {"a": {"type": "string"}},
    }  # fmt: skip


def test_the_validator_refuses_a_broken_document():
    """The validity tests above mean something: the validator does reject a parameter OpenAPI 3.1 does not have."""
    document = build_document(flavours=("nevis-cloud",), config=CONFIGS["nevis-cloud"], schemas_root=ROOT)
    document["paths"]["/api/v1/users/{user_id}"]["get"]["parameters"][0]["in"] = "body"
    with pytest.raises(OpenAPIValidationError):
        validate(document)


def test_an_unknown_flavour_is_refused():
    with pytest.raises(ValueError, match="unknown flavour"):
        build_document(flavours=("nope",), config=RPConfig(), schemas_root=ROOT)
