"""Every citation in the repository resolves inside it or to a public source.

The project's research notes and seed pages lived outside the repository; their facts now live in docs/
(attacks.md, fido_conformance.md, server_apis.md) with their public sources. A comment or data field that cites
the old notes again would send a reader to a file nobody can open, so this test fails on one; and a citation of a
docs/ page must name a section the page has.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from .conftest import ROOT

#: The names of the notes that were never in the repository (split so this file does not cite them itself).
OUTSIDE = re.compile("|".join((
    "research" + r"/[a-z_]+\.md", "attack" + "_catalog", "conformance" + "_catalog", "api" + "_surface",
    "aesthetics" + r"\.md", "seeds" + r"/0\d\d", "shared" + "/research", "shared" + "/seeds",
)))
TEXT_SUFFIXES = {".py", ".json", ".md", ".toml", ".html", ".txt", ".cfg", ".ini", ".yml", ".yaml"}
#: `docs/server_apis.md §3.1`, `docs/fido_conformance.md §0.2`, `docs/attacks.md E8` (and `§3.1–§3.3` ranges).
SECTION_CITE = re.compile(r"docs/(server_apis|fido_conformance)\.md`? (§[0-9.]+(?:[–-]§[0-9.]+)?(?:, §[0-9.]+)*)")
CLASS_CITE = re.compile(r"docs/attacks\.md`? ([A-G](?:\d+)?(?:[–-][A-G]?\d+)?(?:, [A-G]\d*(?:[–-][A-G]?\d+)?)*)")


def repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()
    return sorted(p for p in listed if (ROOT / p).suffix in TEXT_SUFFIXES and (ROOT / p).is_file())


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {path: (ROOT / path).read_text(encoding="utf-8", errors="replace") for path in repository_files()}


def test_nothing_cites_notes_outside_the_repository(texts):
    found = [
        f"{path}:{text.count(chr(10), 0, hit.start()) + 1}: {hit.group(0)}"
        for path, text in texts.items()
        if path != "tests/test_citations.py"
        for hit in OUTSIDE.finditer(text)
    ]
    assert found == []


def _headings(page: str) -> set[str]:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return {m.group(1).rstrip(".") for m in re.finditer(r"^#{2,4} ([0-9]+(?:\.[0-9]+)*)\.? ", text, re.M)}


def test_cited_docs_sections_exist(texts):
    sections = {page: _headings(f"{page}.md") for page in ("server_apis", "fido_conformance")}
    missing = []
    for path, text in texts.items():
        for hit in SECTION_CITE.finditer(text):
            for number in re.findall(r"§([0-9]+(?:\.[0-9]+)*)", hit.group(2)):
                if number.rstrip(".") not in sections[hit.group(1)]:
                    missing.append(f"{path}: docs/{hit.group(1)}.md §{number}")
    assert missing == []
    assert sum(len(SECTION_CITE.findall(t)) for t in texts.values()) >= 20  # the pattern still finds the citations


def test_cited_bug_classes_exist(texts):
    page = (ROOT / "docs" / "attacks.md").read_text(encoding="utf-8")
    classes = set(re.findall(r"^### ([A-G])\. ", page, re.M)) | set(re.findall(r"^\*\*([A-G]\d+)\. ", page, re.M))
    cited = {
        name
        for text in texts.values()
        for hit in CLASS_CITE.finditer(text)
        for name in re.findall(r"\b[A-G]\d*\b", hit.group(1))
    }
    assert len(cited) >= 10
    assert sorted(cited - classes) == []
