"""The reference relying party: one Starlette app, one router per API flavour, SQLite store, JWT tokens."""

from .app import FLAVOURS, create_app
from .config import RPConfig

__all__ = ["FLAVOURS", "RPConfig", "create_app"]
