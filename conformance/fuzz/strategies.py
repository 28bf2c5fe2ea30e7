"""Hypothesis strategies: a registration as a format variant plus a SET of defects, re-signed by construction.

A defect is a named bundle of hooks on the virtual authenticator's build stages (authenticator.STAGES). Several
defects compose stage by stage, in draw order; stages before `signature` are signed over, so only the drawn
defects remain. Defects come from the mutation catalogue (defects.registry()) and from structural edits drawn
here: COSE label values of every CBOR type, authData flags and lengths, clientDataJSON members, trailing and
truncated attestationObject bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ..authenticator.authenticator import STAGES, Hook
from ..authenticator.defects import registry
from ..authenticator.mutations import Mutation

VARIANTS = ("none", "packed-self", "packed-x5c", "fido-u2f")
ALG = "ES256"


@dataclass(frozen=True)
class Defect:
    """One edit of the build; `name` is stable and readable (it is what a finding lists)."""

    name: str
    hooks: Mapping[str, Hook]
    #: Plain data `from_spec` rebuilds the defect from (kind, *arguments).
    spec: tuple = ()


@dataclass(frozen=True)
class Example:
    variant: str
    defects: tuple[Defect, ...] = ()
    alg: str = ALG

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.defects]

    def recipe(self) -> dict[str, Any]:
        return {"variant": self.variant, "alg": self.alg, "defects": [list(d.spec) for d in self.defects]}

    @classmethod
    def from_recipe(cls, recipe: Mapping[str, Any]) -> Example:
        return cls(recipe["variant"], tuple(from_spec(tuple(s)) for s in recipe["defects"]), recipe.get("alg", ALG))

    def without(self, index: int) -> Example:
        return Example(self.variant, self.defects[:index] + self.defects[index + 1 :], self.alg)


@dataclass(frozen=True)
class Combined:
    """A MutationLike whose hooks run every defect's hook for a stage in order."""

    hooks: Mapping[str, Hook] = field(default_factory=dict)


def combine(defects: tuple[Defect, ...]) -> Combined:
    chains: dict[str, list[Hook]] = {}
    for defect in defects:
        for stage, hook in defect.hooks.items():
            chains.setdefault(stage, []).append(hook)

    def chained(hooks: list[Hook]) -> Hook:
        def run(value: Any, build: Any) -> Any:
            for hook in hooks:
                value = hook(value, build)
            return value

        return run

    return Combined({stage: chained(chains[stage]) for stage in STAGES if stage in chains})


def usable(mutation: Mutation) -> bool:
    """Catalogue entries whose expectation needs nothing the fuzz ceremony does not give (policy, a challenge,
    other algorithms, authenticator options): the oracle decides anyway, but these would only add noise. Defects that
    break the credential JSON envelope are left out too: a flavour may legitimately repair the envelope (Nevis fills
    a missing rawId from id), which the verifier-level oracle cannot know, and a finding must be a schema-valid
    vector."""
    return (
        mutation.vector_file
        and mutation.policy is None
        and mutation.challenge is None
        and mutation.pub_key_cred_params is None
        and not mutation.options
        and (mutation.algs is None or ALG in mutation.algs)
    )


def catalogue_for(variant: str) -> list[Mutation]:
    return [m for m in registry().values() if usable(m) and variant in m.formats]


def catalogued(mutation: Mutation) -> Defect:
    return Defect(mutation.name, mutation.hooks, ("catalogue", mutation.name))


# --- CBOR values of every type, for COSE labels --------------------------------------------------------------

def cbor_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.integers(min_value=-(2**64), max_value=2**64 - 1),
        st.sampled_from([0, 1, -1, 23, 24, 255, 256, 65535, 65536, 2**32, -7, -8, -257, 2, 3]),
        st.binary(max_size=70),
        st.text(max_size=8),
        st.booleans(),
        st.none(),
    )  # no floats: the authenticator's canonical encoder refuses them; catalog_cbor has the float defects
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.integers(-3, 3), inner, max_size=2), max_leaves=4)


def _set_label(label: int, value: Any) -> Hook:
    def hook(cose_map: Any, build: Any) -> Any:
        if isinstance(cose_map, dict):
            cose_map = dict(cose_map)
            cose_map[label] = value
        return cose_map

    return hook


def _drop_label(label: int) -> Hook:
    def hook(cose_map: Any, build: Any) -> Any:
        if isinstance(cose_map, dict):
            cose_map = {k: v for k, v in cose_map.items() if k != label}
        return cose_map

    return hook


