"""Vector files are data with a contract: they match their schema, name real codes, decode strictly, and the
recorded ones are exactly the collection they were copied from (plus the fields fidoconf adds)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from cryptography import x509
from fidoconf.verifier.encoding import b64url_decode
from fidoconf.verifier.errors import Code, VerificationError
from fidoconf.verifier.policy import PRESETS, Policy
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"
SCHEMA_PATH = ROOT / "schemas" / "vectors" / "registration-vector.schema.json"
W3C_CA = VECTORS / "trust" / "test-roots" / "w3c-webauthn-test-vectors-attestation-ca.pem"
#: The collection the recorded vectors and roots were copied from, when this checkout sits next to it.
SHARED_CANDIDATES = (Path("/work/shared"), ROOT.parent / "shared")
#: Recorded fields fidoconf may change; each change is explained by an appended "fidoconf ..." note.
CHANGEABLE = ("expect", "verify_at")
CODES = frozenset(c.value for c in Code)


def _vector_files() -> list[Path]:
    files = sorted((VECTORS / "real").glob("*/*.json"))
    files += sorted((VECTORS / "generated").rglob("*.json"))
    return files


FILES = _vector_files()
IDS = [str(p.relative_to(VECTORS)) for p in FILES]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _shared() -> Path | None:
    return next((p for p in SHARED_CANDIDATES if (p / "vectors" / "real").is_dir()), None)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_schema_is_valid_draft_2020_12():
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://fidoconf.dev/schemas/vectors/registration-vector.schema.json"


def test_there_are_recorded_vectors_in_every_format_variant():
    variants = {p.parent.name for p in (VECTORS / "real").glob("*/*.json")}
    expected = {"none", "packed-self", "packed-x5c", "fido-u2f", "tpm", "android-key", "android-safetynet", "apple"}
    assert variants == expected


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_vector_matches_the_schema(path: Path, validator: Draft202012Validator):
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(_load(path))]
    assert errors == []


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_vector_lives_in_its_format_directory(path: Path):
    # real/<format_variant>/name.json (packed split into packed-self / packed-x5c); generated/<fmt>/name.json
    vector = _load(path)
    kind, directory = path.relative_to(VECTORS).parts[:2]
    variant = vector.get("format_variant", vector["format"])
    assert (directory == variant) if kind == "real" else (directory in {vector["format"], variant})


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_expected_code_is_in_the_vocabulary(path: Path):
    vector = _load(path)
    named = [vector.get("expected_code")] + [o.get("expected_code") for o in (vector.get("outcomes") or {}).values()]
    if vector["expect"] == "reject":
        assert vector.get("expected_code") in CODES
    assert [c for c in named if c is not None and c not in CODES] == []
    assert Code.INTERNAL_UNEXPECTED.value not in named


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_credential_and_challenge_decode_as_strict_base64url(path: Path):
    vector = _load(path)
    credential = vector["credential"]
    fields = {
        "id": credential["id"],
        "rawId": credential["rawId"],
        "clientDataJSON": credential["response"]["clientDataJSON"],
        "attestationObject": credential["response"]["attestationObject"],
        "challenge_b64url": vector["challenge_b64url"],
    }
    decoded = {}
    for name, value in fields.items():
        try:
            decoded[name] = b64url_decode(value, field=name)
        except VerificationError as exc:
            pytest.fail(f"{name}: {exc.code.value}")
    assert decoded["attestationObject"] and decoded["clientDataJSON"] and decoded["challenge_b64url"]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_policy_and_outcomes_agree(path: Path):
    vector = _load(path)
    policy = vector.get("policy")
    Policy.from_json(policy)  # a preset name or known Policy fields, else ValueError
    outcomes = vector.get("outcomes") or {}
    if vector.get("policy_dependent"):
        assert set(outcomes) == set(PRESETS)
    name = policy if isinstance(policy, str) else (policy or {}).get("preset", "strict")
    if outcomes and isinstance(policy, (str, type(None))) and name in outcomes:
        own = {k: vector[k] for k in ("expect", "expected_code") if k in vector}
        assert outcomes[name] == own


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_verify_at_is_an_instant(path: Path):
    verify_at = _load(path).get("verify_at")
    if verify_at is not None:
        assert datetime.fromisoformat(verify_at).utcoffset() is not None


def test_w3c_trust_anchor_is_the_bundled_test_root():
    root = x509.load_pem_x509_certificate(W3C_CA.read_bytes())
    recorded = [_load(p) for p in (VECTORS / "real").glob("*/*.json")]
    anchors = [v["trust_anchor_pem"] for v in recorded if v.get("provenance") == "w3c-spec-synthetic"]
    assert len(anchors) == 14
    assert {x509.load_pem_x509_certificate(a.encode()) for a in anchors} == {root}


def test_every_trust_file_is_one_certificate():
    pems = sorted((VECTORS / "trust").rglob("*.pem"))
    assert len(pems) >= 20
    for pem in pems:
        assert len(x509.load_pem_x509_certificates(pem.read_bytes())) == 1, pem


def test_recorded_vectors_equal_the_shared_collection():
    shared = _shared()
    if shared is None:
        pytest.skip("the shared collection is not next to this checkout")
    ours = {p.relative_to(VECTORS / "real") for p in (VECTORS / "real").glob("*/*.json")}
    theirs = {p.relative_to(shared / "vectors" / "real") for p in (shared / "vectors" / "real").glob("*/*.json")}
    assert ours == theirs
    for rel in sorted(theirs):
        original, copy = _load(shared / "vectors" / "real" / rel), _load(VECTORS / "real" / rel)
        assert set(original) <= set(copy), rel
        assert copy.get("notes", [])[: len(original.get("notes", []))] == original.get("notes", []), rel
        fidoconf_notes = " ".join(n for n in copy.get("notes", []) if n.startswith("fidoconf"))
        for key, value in original.items():
            if key == "notes" or copy[key] == value:
                continue
            assert key in CHANGEABLE and key in fidoconf_notes, f"{rel}: {key} changed without a fidoconf note"


def test_trust_roots_equal_the_shared_collection():
    shared = _shared()
    if shared is None:
        pytest.skip("the shared collection is not next to this checkout")
    ours = {p.relative_to(VECTORS / "trust"): p.read_bytes() for p in (VECTORS / "trust").rglob("*.pem")}
    theirs = {p.relative_to(shared / "trust"): p.read_bytes() for p in (shared / "trust").rglob("*.pem")}
    assert ours == theirs
    assert (VECTORS / "trust" / "vector_roots.json").read_bytes() == (
        shared / "trust" / "vector_roots.json"
    ).read_bytes()
