"""The defect catalogue: named mutations of a valid credential, each with the code a verifier must answer.

A `Mutation` edits one or more build stages (`hooks`, keyed by `authenticator.STAGES`). Stages before
`signature` are signed over afterwards, so only the named defect remains; `resigned` says whether that is the
case (a corrupted signature or bytes after the attestation object are, by design, not re-signed).
`expected_code` is a fidoconf code string (`verifier.errors.Code` values, written as strings because this
package must not import the verifier it tests); None means a verifier must accept.

The entries live in the `catalog_*` modules, grouped as docs/attacks.md Appendix B groups them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .authenticator import SIGNED_STAGES, STAGES, Hook


@dataclass(frozen=True, slots=True)
class Mutation:
    name: str
    group: str
    description: str
    #: The requirement sentence the defect breaks (WebAuthn L3 / CTAP2 / RFC), quoted or closely paraphrased.
    requirement: str
    #: Spec anchor of that requirement (#sctn-..., never a section number).
    anchor: str
    hooks: Mapping[str, Hook]
    expected_code: str | None
    #: (format variant, algorithm) the generator instantiates the defect on.
    base: tuple[str, str] = ("none", "ES256")
    #: Format variants the defect is meaningful for (the live suite may apply it to any of them).
    formats: tuple[str, ...] = ("none", "packed-self", "packed-x5c", "fido-u2f")
    #: Algorithms it applies to; None means any.
    algs: tuple[str, ...] | None = None
    #: Verifier policy under which `expected_code` holds: a preset name or {"preset": ..., field: value}.
    policy: str | dict[str, Any] | None = None
    #: The outcome under other presets: {"strict": {"expect": "accept"}, ...}.
    outcomes: dict[str, dict[str, Any]] | None = None
    #: What the RP allowed (pubKeyCredParams algs); None means the base credential's alg.
    pub_key_cred_params: tuple[int, ...] | None = None
    #: A challenge the defect needs (e.g. one whose base64url uses '-' and '_').
    challenge: bytes | None = None
    #: make_credential options (user_verified, backup_eligible, ...).
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Explicitly not re-signed although the hook runs before signing (e.g. signing with the wrong key).
    not_resigned: bool = False
    #: False: the defect breaks the credential JSON envelope the vector schema requires (a missing member, a
    #: padded id), so generate.py writes no file for it; the live suite and the tests still use it.
    vector_file: bool = True
    #: The level a live case built on this defect is graded at (MUST/SHOULD/STRICT/INFO, see cases.SEVERITIES):
    #: MUST only when `requirement` quotes a normative sentence. None: no live recipe names the defect.
    level: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.hooks) - set(STAGES)
        if unknown:
            raise ValueError(f"{self.name}: unknown stage(s) {sorted(unknown)}")

    @property
    def expect(self) -> str:
        return "accept" if self.expected_code is None else "reject"

    @property
    def stage(self) -> str:
        return ",".join(s for s in STAGES if s in self.hooks)

    @property
    def resigned(self) -> bool:
        """True when every edit happened before signing, so the signature covers the defect."""
        return not self.not_resigned and all(s in SIGNED_STAGES for s in self.hooks)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group": self.group,
            "stage": self.stage,
            "description": self.description,
            "requirement": self.requirement,
            "spec_anchor": self.anchor,
            "resigned": self.resigned,
        }
