"""The sentence a page shows when background work fails."""

from __future__ import annotations

from pathlib import Path

from mjdesk.core.work import UserError


def error_text(exc: BaseException, path: Path | None = None) -> str:
    """A refusal's own sentence; for anything else, what failed (the file ``path``, if the
    work was about one) and the error's words."""
    if isinstance(exc, UserError):
        return exc.user_message
    name = path.name if path else "The file"
    return f"{name} could not be read ({exc}). Nothing was changed."
