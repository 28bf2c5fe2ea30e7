"""Time as a parameter: every check that depends on "now" takes a `Clock`.

Recorded attestation chains expire; a vector carries the `verify_at` its chain was valid at, and tests pass
`fixed_clock(verify_at)`. Production passes `system_clock`. Nothing in the verifier reads the wall clock itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: Returns the current instant as a timezone-aware UTC datetime.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(dt_or_iso: datetime | str) -> Clock:
    """A clock stopped at one instant: a datetime, or ISO 8601 text such as "2021-09-01T00:00:00Z".

    A naive datetime (or text without an offset) is refused: guessing the zone would move a validity
    boundary by hours without anyone noticing.
    """
    if isinstance(dt_or_iso, str):
        # fromisoformat accepts "Z" since Python 3.11.
        instant = datetime.fromisoformat(dt_or_iso)
    elif isinstance(dt_or_iso, datetime):
        instant = dt_or_iso
    else:
        raise TypeError(f"fixed_clock needs a datetime or ISO 8601 text, not {type(dt_or_iso).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"fixed_clock needs an explicit UTC offset: {dt_or_iso!r}")
    instant = instant.astimezone(UTC)

    def clock() -> datetime:
        return instant

    return clock
