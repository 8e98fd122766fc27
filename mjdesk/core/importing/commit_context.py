"""What one commit of an import knows (`CommitContext`), and the values it writes as they
are stored: consent dates as ISO text, property cells trimmed and normalised."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from mjdesk.core.clock import to_iso
from mjdesk.core.importing.cleaning import CleanedImport
from mjdesk.core.importing.consent_values import ConsentSpec
from mjdesk.core.importing.mapping import ColumnMapping, Role
from mjdesk.core.importing.plan import Plan
from mjdesk.core.importing.table import SourceInfo


@dataclass
class CommitContext:
    """Constants of one commit."""

    cleaned: CleanedImport
    plan: Plan
    mapping: ColumnMapping
    spec: ConsentSpec
    source: SourceInfo
    actor: str
    now: str
    batch_id: int = 0
    activity_id: int = 0

    def wording(self, index: int) -> str | None:
        if self.spec.wording.strip():
            return self.spec.wording.strip()
        header = self.mapping.header_for(Role.CONSENT)
        if header is None:
            return None
        value = self.cleaned.table.column(header)[index].strip()
        return f"{header}: {value}" if value else None


class IsoCache(dict[datetime | None, str]):
    """ISO text of consent dates; a file holds few distinct ones, strftime is slow."""

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def __missing__(self, when: datetime | None) -> str:
        text = self.default if when is None else to_iso(when)
        self[when] = text
        return text


def property_columns(ctx: CommitContext) -> list[list[str]]:
    table = ctx.cleaned.table
    return [table.column(choice.header) for choice in ctx.mapping.properties()]


def property_value(value: str) -> str | None:
    # As CleanedImport.properties reads them: trimmed, NFC, empty cells left out.
    value = value.strip()
    if not value:
        return None
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    return value
