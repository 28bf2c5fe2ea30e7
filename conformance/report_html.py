"""report.html: the conformance report a server developer reads, rendered from index.json and the case results.

One self-contained page (no network assets, one small script for the filters; rows expand with <details>, so
the findings are readable without script): the run header, totals by area and by scope (target cases apart from
the reference self-checks), filters by verdict, level, area and scope, and one row per case. FAIL, WARN and ERROR
rows expand to the requirement with its spec link, expected vs actual, the decoded defect, the HTTP exchanges and
the reproduction; SKIP rows say why in words. PASS exchanges stay in cases/<ID>.json to keep the page small.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from .report import DETAILED, VERDICTS

#: Longest string value an exchange panel prints (the full body is in cases/<ID>.json).
VALUE_LIMIT = 240
LEVELS = ("MUST", "SHOULD", "STRICT", "INFO")


def _template() -> Template:
    text = resources.files("fidoconf.conformance").joinpath("report_template.html").read_text(encoding="utf-8")
    return Template(text)


def _e(value: Any) -> str:
    return escape(str(value if value is not None else ""), quote=True)


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > VALUE_LIMIT:
        return value[:VALUE_LIMIT] + f"… ({len(value)} chars; full text in cases/*.json)"
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clip(v) for v in value]
    return value


def _pretty(value: Any) -> str:
    return _e(json.dumps(_clip(value), indent=2, ensure_ascii=False))


def _header(index: dict[str, Any], detailed: int) -> str:
    run = index["run"]
    items = [
        ("Target", run["target"]),
        ("Profile", run["profile"]),
        ("Capabilities", ", ".join(run.get("capabilities") or []) or "(none declared)"),
        ("Policy", run.get("policy") or "—"),
        ("Seed", run.get("seed") or "—"),
        ("Negative control", run.get("control")),
        ("Strict", "yes: SHOULD/STRICT findings are FAIL" if run.get("strict") else "no: SHOULD/STRICT findings WARN"),
        ("fidoconf", index["fidoconf"]),
        ("Date", run["started"]),
        ("Duration", f"{run['duration_s']:.1f} s"),
    ]
    return "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items if v is not None)


def _count(verdict: str, count: int) -> str:
    return f'<span class="v v-{verdict}">{count}</span>' if count and verdict != "PASS" else str(count)


def _counts_table(rows: list[tuple[str, dict[str, int]]], first: str) -> str:
    head = "".join(f"<th>{v}</th>" for v in VERDICTS)
    body = "".join(
        f"<tr><td>{_e(name)}</td>" + "".join(f"<td>{_count(v, c[v])}</td>" for v in VERDICTS)
        + f"<td>{sum(c.values())}</td></tr>"
        for name, c in rows
    )
    return (f'<table class="summary"><thead><tr><th>{first}</th>{head}<th>total</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _summary(index: dict[str, Any]) -> str:
    summary = index["summary"]
    scopes = [(f"{name} cases" if name == "target" else f"{name} self-checks (not about the target)", counts)
              for name, counts in summary.get("by_scope", {}).items()]
    return (
        _counts_table([*scopes, ("all", summary["totals"])], "scope")
        + "<h2>By area</h2>"
        + _counts_table(list(summary["by_area"].items()), "area")
    )


def _filters(index: dict[str, Any]) -> str:
    cases = index["cases"].values()
    verdicts = [v for v in VERDICTS if any(c["verdict"] == v for c in cases)]
    levels = [lv for lv in LEVELS if any(c["level"] == lv for c in cases)]
    levels += sorted({c["level"] for c in cases} - set(levels))
    scopes = sorted({c.get("scope") or "target" for c in cases})
    default_off = {"PASS"} if any(c["verdict"] != "PASS" for c in cases) else set()

    def boxes(name: str, values: list[str], off: set[str]) -> str:
        return f"<fieldset><legend>{name.title()}</legend>" + "".join(
            f'<label><input type="checkbox" name="{name}" value="{_e(v)}"{"" if v in off else " checked"}> {_e(v)}'
            f"</label>" for v in values) + "</fieldset>"

    areas = "".join(f'<option value="{_e(a)}">{_e(a)}</option>' for a in index["summary"]["by_area"])
    return (boxes("verdict", verdicts, default_off) + boxes("level", levels, set()) + boxes("scope", scopes, set())
            + f'<label>Area <select name="area"><option value="">all</option>{areas}</select></label>')


def _outcome(part: dict[str, Any] | None) -> str:
    if not part:
        return '<span class="muted">—</span>'
    rows = [(k, part.get(k)) for k in ("outcome", "code", "http_status", "message") if part.get(k) not in (None, "")]
    return "<dl class='meta'>" + "".join(f"<dt>{_e(k)}</dt><dd class='mono'>{_e(v)}</dd>" for k, v in rows) + "</dl>"


def _defect(defect: dict[str, Any]) -> str:
    html = f"<p>{_e(defect.get('words'))}</p>"
    diff = defect.get("diff") or []
    if diff:
        html += ('<table class="diff"><thead><tr><th>field (decoded)</th><th>sent</th><th>undamaged base</th></tr>'
                 "</thead><tbody>" + "".join(
                     f"<tr><td>{_e(c['path'])}</td><td>{_e(_clip(c['sent']))}</td><td>{_e(_clip(c['base']))}</td></tr>"
                     for c in diff[:40]) + "</tbody></table>")
    elif defect.get("summary"):
        html += f"<p class='muted'>{_e(defect['summary'])}</p>"
    return html


def _exchange(number: int, exchange: dict[str, Any]) -> str:
    request, response = exchange.get("request") or {}, exchange.get("response") or {}
    decoded = exchange.get("decoded_credential")
    decoded_html = f"<h4>Credential sent, decoded</h4><pre>{_pretty(decoded)}</pre>" if decoded else ""
    return (
        f'<div class="exchange"><details><summary class="mono">#{number} {_e(exchange.get("method"))} '
        f'{_e(exchange.get("path"))} → {_e(exchange.get("status"))} ({_e(exchange.get("elapsed_ms"))} ms)</summary>'
        f'<div class="pair"><div><h4>Request body</h4><pre>{_pretty(request.get("body"))}</pre></div>'
        f'<div><h4>Response body</h4><pre>{_pretty(response.get("body"))}</pre></div></div>{decoded_html}'
        "</details></div>"
    )


def _detail(detail: dict[str, Any]) -> str:
    source = detail.get("source") or {}
    link = (f'<a href="{_e(source["url"])}" rel="noreferrer">{_e(source.get("anchor") or source["url"])}</a>'
            if source.get("url") else "")
    fido = f" · FIDO: {_e(source['fido'])}" if source.get("fido") else ""
    quote = f"<blockquote>{_e(source['quote'])}</blockquote>" if source.get("quote") else ""
    parts = [
        f"<div class='panel'><h4>Requirement ({_e(detail['level'])})</h4><p>{_e(detail['requirement'])}</p>"
        f"{quote}<p class='muted'>{link}{fido}</p></div>",
        "<div class='panel pair'><div><h4>Expected</h4>" + _outcome(detail.get("expected")) + "</div>"
        "<div><h4>Actual</h4>" + _outcome(detail.get("actual")) + "</div></div>",
        "<div class='panel'><h4>Defect</h4>" + _defect(detail.get("defect") or {}) + "</div>",
    ]
    if detail.get("error"):
        parts.append(f"<div class='panel'><h4>Suite error (traceback)</h4><pre>{_e(detail['error'].get('traceback'))}"
                     "</pre></div>")
    exchanges = detail.get("exchanges") or []
    if exchanges:
        parts.append("<div class='panel'><h4>HTTP exchanges</h4>"
                     + "".join(_exchange(i + 1, x) for i, x in enumerate(exchanges)) + "</div>")
    parts.append(f"<div class='panel'><h4>Reproduce</h4><pre>{_e(detail['reproduction']['command'])}</pre></div>")
    return "".join(parts)


def _row(entry: dict[str, Any], detail: dict[str, Any] | None) -> str:
    verdict = entry["verdict"]
    attrs = (f'data-verdict="{_e(verdict)}" data-level="{_e(entry["level"])}" data-area="{_e(entry["area"])}" '
             f'data-scope="{_e(entry.get("scope") or "target")}" id="case-{_e(entry["id"])}"')
    reason = f' <span class="reason">— {_e(entry["reason"])}</span>' if entry.get("reason") else ""
    if verdict in DETAILED and detail:
        body = f"<details><summary>{_e(entry['title'])}{reason}</summary>{_detail(detail)}</details>"
    else:
        body = f"{_e(entry['title'])}{reason}"
    return (f'<tr {attrs}><td><span class="v v-{_e(verdict)}">{_e(verdict)}</span></td>'
            f'<td class="mono">{_e(entry["id"])}</td><td>{_e(entry["level"])}</td><td>{_e(entry["area"])}</td>'
            f"<td>{body}</td></tr>")


def render_html(*, index: dict[str, Any], details: dict[str, dict[str, Any]]) -> str:
    run = index["run"]
    order = {v: i for i, v in enumerate(("FAIL", "ERROR", "WARN", "INFO", "SKIP", "PASS"))}
    entries = sorted(index["cases"].values(), key=lambda e: (order.get(e["verdict"], 9), e["id"]))
    totals = index["summary"]["totals"]
    findings = ", ".join(f"{totals[v]} {v}" for v in VERDICTS if totals.get(v))
    return _template().substitute(
        title=_e(f"fidoconf: {run['target']} ({run['profile']})"),
        heading=_e(f"fidoconf conformance report: {run['target']}"),
        subheading=_e(f"{run['profile']} · {findings}"),
        header=_header(index, len(details)),
        summary=_summary(index),
        filters=_filters(index),
        rows="\n".join(_row(e, details.get(e["id"])) for e in entries),
    )


def write_html(path: Path, *, index: dict[str, Any], details: dict[str, dict[str, Any]]) -> Path:
    path.write_text(render_html(index=index, details=details), encoding="utf-8")
    return path
