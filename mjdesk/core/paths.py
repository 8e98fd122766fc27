"""Where mjdesk keeps data, settings and logs (platformdirs, overridable with ``--data-dir``)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import NamedTuple

from mjdesk import APP_AUTHOR, APP_NAME

DEFAULT_PROFILE = "Default"
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


class AppPaths(NamedTuple):
    """The folders of one run. With ``--data-dir`` all three live under that folder."""

    data: Path
    config: Path
    logs: Path

    @classmethod
    def for_user(cls) -> AppPaths:
        import platformdirs  # only here: --data-dir runs (tests) never need it

        return cls(
            data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
            config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
            logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        )

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        root = root.expanduser().resolve()
        return cls(data=root / "data", config=root / "config", logs=root / "logs")

    def workspace_file(self, profile: str) -> Path:
        return self.data / "workspaces" / f"{profile_slug(profile)}.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.logs / "mjdesk.log"

    def ensure(self) -> None:
        for folder in (self.data, self.config, self.logs):
            ensure_private_folder(folder)


#: modes of what mjdesk writes under its folders: contacts and consent are personal data,
#: so on a shared computer other local users may not read them (POSIX; Windows keeps a
#: user's AppData private already)
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def ensure_private_folder(folder: Path) -> None:
    """Make ``folder`` (and its parents) if needed; on POSIX only its owner may enter it."""
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    make_private(folder)


def make_private(path: Path) -> None:
    """Take group and other users' access away from ``path`` (one made by an older mjdesk,
    or a folder made under another umask); no error if it is gone or not the user's."""
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            path.chmod(mode & 0o700)
    except OSError:
        pass  # not the user's (a shared --data-dir) or a read-only disk: leave it as it is


def profile_slug(profile: str) -> str:
    """A file-name-safe form of a profile name ("Dept. news (US)" -> "Dept.-news-US")."""
    slug = _UNSAFE.sub("-", profile.strip()).strip("-.")
    if not slug:
        raise ValueError(f"{profile!r} is not a usable profile name")
    return slug[:80]


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the package in a checkout, in the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
