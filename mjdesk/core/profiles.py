"""The list of Mailjet account profiles: names, regions and dates, never a key or a secret.

Each profile has its own workspace (``AppPaths.workspace_file(name)``); its API key and secret
key live only in the OS keyring (``mjdesk.mailjet.credentials``). The list is a small JSON file
in the config folder, written atomically like the settings.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from mjdesk.core.atomic import write_text_atomically
from mjdesk.core.paths import profile_slug
from mjdesk.core.work import UserError

log = logging.getLogger(__name__)

REGIONS = ("default", "us")
#: the profile of practice mode; reserved, so a real account never shares its workspace
PRACTICE_PROFILE = "Practice"


class ProfileError(UserError, ValueError):
    """A profile name that cannot be used; the message is a sentence for the user."""


class Profile(NamedTuple):
    """One account profile (no secrets: those are in the keyring)."""

    name: str
    region: str = "default"
    created: str = ""  # ISO 8601, UTC

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "region": self.region, "created": self.created}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class ProfileBook:
    """The profiles in ``path`` (``profiles.json``); every change is saved at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._profiles: dict[str, Profile] = {}
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("Profiles file %s unreadable (%s); starting with none", self.path, exc)
            return
        items = raw.get("profiles") if isinstance(raw, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            region = item.get("region")
            created = item.get("created")
            profile = Profile(
                item["name"],
                region if region in REGIONS else "default",
                created if isinstance(created, str) else "",
            )
            self._profiles[profile.name] = profile

    def save(self) -> None:
        """Write atomically: a crash mid-write leaves the old file, never half a new one."""
        data = json.dumps(
            {"format": 1, "profiles": [p.as_json() for p in self._profiles.values()]}, indent=2
        )
        write_text_atomically(self.path, data)

    def __iter__(self) -> Iterator[Profile]:
        return iter(sorted(self._profiles.values(), key=lambda p: p.name.casefold()))

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, name: object) -> bool:
        return name in self._profiles

    def get(self, name: str) -> Profile | None:
        return self._profiles.get(name)

    def names(self) -> list[str]:
        return [p.name for p in self]

    def check_new_name(self, name: str) -> str:
        """``name`` cleaned, or ``ProfileError`` saying why it cannot be a new profile."""
        name = name.strip()
        if not name:
            raise ProfileError("Give the profile a name, for example “Department news”.")
        try:
            slug = profile_slug(name)
        except ValueError:
            raise ProfileError("Use letters or digits in the profile name.") from None
        if slug.casefold() == profile_slug(PRACTICE_PROFILE).casefold():
            raise ProfileError(f"“{PRACTICE_PROFILE}” is kept for the practice sandbox.")
        for other in self._profiles.values():
            if profile_slug(other.name).casefold() == slug.casefold():
                raise ProfileError(f"There is already a profile called “{other.name}”.")
        return name

    def add(self, name: str, region: str = "default") -> Profile:
        """A new profile (saved); ``ProfileError`` if the name is taken or unusable."""
        name = self.check_new_name(name)
        if region not in REGIONS:
            raise ProfileError(f"Unknown region {region!r}.")
        profile = Profile(name, region, _now())
        self._profiles[name] = profile
        self.save()
        return profile

    def set_region(self, name: str, region: str) -> Profile:
        if region not in REGIONS:
            raise ProfileError(f"Unknown region {region!r}.")
        profile = self._profiles[name]._replace(region=region)
        self._profiles[name] = profile
        self.save()
        return profile

    def remove(self, name: str) -> None:
        if self._profiles.pop(name, None) is not None:
            self.save()
