"""The formula-error cells of a legacy Excel (.xls) sheet, which calamine reads as empty.

python-calamine gives no sign of them, so the sheet's records are read here, just far
enough to find them: the workbook is an OLE2 compound file (MS-CFB) holding a
``Workbook`` stream of BIFF8 records (MS-XLS). A sheet's records start where its
BOUNDSHEET record says; a cell holds an error when it is a FORMULA whose cached result
is an error, or a BOOLERR record marked as an error. Anything unexpected gives no answer
(None): the data was read already, only a notice is lost.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from mjdesk.core.importing.headers import column_letter

_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_STREAM_NAMES = ("Workbook", "Book")
_MAX_BYTES = 512 * 1024 * 1024

_BOF, _EOF, _BOUNDSHEET = 0x0809, 0x000A, 0x0085
_FORMULA, _BOOLERR = 0x0006, 0x0205
_FILEPASS = 0x002F


class _Unreadable(Exception):
    """The file is not laid out as this reader expects."""


def error_cells(
    path: Path, sheet_name: str, limit: int = 12, *, content: bytes | None = None
) -> tuple[int, list[str]] | None:
    """How many cells of the sheet named ``sheet_name`` hold a formula error, and the
    references (A1 style) of the first ``limit``; None when the file cannot be read so.
    ``content``: the file's bytes decrypted in memory, read instead of the file."""
    try:
        data = path.read_bytes() if content is None else content
        stream = _workbook_stream(data)
        offset = _sheet_offset(stream, sheet_name)
        if offset is None:
            return None
        return _scan_sheet(stream, offset, limit)
    except (OSError, _Unreadable, struct.error, IndexError, UnicodeDecodeError):
        return None


def _workbook_stream(data: bytes) -> bytes:
    if len(data) < 512 or not data.startswith(_SIGNATURE) or len(data) > _MAX_BYTES:
        raise _Unreadable
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        raise _Unreadable
    size = 1 << shift
    fat_count, dir_start = struct.unpack_from("<II", data, 0x2C)
    cutoff, minifat_start, minifat_count, difat_start, difat_count = struct.unpack_from(
        "<IIIII", data, 0x38
    )

    def sector(number: int) -> bytes:
        start = (number + 1) * size
        if start + size > len(data):
            raise _Unreadable
        return data[start : start + size]

    # The FAT's own sectors: 109 listed in the header, the rest in a DIFAT chain.
    fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
    next_difat = difat_start
    for _ in range(difat_count):
        if next_difat >= _END_OF_CHAIN:
            break
        listed = struct.unpack(f"<{size // 4}I", sector(next_difat))
        fat_sectors += listed[:-1]
        next_difat = listed[-1]
    fat: list[int] = []
    for number in fat_sectors[:fat_count]:
        fat += struct.unpack(f"<{size // 4}I", sector(number))

    def chain(start: int) -> list[int]:
        numbers: list[int] = []
        while start < _END_OF_CHAIN:
            if start >= len(fat) or len(numbers) > len(fat):
                raise _Unreadable  # out of range, or a loop
            numbers.append(start)
            start = fat[start]
        return numbers

    directory = b"".join(map(sector, chain(dir_start)))
    entries = [directory[i : i + 128] for i in range(0, len(directory), 128)]
    root = entries[0]
    for entry in entries:
        name_size = struct.unpack_from("<H", entry, 0x40)[0]
        name = entry[: max(0, name_size - 2)].decode("utf-16-le", errors="replace")
        if entry[0x42] != 2 or name not in _STREAM_NAMES:
            continue
        start, length = struct.unpack_from("<II", entry, 0x74)
        if length >= cutoff:
            return b"".join(map(sector, chain(start)))[:length]
        # A small stream lives in the mini stream, in 64-byte pieces chained by the mini FAT.
        mini_stream = b"".join(map(sector, chain(struct.unpack_from("<I", root, 0x74)[0])))
        mini_fat: list[int] = []
        for number in chain(minifat_start)[:minifat_count]:
            mini_fat += struct.unpack(f"<{size // 4}I", sector(number))
        pieces: list[bytes] = []
        while start < _END_OF_CHAIN and len(pieces) <= len(mini_fat):
            pieces.append(mini_stream[start * 64 : start * 64 + 64])
            start = mini_fat[start]
        return b"".join(pieces)[:length]
    raise _Unreadable


def _records(stream: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    """(type, data) of each record from ``offset`` on."""
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        yield kind, stream[offset + 4 : offset + 4 + length]
        offset += 4 + length


def _sheet_offset(stream: bytes, sheet_name: str) -> int | None:
    """Where the records of the sheet named ``sheet_name`` start (its BOF)."""
    for kind, body in _records(stream, 0):
        if kind == _FILEPASS:
            return None  # encrypted: calamine refuses it anyway
        if kind == _EOF:
            return None  # end of the workbook globals
        if kind != _BOUNDSHEET:
            continue
        position = struct.unpack_from("<I", body)[0]
        count, flags = body[6], body[7]
        raw = body[8:]
        name = raw[: 2 * count].decode("utf-16-le") if flags & 1 else raw[:count].decode("latin-1")
        if name == sheet_name:
            return int(position)
    return None


def _scan_sheet(stream: bytes, offset: int, limit: int) -> tuple[int, list[str]]:
    count, refs = 0, list[str]()
    for index, (kind, body) in enumerate(_records(stream, offset)):
        if index == 0 and kind != _BOF:
            raise _Unreadable
        if kind == _EOF:
            break
        if kind == _FORMULA and len(body) >= 14:
            error = body[12:14] == b"\xff\xff" and body[6] == 2
        elif kind == _BOOLERR and len(body) >= 8:
            error = body[7] == 1
        else:
            continue
        if error:
            count += 1
            if len(refs) < limit:
                row, column = struct.unpack_from("<HH", body)
                refs.append(f"{column_letter(column)}{row + 1}")
    return count, refs
