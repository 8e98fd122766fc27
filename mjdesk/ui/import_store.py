"""Mappings remembered per header set, kept in the user's settings."""

from __future__ import annotations

from mjdesk.core.importing import ColumnMapping, Table, mapping_signature
from mjdesk.core.settings import Settings

_MAPPING_PREFIX = "import.mapping."


def remembered_mappings(settings: Settings) -> dict[str, str]:
    """Saved mappings by header signature, as `guess_mapping(remembered=...)` takes them."""
    return {
        key.removeprefix(_MAPPING_PREFIX): value
        for key, value in settings.extra.items()
        if key.startswith(_MAPPING_PREFIX)
    }


def remember_mapping(settings: Settings, table: Table, mapping: ColumnMapping) -> None:
    """Keep ``mapping`` for the next file with the same headers."""
    settings.extra[_MAPPING_PREFIX + mapping_signature(table.headers)] = mapping.to_json()
