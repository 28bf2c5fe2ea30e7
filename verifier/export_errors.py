"""Write schemas/errors.json (the verifier's Code) and schemas/rp_errors.json (the reference RP's RpCode):
`python -m fidoconf.verifier.export_errors [SCHEMAS_DIR]`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

from .errors import Code
from .rp.errors import RpCode


def _vocabulary(name: str, title: str, description: str, codes: type[StrEnum]) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://fidoconf.dev/schemas/{name}",
        "title": title,
        "description": description,
        "type": "string",
        "enum": sorted(c.value for c in codes),
    }


def schema() -> dict:
    return _vocabulary(
        "errors.json", "fidoconf verification error code",
        "The closed vocabulary of codes a fidoconf VerificationError carries (<object>.<field>.<condition>).", Code,
    )  # fmt: skip


def rp_schema() -> dict:
    return _vocabulary(
        "rp_errors.json", "fidoconf reference RP error code",
        "The reference RP's own refusals: requests, tokens and ceremony state (<object>.<field>.<condition>).", RpCode,
    )  # fmt: skip


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "schemas"
    for name, document in (("errors.json", schema()), ("rp_errors.json", rp_schema())):
        (target / name).write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
