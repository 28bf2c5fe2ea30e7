"""What `fidoconf run` prints when the run is over: one line per case that did not PASS (ID, verdict, reason),
the summary table, and report.html's path as the last line. Exchanges only with -v (verbose)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .report import VERDICTS

#: Order of the finding lines: what needs action first.
_ORDER = ("FAIL", "ERROR", "WARN", "INFO", "SKIP")
REASON_WIDTH = 150


def _clip(text: str, width: int = REASON_WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def finding_lines(index: dict[str, Any]) -> list[str]:
    entries = [e for e in index["cases"].values() if e["verdict"] != "PASS"]
    entries.sort(key=lambda e: (_ORDER.index(e["verdict"]) if e["verdict"] in _ORDER else 9, e["id"]))
    return [f"{e['id']:<22} {e['verdict']:<5} {_clip(e.get('reason') or '')}" for e in entries]


def summary_table(index: dict[str, Any]) -> list[str]:
    lines = [f"{'area':<10}" + "".join(f"{v:>7}" for v in VERDICTS)]
    for area, counts in index["summary"]["by_area"].items():
        lines.append(f"{area:<10}" + "".join(f"{counts.get(v, 0):>7}" for v in VERDICTS))
    totals = index["summary"]["totals"]
    lines.append(f"{'target':<10}" + "".join(f"{totals.get(v, 0):>7}" for v in VERDICTS))
    reference = index["summary"].get("reference") or {}
    if any(reference.values()):
        # The reference verifier's own checks on vectors: counted apart, they say nothing about the target.
        lines.append(f"{'reference':<10}" + "".join(f"{reference.get(v, 0):>7}" for v in VERDICTS))
    return lines


def exchange_lines(case: dict[str, Any]) -> list[str]:
    lines = []
    for exchange in case.get("exchanges") or []:
        lines.append(f"    {exchange.get('method')} {exchange.get('path')} → {exchange.get('status')}")
        body = (exchange.get("request") or {}).get("body")
        lines += ["      > " + line for line in json.dumps(body, indent=1, ensure_ascii=False).splitlines()]
        body = (exchange.get("response") or {}).get("body")
        lines += ["      < " + line for line in json.dumps(body, indent=1, ensure_ascii=False).splitlines()]
    return lines


def render(run_dir: Path, *, verbose: bool = False) -> str:
    index = json.loads((run_dir / "index.json").read_text(encoding="utf-8"))
    run = index["run"]
    lines = [f"fidoconf {index['fidoconf']}: {run['target']} ({run['profile']})"
             + (f", seed {run['seed']}" if run.get("seed") else "")]
    for line in finding_lines(index):
        lines.append(line)
        case_id = line.split(" ", 1)[0]
        if verbose and index["cases"][case_id]["verdict"] in ("FAIL", "WARN", "ERROR"):
            case = json.loads((run_dir / "cases" / f"{case_id}.json").read_text(encoding="utf-8"))
            lines.append(f"    reproduce: {case['reproduction']['command']}")
            lines += exchange_lines(case)
    lines += ["", *summary_table(index), f"report: {run_dir / 'report.html'}"]
    return "\n".join(lines)
