"""Timestamps as the workspace stores them: UTC, ISO 8601, second precision, always one format.

One format matters because the consent summary orders records by comparing these strings.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now_iso() -> str:
    return datetime.now(UTC).strftime(_FORMAT)


def to_iso(moment: datetime) -> str:
    """A datetime in the stored form; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def current_user() -> str:
    """Who is at the keyboard, for the journal and the consent ledger."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers, services)
        return os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"