def _parts_edit(attribute: str, value: Any) -> Hook:
    def hook(parts: Any, build: Any) -> Any:
        setattr(parts, attribute, value)
        return parts

    return hook


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=12), st.sampled_from(["webauthn.create", "webauthn.get", "\u0000", "\ufeff"]))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(max_size=4), inner, max_size=2), max_leaves=4)


def _client_member(name: str, value: Any, drop: bool) -> Hook:
    def hook(client_data: Any, build: Any) -> Any:
        if isinstance(client_data, dict):
            client_data = dict(client_data)
            if drop:
                client_data.pop(name, None)
            else:
                client_data[name] = value
        return client_data

    return hook


def from_spec(spec: tuple) -> Defect:
    """Rebuild a defect from its spec (plain CBOR-encodable data), so a finding can be replayed later."""
    kind, *args = spec
    if kind == "catalogue":
        return Defect(args[0], registry()[args[0]].hooks, spec)
    if kind == "cose_absent":
        return Defect(f"cose_key.label[{args[0]}].absent", {"cose_key": _drop_label(args[0])}, spec)
    if kind == "cose_value":
        return Defect(f"cose_key.label[{args[0]}]={args[1]!r:.40}", {"cose_key": _set_label(*args)}, spec)
    if kind == "auth_data":
        shown = f"len={len(args[1])}" if args[0] == "credential_id" else f"{args[1]!r:.40}"
        return Defect(f"auth_data.{args[0]}={shown}", {"auth_data": _parts_edit(*args)}, spec)
    if kind == "client_absent":
        return Defect(f"client_data.{args[0]}.absent", {"client_data": _client_member(args[0], None, True)}, spec)
    if kind == "client_value":
        return Defect(f"client_data.{args[0]}={args[1]!r:.40}", {"client_data": _client_member(*args, False)}, spec)
    if kind == "trailing":
        tail = args[0]
        return Defect(f"attestation_object.trailing={tail.hex()}",
                      {"attestation_object_bytes": lambda data, build: data + tail}, spec)
    if kind == "truncated":
        cut = args[0]
        return Defect(f"attestation_object.truncated[-{cut}]",
                      {"attestation_object_bytes": lambda data, build: data[:-cut]}, spec)
    raise ValueError(f"unknown defect spec {kind!r}")


@st.composite
def cose_defects(draw: Callable) -> Defect:
    label = draw(st.sampled_from([1, 3, -1, -2, -3, 2, 4, 5, -4, 100, -100]))
    if draw(st.booleans()):
        return from_spec(("cose_absent", label))
    return from_spec(("cose_value", label, draw(cbor_values())))


@st.composite
def auth_data_defects(draw: Callable) -> Defect:
    kind = draw(st.sampled_from(["flags", "trailing", "credential_id_length", "sign_count", "credential_id"]))
    value = draw({
        "flags": st.integers(0, 255), "trailing": st.binary(min_size=1, max_size=8),
        "credential_id_length": st.integers(0, 65535), "sign_count": st.integers(0, 2**32 - 1),
        "credential_id": st.binary(max_size=1100),
    }[kind])
    return from_spec(("auth_data", kind, value))


@st.composite
def client_data_defects(draw: Callable) -> Defect:
    name = draw(st.sampled_from(["type", "challenge", "origin", "crossOrigin", "topOrigin", "tokenBinding"])
                | st.text(min_size=1, max_size=6))
    if draw(st.booleans()) and name in ("type", "challenge", "origin", "crossOrigin"):
        return from_spec(("client_absent", name))
    return from_spec(("client_value", name, draw(json_values())))


@st.composite
def object_bytes_defects(draw: Callable) -> Defect:
    """After signing, by design: bytes after the attestation object, or a truncated one."""
    if draw(st.booleans()):
        return from_spec(("trailing", draw(st.binary(min_size=1, max_size=4))))
    return from_spec(("truncated", draw(st.integers(1, 64))))


@st.composite
def examples(draw: Callable, *, max_defects: int = 3, structural: bool = True) -> Example:
    """A variant and 0..max_defects defects; catalogued defects are as likely as structural ones."""
    variant = draw(st.sampled_from(VARIANTS))
    pool = catalogue_for(variant)
    kinds = st.sampled_from(pool).map(catalogued)
    if structural:
        kinds = kinds | cose_defects() | auth_data_defects() | client_data_defects() | object_bytes_defects()
    defects = draw(st.lists(kinds, max_size=max_defects, unique_by=lambda d: d.name))
    return Example(variant, tuple(defects))
