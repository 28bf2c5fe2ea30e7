"""Refusal reasons: did the server refuse a defect for the planted defect, or for something else?

A negative case proves something only if the refusal is for its defect: a chain case "passed" on a server that
refused with "Unexpected error while validating certificate path" for another reason. A server that answers
fidoconf's own codes (capability `error-codes`) is checked code for code. For any other server the config may
give a reason map, `reasons = {"<regex on the server's code and message>" = "<fidoconf code>"}` (the code may
use the regex's groups, `\\1`; `"<prefix>.*"` stands for every code under the prefix), or `reasons = "reference"`
for the built-in map of the flavour's reference RP (REFERENCE_REASONS next to each profile). With a map that
covers the expected code, a refusal for another reason is a FAIL; without one the case PASSes and records
"refused; reason not verified" with the server's words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .profiles import Submission


class ReasonMapError(ValueError):
    pass


@dataclass(frozen=True)
class ReasonMap:
    entries: tuple[tuple[re.Pattern[str], str], ...]

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any]) -> ReasonMap:
        entries = []
        for pattern, code in value.items():
            if not isinstance(pattern, str) or not isinstance(code, str) or not code:
                raise ReasonMapError(f"reasons: {pattern!r} = {code!r} must map a regex to a fidoconf code")
            try:
                entries.append((re.compile(pattern), code))
            except re.error as exc:
                raise ReasonMapError(f"reasons: {pattern!r} is not a regular expression: {exc}") from None
        return cls(tuple(entries))

    def codes_said(self, words: str) -> set[str]:
        """Every fidoconf code the server's words name under this map."""
        said = set()
        for pattern, code in self.entries:
            found = pattern.search(words)
            if found:
                said.add(found.expand(code))
        return said

    def covers(self, code: str) -> bool:
        """Whether the map can recognise `code` at all; a map silent about a code cannot call a refusal wrong."""
        return any(_template_matches(template, code) for _, template in self.entries)


def _template_matches(template: str, code: str) -> bool:
    if "\\" in template:  # built from the server's words: may name any code
        return True
    if template.endswith(".*"):
        return code.startswith(template[:-1])
    return template == code


def _said_matches(said: set[str], expected: str) -> bool:
    return any(_template_matches(code, expected) for code in said)


def words_of(submission: Submission) -> str:
    """What the server said about a refusal: its code (when the profile found one) and its message."""
    return " ".join(part for part in (submission.code, submission.message) if part)


@dataclass(frozen=True)
class ReasonCheck:
    #: True: the refusal names the expected code; False: it names another; None: not verifiable here.
    verified: bool | None
    words: str
    said: tuple[str, ...] = ()

    def record(self) -> str:
        if self.verified is None:
            return f"refused; reason not verified (server said: {self.words!r})"
        if self.verified:
            return f"refused for the expected reason (server said: {self.words!r})"
        return f"refused for the wrong reason (server said: {self.words!r} = {', '.join(self.said) or 'no mapped code'})"


def check_reason(*, expected_code: str, submission: Submission, reasons: ReasonMap | None) -> ReasonCheck:
    words = words_of(submission)
    if reasons is None or not reasons.covers(expected_code):
        return ReasonCheck(None, words)
    said = reasons.codes_said(words)
    return ReasonCheck(_said_matches(said, expected_code), words, tuple(sorted(said)))


def reason_map_for(value: Any, *, reference: Mapping[str, str] | None) -> ReasonMap | None:
    """The config's `reasons`: a table, "reference" (the flavour's built-in map), or absent (None)."""
    if value is None:
        return None
    if value == "reference":
        if reference is None:
            raise ReasonMapError("reasons = 'reference': this profile has no built-in reason map")
        return ReasonMap.from_mapping(reference)
    if isinstance(value, Mapping):
        return ReasonMap.from_mapping(value)
    raise ReasonMapError(f"reasons must be a table of regex = code, or 'reference', not {type(value).__name__}")
