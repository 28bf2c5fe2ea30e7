"""Write schemas/errors.json from the Code enum: `python -m fidoconf.verifier.export_errors`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .errors import Code


def schema() -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://fidoconf.dev/schemas/errors.json",
        "title": "fidoconf verification error code",
        "description": "The closed vocabulary of codes a fidoconf VerificationError carries (<object>.<field>.<condition>).",
        "type": "string",
        "enum": sorted(c.value for c in Code),
    }


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "schemas" / "errors.json"
    target.write_text(json.dumps(schema(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
