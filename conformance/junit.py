"""junit.xml for CI: one <testsuite> per area, one <testcase> per case (name = case ID, classname = area).

Verdict → JUnit: PASS and INFO pass; WARN passes too (a SHOULD/STRICT finding must not turn a CI gate red
unless --strict made it a FAIL), carrying verdict=WARN and the reason in <system-out>, never <skipped>; FAIL is
<failure>; ERROR is <error> (the suite broke); SKIP is <skipped> with the reason in words. Each testcase carries
the properties id, level, verdict, requirement and source; the run's header is the testsuites' properties.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .case_result import junit_properties


def _text(value: Any) -> str:
    """XML 1.0 cannot carry most control characters or lone surrogates: replace them, keep the rest."""
    text = str(value if value is not None else "")
    return "".join(
        ch if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd") or ch > "\uffff" else "\ufffd"
        for ch in text
    )


def _failure_body(detail: dict[str, Any]) -> str:
    expected, actual = detail.get("expected") or {}, detail.get("actual") or {}
    defect = detail.get("defect") or {}
    lines = [
        f"requirement: {detail.get('requirement', '')}",
        f"source:      {(detail.get('source') or {}).get('url') or ''}",
        f"expected:    {expected.get('outcome')} {expected.get('code') or ''}".rstrip(),
        f"actual:      {actual.get('outcome')} {actual.get('code') or ''} HTTP {actual.get('http_status')}".rstrip(),
    ]
    if actual.get("message"):
        lines.append(f"server said: {actual['message']}")
    if defect.get("words"):
        lines.append(f"defect:      {defect['words']}")
    lines += [f"  {c['path']}: {c['sent']} (was {c['base']})" for c in defect.get("diff") or []]
    lines.append(f"reproduce:   {(detail.get('reproduction') or {}).get('command', '')}")
    return "\n".join(lines)


def _testcase(entry: dict[str, Any], detail: dict[str, Any]) -> ET.Element:
    element = ET.Element("testcase", name=entry["id"], classname=entry["area"], time=f"{entry['duration_s']:.4f}")
    properties = ET.SubElement(element, "properties")
    for name, value in junit_properties(entry):
        ET.SubElement(properties, "property", name=name, value=_text(value))
    verdict, reason = entry["verdict"], _text(entry.get("reason", ""))
    if verdict == "FAIL":
        ET.SubElement(element, "failure", type="FAIL", message=reason).text = _text(_failure_body(detail))
    elif verdict == "ERROR":
        error = detail.get("error") or {}
        node = ET.SubElement(element, "error", type=_text(error.get("type") or "Error"), message=reason)
        node.text = _text(error.get("traceback", ""))
    elif verdict == "SKIP":
        ET.SubElement(element, "skipped", message=reason)
    elif verdict in ("WARN", "INFO"):
        ET.SubElement(element, "system-out").text = _text(
            f"{verdict}: {reason}\n\n{_failure_body(detail)}" if verdict == "WARN" else f"{verdict}: {reason}"
        )
    return element


def build_junit(*, index: dict[str, Any], details: dict[str, dict[str, Any]]) -> ET.ElementTree:
    cases = index["cases"]
    root = ET.Element("testsuites", name="fidoconf", tests=str(len(cases)))
    totals = index["summary"]["totals"]
    root.set("failures", str(totals["FAIL"]))
    root.set("errors", str(totals["ERROR"]))
    root.set("time", f"{index['run']['duration_s']:.3f}")
    hostname = socket.gethostname() or "localhost"
    timestamp = index["run"]["started"][:19]
    for area, counts in index["summary"]["by_area"].items():
        entries = [e for e in cases.values() if e["area"] == area]
        suite = ET.SubElement(root, "testsuite", name=area, tests=str(len(entries)), failures=str(counts["FAIL"]),
                              errors=str(counts["ERROR"]), skipped=str(counts["SKIP"]),
                              time=f"{sum(e['duration_s'] for e in entries):.3f}", timestamp=timestamp,
                              hostname=hostname)
        properties = ET.SubElement(suite, "properties")
        for name in ("target", "profile", "seed", "control", "strict"):
            if index["run"].get(name) is not None:
                ET.SubElement(properties, "property", name=name, value=_text(index["run"][name]))
        ET.SubElement(properties, "property", name="fidoconf", value=index["fidoconf"])
        for entry in entries:
            suite.append(_testcase(entry, details.get(entry["id"], {})))
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, *, index: dict[str, Any], details: dict[str, dict[str, Any]]) -> Path:
    build_junit(index=index, details=details).write(path, encoding="utf-8", xml_declaration=True)
    return path
