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
    if isinstance(exc, FileNotFoundError):
        return f"{name}: there is no such file. Check the name and the folder."
    if isinstance(exc, IsADirectoryError):
        return f"{name} is a folder, not a spreadsheet."
    return f"{name} could not be read ({exc}). Nothing was changed."
