"""What a write to the workspace changed, so every page that shows it can refresh itself.

Each write returns (or its caller builds) one `Changes`; the window broadcasts it and each page
decides what to read again. Nobody refreshes another page's widgets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Changes(NamedTuple):
    """One write's reach. ``contact_ids`` are contacts edited in place (same rows, new values);
    ``contacts_added_or_removed`` means the set of contacts itself changed, so every list of
    them must be read again. (A NamedTuple, not a dataclass: the window makes these from its
    first moment, and the dataclasses machinery costs start-up time to import.)"""

    contact_ids: frozenset[int] = frozenset()
    contacts_added_or_removed: bool = False
    lists: bool = False
    imports: bool = False
    activity: bool = False
    settings: bool = False
    flags: bool = False
    """The review's flags were computed again (they follow every other change, later)."""

    @classmethod
    def edited(cls, ids: Iterable[int]) -> Changes:
        """Contacts changed in place, and the activity that records it."""
        return cls(contact_ids=frozenset(ids), activity=True)

    @property
    def contacts(self) -> bool:
        """Whether any contact changed at all."""
        return self.contacts_added_or_removed or bool(self.contact_ids)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.contact_ids | other.contact_ids,
            self.contacts_added_or_removed or other.contacts_added_or_removed,
            self.lists or other.lists,
            self.imports or other.imports,
            self.activity or other.activity,
            self.settings or other.settings,
            self.flags or other.flags,
        )


EVERYTHING = Changes(
    contacts_added_or_removed=True, lists=True, activity=True, settings=True, flags=True
)
"""After a change whose reach is unknown (a restore, a refresh the user asked for)."""

IMPORTED = Changes(contacts_added_or_removed=True, lists=True, imports=True, activity=True)
"""An import, or its undo: contacts came or went, with their lists and consent."""
