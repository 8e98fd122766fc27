"""What goes wrong when reading a file to import or committing it, said so that the user can
act on it.

Every failure the user can cause (an empty file, a password, a renamed file, a cell of
several megabytes...) is an `ImportFileError` whose ``user_message`` names the file and,
where it helps, the sheet, row and column; a commit or undo that cannot be carried out is a
`CommitError`. Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mjdesk.core.work import UserError


class ImportFileError(UserError):
    """A file that cannot be imported, with a message fit to show the user as it is."""

    def __init__(
        self,
        file_name: str,
        user_message: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(user_message)
        self.file_name = file_name
        self.sheet = sheet
        self.row = row
        self.column = column


class EmptyFileError(ImportFileError):
    """The file, or the chosen sheet, holds nothing at all."""


class HeaderOnlyError(ImportFileError):
    """A header row and no data rows under it."""


class NoEmailColumnError(ImportFileError):
    """No column holds e-mail addresses, so there is nothing to import."""


class NotASpreadsheetError(ImportFileError):
    """Binary content that is neither a spreadsheet nor text (a picture, a PDF, a zip...)."""


class PasswordProtectedError(ImportFileError):
    """An encrypted workbook: it opens with its password (``password_helps``), or, when
    the encryption is one mjdesk cannot undo (OpenDocument's), once saved without one."""

    def __init__(self, file_name: str, user_message: str, *, password_helps: bool = True) -> None:
        super().__init__(file_name, user_message)
        self.password_helps = password_helps


class WrongPasswordError(PasswordProtectedError):
    """The password given does not open the encrypted workbook."""


class CorruptFileError(ImportFileError):
    """A spreadsheet container that is damaged (a truncated download, a broken zip)."""


class UnsupportedFormatError(ImportFileError):
    """A real spreadsheet in a format we cannot read (Excel 4.0 and older)."""


class CellTooLargeError(ImportFileError):
    """One cell far larger than any contact field can be (usually a pasted document)."""


class SheetTooLargeError(ImportFileError):
    """A sheet whose declared or implied extent no contact list reaches (a hostile or broken
    file): refused before the reader sizes its grid by it."""


class SheetNotFoundError(ImportFileError):
    """The sheet asked for is not in the workbook."""


class CommitError(UserError):
    """An import (or its undo) that cannot be carried out; ``user_message`` says why."""


class StalePlanError(CommitError):
    """The workspace changed between the dry run and the commit: run the dry run again."""


class NoticeKind(Enum):
    """What a reading or mapping notice is about, for filtering and for tests."""

    RENAMED_FILE = "renamed_file"
    ENCODING = "encoding"
    MIXED_ENCODING = "mixed_encoding"
    ERROR_CELLS = "error_cells"
    DUPLICATE_HEADER = "duplicate_header"
    EMPTY_HEADER = "empty_header"
    RAGGED_ROWS = "ragged_rows"
    HEADER_ROW = "header_row"
    SKIPPED_SHEETS = "skipped_sheets"
    FORMULA_TEXT = "formula_text"
    NUL_CHARACTERS = "nul_characters"
    REPAIRED_TEXT = "repaired_text"
    AMBIGUOUS_DATES = "ambiguous_dates"


@dataclass(frozen=True)
class Notice:
    """Something the user should know about the file that did not stop the import."""

    kind: NoticeKind
    message: str
    rows: tuple[int, ...] = ()
    """Original row numbers (as the spreadsheet shows them), at most a sample."""
    column: str | None = None
