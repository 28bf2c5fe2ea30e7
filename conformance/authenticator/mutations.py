"""The defect record: a named change to a valid credential, with the code each verifier preset must answer.

One record type for every defect the virtual authenticator makes. A stage mutation edits one or more build
stages (`hooks`, keyed by `authenticator.STAGES`); a format builder's defect (tpm, android-key, android-safetynet,
apple, compound) has no hooks and hands the builder its shape or stage edits through the make_credential
`options` (`statement_options`). A format builder's valid shapes are records too, with no defect (`description`
None). Stages before `signature` are signed over afterwards, so only the named defect remains; `resigned` says
whether that is the case (a corrupted signature or bytes after the attestation object are, by design, not
re-signed).
`expected_code` is a fidoconf code string (`verifier.errors.Code` values, written as strings because this
package must not import the verifier it tests); None means a verifier must accept.

The stage entries live in the `catalog_*` modules, grouped as docs/attacks.md Appendix B groups them; the format
entries next to their builders (formats_tpm_android/*_cases.py, formats_safetynet_apple_compound/*.py).
`defects.registry()` lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import SIGNED_STAGES, STAGES, Hook

#: The verifier presets a defect states its verdict under (`outcomes`).
PRESETS = ("strict", "fido-conformance", "permissive")


def outcome_of(code: str | None) -> dict[str, str]:
    """An `outcomes` entry: refused with `code`, or accepted (None)."""
    return {"expect": "accept"} if code is None else {"expect": "reject", "expected_code": code}


@dataclass(frozen=True, slots=True)
class Mutation:
    name: str
    #: Catalogue group of a stage mutation; the format of a format builder's record.
    group: str
    #: The one defect, in words; None for a format builder's valid shape (no defect).
    description: str | None
    #: The requirement sentence the defect breaks (WebAuthn L3 / CTAP2 / RFC), quoted or closely paraphrased.
    requirement: str
    #: Spec anchor of that requirement (#sctn-..., never a section number).
    anchor: str
    hooks: Mapping[str, Hook] = field(default_factory=dict)
    expected_code: str | None = None
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
    #: make_credential options (user_verified, backup_eligible, ...; a format builder's `statement_options`).
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Explicitly not re-signed although the hook runs before signing (e.g. signing with the wrong key).
    not_resigned: bool = False
    #: False: the defect breaks the credential JSON envelope the vector schema requires (a missing member, a
    #: padded id), so generate.py writes no file for it; the live suite and the tests still use it.
    vector_file: bool = True
    #: The level a live case built on this defect is graded at (MUST/SHOULD/STRICT/INFO, see cases.SEVERITIES):
    #: MUST only when `requirement` quotes a normative sentence. None: no live recipe names the defect.
    level: str | None = None
    #: A remark for readers of the generated vector (its `notes`).
    note: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.hooks) - set(STAGES)
        if unknown:
            raise ValueError(f"{self.name}: unknown stage(s) {sorted(unknown)}")

    @property
    def expect(self) -> str:
        return "accept" if self.expected_code is None else "reject"

    @property
    def fmt(self) -> str:
        return self.base[0]

    @property
    def alg(self) -> str:
        return self.base[1]

    @property
    def statement_options(self) -> Any:
        """The format builder's shape (TpmShape, AndroidKeyShape) or stage edits (None for a stage mutation)."""
        return self.options.get("statement_options")

    @property
    def builder_defect(self) -> bool:
        """True for a format builder's record: the builder's own shape makes it, not a stage hook."""
        return "statement_options" in self.options

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
