"""The virtual authenticator's formats: one statement builder per format variant, in an explicit registry.

`authenticator.make_credential` runs the same stages for every variant (client data, COSE key, authenticatorData,
attestation object, credential JSON, each with its hook) and asks the variant's builder for the attStmt in
between. A builder reads the `Build` (keys, PKI, authenticatorData, `statement_options`: its own shape) and the
client data hash, and returns the statement; everything it signs comes after the stages a mutation edits, so a
defect there is signed over. Adding a format is one builder and one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import formats_basic
from .formats_safetynet_apple_compound import apple, compound, safetynet
from .formats_safetynet_apple_compound.common import builder as parts_builder
from .formats_tpm_android import android_key, tpm
from .model import Build, StatementInput

StatementBuilder = Callable[[Build, StatementInput], Any]


@dataclass(frozen=True, slots=True)
class FormatBuilder:
    #: The attestation statement format identifier the variant writes (#sctn-attstn-fmt-ids).
    fmt: str
    statement: StatementBuilder
    #: keys.ALGS names the format can make credentials for; None: every one.
    algs: tuple[str, ...] | None = None
    #: x5c comes from the build's ChainProfile (`ca.TestPKI.chain`) before the `x5c` stage.
    chain_from_profile: bool = False


FORMATS: Mapping[str, FormatBuilder] = MappingProxyType(
    {
        "none": FormatBuilder("none", formats_basic.none_statement),
        "packed-self": FormatBuilder("packed", formats_basic.packed_statement),
        "packed-x5c": FormatBuilder("packed", formats_basic.packed_statement, chain_from_profile=True),
        # #sctn-fido-u2f-attestation: U2F credentials are P-256 only.
        "fido-u2f": FormatBuilder("fido-u2f", formats_basic.fido_u2f_statement, ("ES256",), chain_from_profile=True),
        "tpm": FormatBuilder("tpm", tpm.statement),
        "android-key": FormatBuilder("android-key", android_key.statement),
        "android-safetynet": FormatBuilder("android-safetynet", parts_builder(safetynet.statement)),
        "apple": FormatBuilder("apple", parts_builder(apple.statement), ("ES256", "ES384", "ES512")),
        "compound": FormatBuilder("compound", parts_builder(compound.statement), ("ES256", "ES384", "ES512")),
    }
)
