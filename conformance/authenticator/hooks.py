"""Small hook constructors the catalogues are written with: each returns a function (value, build) -> value."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from . import cbor
from .authenticator import AuthDataParts, Build, with_leaf

_MISSING = object()


def set_fields(**changes: Any) -> Callable[[dict, Build], dict]:
    """Set (or, with value `DROP`, remove) keys of a dict stage (client data, attStmt)."""
    return set_labels(changes)


def set_labels(changes: dict[Any, Any]) -> Callable[[dict, Build], dict]:
    """Set or (value `DROP`) remove keys of a dict stage; any key type (COSE labels are ints)."""

    def hook(value: dict, _build: Build) -> dict:
        out = dict(value)
        for key, new in changes.items():
            if new is DROP:
                out.pop(key, None)
            else:
                out[key] = new
        return out

    return hook


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()


def parts(**changes: Any) -> Callable[[AuthDataParts, Build], AuthDataParts]:
    """Replace authenticatorData fields."""
    return lambda value, _build: dataclasses.replace(value, **changes)


def flags(*, set_bits: int = 0, clear_bits: int = 0) -> Callable[[AuthDataParts, Build], AuthDataParts]:
    return lambda value, _build: dataclasses.replace(value, flags=(value.flags | set_bits) & ~clear_bits)


def build_attr(**changes: Any) -> Callable[[Build, Build], Build]:
    """Change Build attributes at the `params` stage (credential id, key, flags, extensions ...)."""

    def hook(build: Build, _same: Build) -> Build:
        for key, value in changes.items():
            setattr(build, key, value() if callable(value) else value)
        return build

    return hook


def leaf(**changes: Any) -> Callable[[Build, Build], Build]:
    """Change one property of the attestation certificate (LeafProfile) at the `params` stage."""
    return lambda build, _same: with_leaf(build, **changes)


def chain_layout(layout: str, **leaf_changes: Any) -> Callable[[Build, Build], Build]:
    def hook(build: Build, _same: Build) -> Build:
        build.chain_profile = dataclasses.replace(build.chain_profile, layout=layout)
        return with_leaf(build, **leaf_changes) if leaf_changes else build

    return hook


def func(fn: Callable[[Any], Any]) -> Callable[[Any, Build], Any]:
    """Wrap a one-argument function as a hook."""
    return lambda value, _build: fn(value)


def replace_pair(key: str, new: Any = _MISSING, *, drop: bool = False) -> Callable[[list, Build], list]:
    """Edit one entry of the attestation object's (key, value) list, keeping its position."""

    def hook(pairs: list, _build: Build) -> list:
        out = []
        for k, v in pairs:
            if k != key:
                out.append((k, v))
            elif not drop:
                out.append((k, new(v) if callable(new) else new))
        return out

    return hook


def canonical_sorted(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return sorted(pairs, key=lambda kv: (len(cbor.encode(kv[0])), cbor.encode(kv[0])))
