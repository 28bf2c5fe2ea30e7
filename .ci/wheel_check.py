"""CI: the wheel works anywhere. Build it, install it into a fresh venv in a temp dir outside the checkout, run
`fidoconf run -n 2` from there against the embedded RP and compare with the editable install's run: 0 FAIL and
the same case count (a wheel missing data would drop cases or fail schema checks).

Usage (from the checkout, editable install active): python .ci/wheel_check.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def totals(report_dir: Path) -> dict[str, int]:
    (index,) = report_dir.glob("*/index.json")
    return json.loads(index.read_text())["summary"]["totals"]


def run_suite(fidoconf: list[str], *, cwd: Path, report_dir: Path) -> dict[str, int]:
    done = subprocess.run(
        [*fidoconf, "run", "-n", "2", "--report-dir", str(report_dir)], cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(
            f"wheel check: {' '.join(fidoconf)} run exited {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return totals(report_dir)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fidoconf-wheel-") as tmp:
        work = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)], check=True
        )
        (wheel,) = (work / "dist").glob("fidoconf-*.whl")
        venv.create(work / "venv", with_pip=True)
        python = work / "venv" / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        installed = run_suite(
            [str(work / "venv" / "bin" / "fidoconf")], cwd=elsewhere, report_dir=work / "wheel-reports"
        )
        editable = run_suite(
            [sys.executable, "-m", "fidoconf.conformance.cli"], cwd=ROOT, report_dir=work / "editable-reports"
        )
    count = {name: sum(t.values()) for name, t in (("wheel", installed), ("editable", editable))}
    print(f"wheel check: wheel {installed}, editable {editable}")
    if installed["FAIL"] or editable["FAIL"] or count["wheel"] != count["editable"]:
        print(f"wheel check: FAILED (cases {count})", file=sys.stderr)
        return 1
    print(f"wheel check: ok, {count['wheel']} cases, 0 FAIL, from an installed wheel outside the checkout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
