"""The one record of a generated vector: a format variant and algorithm with a valid credential or exactly one
defect, and what each verifier preset must answer.

generate.py makes one per catalogued stage mutation (`mutation`); the format builders (tpm, android-key,
android-safetynet, apple, compound) make one per builder recipe or stage edit (`statement_options`, handed to
`authenticator.make_credential`). The live format cases (conformance/format_cases.py) run the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The verifier presets a generated vector states its verdict under.
PRESETS = ("strict", "fido-conformance", "permissive")


@dataclass(frozen=True, slots=True)
class VectorCase:
    id: str
    #: Format variant: none, packed-self, packed-x5c, fido-u2f, tpm, android-key, android-safetynet, apple, compound.
    fmt: str
    alg: str = "ES256"
    #: The one defect, in words; None for a valid credential.
    defect: str | None = None
    #: The requirement the defect breaks, quoted, and its anchor ("" where the live case supplies the step).
    requirement: str = ""
    anchor: str = ""
    #: A catalogued stage mutation (`mutations.Mutation`, generate.py's cases). Typed Any: the format builders that
    #: make VectorCases are imported by authenticator.py, which mutations.py imports, so importing it would loop.
    mutation: Any = None
    #: A format builder's recipe (TpmRecipe / AndroidKeyRecipe) or stage edits (safetynet / apple / compound).
    statement_options: Any = None
    #: Preset → expected code (None: accept). Presets left out are not asserted for this case.
    outcomes: dict[str, str | None] = field(default_factory=dict)
    #: A policy other than a preset under which `custom_expect` holds (e.g. {"preset": "strict", ...}).
    policy: dict[str, Any] | None = None
    custom_expect: str | None = None
    note: str = ""
    #: The level the live format case built on it is graded at (cases.SEVERITIES); every format step is a MUST.
    level: str = "MUST"
