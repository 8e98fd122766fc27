"""Small per-user settings: a typed JSON file written atomically. Never a secret in here."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

from mjdesk.core.atomic import write_text_atomically

log = logging.getLogger(__name__)


class Settings:
    """What mjdesk remembers between runs (window layout, last profile).

    A plain class rather than a dataclass: it is read on every start, and the
    dataclasses machinery costs more to import than this whole module.
    """

    #: every setting, with the type it must have and its default
    FIELDS: ClassVar[dict[str, tuple[type, Any]]] = {
        "last_profile": (str, ""),
        "window_geometry": (str, ""),  # base64 of QWidget.saveGeometry()
        "window_state": (str, ""),
        "contacts_header": (str, ""),
        "extra": (dict, None),
    }

    def __init__(
        self,
        last_profile: str = "",
        window_geometry: str = "",
        window_state: str = "",
        contacts_header: str = "",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.last_profile = last_profile
        self.window_geometry = window_geometry
        self.window_state = window_state
        self.contacts_header = contacts_header
        self.extra: dict[str, str] = dict(extra or {})

    def folder_for(self, kind: str) -> Path | None:
        """The folder last used for files of ``kind`` ("sources", "reports"), if it still
        exists."""
        text = self.extra.get(f"folder.{kind}", "")
        return Path(text) if text and Path(text).is_dir() else None

    def remember_folder(self, kind: str, folder: Path) -> None:
        """Open the next file dialog for ``kind`` in ``folder``."""
        self.extra[f"folder.{kind}"] = str(folder)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        return f"Settings({self.as_dict()!r})"

    @classmethod
    def load(cls, path: Path) -> Settings:
        """The settings in ``path``; defaults when missing or unreadable (never an error)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("Settings file %s unreadable (%s); using defaults", path, exc)
            return cls()
        if not isinstance(raw, dict):
            return cls()
        values: dict[str, Any] = {
            name: value
            for name, value in raw.items()
            if name in cls.FIELDS and isinstance(value, cls.FIELDS[name][0])
        }
        return cls(**values)

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write leaves the old file, never half a new one."""
        write_text_atomically(path, json.dumps(self.as_dict(), indent=2, sort_keys=True))
