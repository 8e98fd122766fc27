"""What a file really is, from its first bytes, whatever its name says.

A file is read by its content, not its extension: a CSV saved as ``.xlsx`` is read as text
(with a notice), while a picture, a PDF or an encrypted workbook is refused with a message
that says what it is and what to do. Encryption is recognised before any reader runs, so a
password-protected workbook is never reported as "corrupt".
"""

from __future__ import annotations

import io
import zipfile
from enum import Enum
from pathlib import Path
from typing import BinaryIO

from mjdesk.core.importing.errors import (
    CorruptFileError,
    EmptyFileError,
    NotASpreadsheetError,
    PasswordProtectedError,
    UnsupportedFormatError,
)


class FileKind(Enum):
    """The formats the importer reads."""

    TEXT = "text"  # CSV, TSV, TXT
    XLSX = "xlsx"  # also XLSM
    XLSB = "xlsb"
    XLS = "xls"
    ODS = "ods"

    @property
    def is_workbook(self) -> bool:
        return self is not FileKind.TEXT


_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
# Recognisable non-spreadsheets, so the message can say what the file is.
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"GIF8", "a GIF picture"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
)
# BIFF2 to BIFF4 (Excel 2.x-4.0) worksheets start with a bare BOF record, not an OLE2 header.
_OLD_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")
_TEXT_EXTENSIONS = {".csv", ".tsv", ".txt", ".tab", ".dat", ""}
_WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm", ".xlt"}
_RESAVE = "Open it in Excel or LibreOffice and save it as .xlsx or .csv, then import that copy."


def _utf16_name(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole2_kind(path: Path, file_name: str) -> FileKind:
    """Tell an encrypted OOXML package from an .xls (or a Word file) inside an OLE2 container."""
    # The directory is small and sits in the first few sectors of any file a user would have,
    # but it may follow the data; reading at most 64 MB keeps the check cheap and sure.
    with path.open("rb") as stream:
        data = stream.read(64 << 20)
    if _utf16_name("EncryptedPackage") in data or _utf16_name("EncryptionInfo") in data:
        raise PasswordProtectedError(file_name, f"{file_name} is protected with a password.")
    if _utf16_name("Workbook") in data or _utf16_name("Book") in data:
        return FileKind.XLS
    if _utf16_name("WordDocument") in data:
        raise NotASpreadsheetError(file_name, f"{file_name} is a Word document, not a spreadsheet.")
    raise NotASpreadsheetError(
        file_name, f"{file_name} is an Office file but not a spreadsheet mjdesk can read."
    )


def _zip_kind(path: Path | BinaryIO, file_name: str) -> FileKind:
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                mimetype = package.read("mimetype").decode("ascii", "replace").strip()
                if "opendocument.spreadsheet" not in mimetype:
                    raise NotASpreadsheetError(
                        file_name, f"{file_name} is an OpenDocument file but not a spreadsheet."
                    )
                manifest = b""
                if "META-INF/manifest.xml" in names:
                    manifest = package.read("META-INF/manifest.xml")
                if b"encryption-data" in manifest:
                    raise PasswordProtectedError(
                        file_name,
                        f"{file_name} is password protected, and an encrypted OpenDocument "
                        "file cannot be opened by mjdesk, even with its password. Open it in "
                        "LibreOffice, save it without a password (File > Properties > "
                        "Security), and import that copy.",
                        password_helps=False,
                    )
                return FileKind.ODS
            if "xl/workbook.xml" in names:
                return FileKind.XLSX
            if "xl/workbook.bin" in names:
                return FileKind.XLSB
            if "word/document.xml" in names:
                raise NotASpreadsheetError(
                    file_name, f"{file_name} is a Word document, not a spreadsheet."
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise CorruptFileError(
            file_name,
            f"{file_name} is damaged: its zip container cannot be opened ({exc}). "
            "If it was downloaded, download it again; otherwise "
            + _RESAVE[0].lower()
            + _RESAVE[1:],
        ) from exc
    raise NotASpreadsheetError(file_name, f"{file_name} is a zip archive, not a spreadsheet.")


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26, 27))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)


def _looks_binary(head: bytes) -> bool:
    """Control bytes that text never has (UTF-16 is recognised by the caller before this).

    A few NULs are tolerated: exports from old systems put stray ones in text.
    """
    control = len(head.translate(None, _NOT_CONTROL))
    return control > max(4, len(head) // 20)


def looks_like_utf16(head: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for BOM-less UTF-16 of mostly Latin text, else None."""
    sample = head[: 4096 - (len(head[:4096]) % 2)]
    if len(sample) < 4:
        return None
    even_zero = sample[0::2].count(0)
    odd_zero = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zero > half * 0.6 and even_zero < half * 0.1:
        return "utf-16-le"
    if even_zero > half * 0.6 and odd_zero < half * 0.1:
        return "utf-16-be"
    return None


def detect_kind(path: Path) -> FileKind:
    """The format of ``path`` from its content; raises `ImportFileError` for what cannot be read."""
    file_name = path.name
    with path.open("rb") as stream:
        head = stream.read(65536)
    if not head:
        raise EmptyFileError(file_name, f"{file_name} is empty (0 bytes).")
    if head.startswith(_ZIP):
        return _zip_kind(path, file_name)
    if head.startswith(_EMPTY_ZIP):
        raise EmptyFileError(file_name, f"{file_name} is an empty zip archive, not a spreadsheet.")
    if head.startswith(_OLE2):
        return _ole2_kind(path, file_name)
    if head[:2] in _OLD_BIFF and len(head) > 4 and head[3] == 0:
        raise UnsupportedFormatError(
            file_name, f"{file_name} is an Excel 4.0 (or older) workbook. {_RESAVE}"
        )
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise NotASpreadsheetError(file_name, f"{file_name} is {what}, not a spreadsheet.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) or looks_like_utf16(head):
        return FileKind.TEXT
    if _looks_binary(head):
        raise NotASpreadsheetError(
            file_name,
            f"{file_name} is not a spreadsheet or a text file mjdesk can read "
            "(it holds binary data). Choose a .csv, .xlsx, .xls or .ods file.",
        )
    return FileKind.TEXT


def decrypted_kind(content: bytes, file_name: str) -> FileKind:
    """The format of a workbook decrypted in memory: an OOXML package (XLSX, XLSB) or an
    .xls whose streams are no longer encrypted."""
    if content.startswith(_ZIP):
        return _zip_kind(io.BytesIO(content), file_name)
    if content.startswith(_OLE2):
        return FileKind.XLS
    raise CorruptFileError(file_name, f"{file_name} was decrypted, but it holds no workbook.")


def extension_mismatch(path: Path, kind: FileKind) -> str | None:
    """A notice when the name promises another format than the content holds, else None."""
    suffix = path.suffix.lower()
    if kind is FileKind.TEXT and suffix in _WORKBOOK_EXTENSIONS:
        return (
            f"{path.name} is named like a workbook ({suffix}) but holds plain text; "
            "it was read as a CSV/text file."
        )
    if kind.is_workbook and suffix in _TEXT_EXTENSIONS - {""}:
        return f"{path.name} is named like a text file ({suffix}) but is a {kind.value} workbook."
    return None
