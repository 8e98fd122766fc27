"""The table read from a file: header names, columns of text, and where every row came from."""

from __future__ import annotations

import gc
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mjdesk.core.importing.errors import Notice
from mjdesk.core.importing.formats import FileKind


@dataclass(frozen=True)
class SourceInfo:
    """Provenance of an import, as the consent ledger and the import batch record it."""

    file_name: str
    sha256: str
    size: int
    kind: FileKind
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    """The header's row number as the spreadsheet shows it (1-based); None if there is none."""


MAX_CELL_CHARS = 131_072
"""The longest cell a contact field may hold; a longer one holds back its row when imported."""


@dataclass
class Table:
    """Every value as text, exactly as written (leading zeros kept), column by column.

    Columns rather than rows: a million-row file is eight lists, not a million objects, and
    the checks that run over one column (addresses, consent) never touch the others.
    """

    headers: list[str]
    columns: list[list[str]]
    row_numbers: array[int]
    """For each data row, its row number in the source (1-based, as Excel shows it)."""
    source: SourceInfo
    notices: list[Notice] = field(default_factory=list)
    long_cells: dict[str, list[int]] = field(default_factory=dict)
    """By header, the rows (0-based indexes) whose cell is longer than a contact field can be
    (`MAX_CELL_CHARS`): such a row is held back if that column is imported."""

    def __len__(self) -> int:
        return len(self.row_numbers)

    @property
    def width(self) -> int:
        return len(self.headers)

    def column(self, header: str) -> list[str]:
        """The values of the column named ``header`` (exactly, as in `headers`)."""
        return self.columns[self.headers.index(header)]

    def row(self, index: int) -> list[str]:
        """The values of one data row (0-based index into the data rows)."""
        return [column[index] for column in self.columns]


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook, for the sheet picker."""

    index: int
    name: str
    visible: bool
    """False for hidden and very hidden sheets (shown greyed in the picker)."""
    is_chart: bool
    rows: int
    columns: int

    @property
    def has_data(self) -> bool:
        return self.rows > 0 and not self.is_chart


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk work that makes no reference cycles.

    Reading a million rows allocates a million lists; each allocation burst starts a full
    collection that walks every object made so far, which doubled the time of a 1M-row read.
    Afterwards what the block made is moved to the oldest generation as it is (freeze and
    unfreeze): the collection its allocations are due would otherwise walk every column of
    a million cells at once, with the GIL held, to find no cycle in them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
