"""How a generated vector becomes a file: one rendering (sorted keys, ASCII) and one writer, shared by generate.py
and the format packages so every file under vectors/generated is byte-for-byte what `generate --check` expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def render(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def write_files(out_dir: str | Path, files: dict[str, str]) -> list[Path]:
    """Write relative path → text under `out_dir`; returns the paths written."""
    written = []
    for relative, text in files.items():
        path = Path(out_dir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written
