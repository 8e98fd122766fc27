"""Opening a workbook Office encrypted with a password (XLSX, XLSM, XLSB, XLS), in memory.

msoffcrypto-tool decrypts the file into bytes held in memory only: nothing decrypted is
ever written to disk, so a copy of the people in it cannot be left behind in a temporary
folder. The password is never put in a message, a log line or a repr: the library's own
errors are replaced (``from None``) by ours, which name the file only.
"""

from __future__ import annotations

import io
import types
from pathlib import Path

from mjdesk.core.importing.errors import CorruptFileError, WrongPasswordError


def _in_memory() -> None:
    """msoffcrypto's .xls decryption copies the file to a temporary file on disk to write
    the decrypted stream into it: give it a memory buffer instead (its only use of
    ``tempfile``; set once, so no other thread ever sees it half done)."""
    from msoffcrypto.format import xls97

    xls97.tempfile = types.SimpleNamespace(TemporaryFile=io.BytesIO)


def is_encrypted_xls(path: Path) -> bool:
    """Whether the legacy .xls at ``path`` is encrypted (its FILEPASS record)."""
    import msoffcrypto

    try:
        with path.open("rb") as stream:
            return bool(msoffcrypto.OfficeFile(stream).is_encrypted())
    except Exception:  # noqa: BLE001 - any doubt: calamine's own reading decides
        return False


def decrypt(path: Path, password: str) -> bytes:
    """The decrypted content of the encrypted workbook at ``path``.

    Raises `WrongPasswordError` when ``password`` does not open it, and `CorruptFileError`
    when the encryption cannot be read.
    """
    import msoffcrypto
    from msoffcrypto import exceptions

    _in_memory()
    name = path.name
    out = io.BytesIO()
    try:
        with path.open("rb") as stream:
            office = msoffcrypto.OfficeFile(stream)
            if getattr(office, "format", "") == "ooxml":
                office.load_key(password=password, verify_password=True)
            else:  # the .xls reader always checks it
                office.load_key(password=password)
            office.decrypt(out)
    except exceptions.InvalidKeyError:
        raise WrongPasswordError(
            name,
            f"The password does not open {name}. Check it (capitals count) and try again.",
        ) from None
    except (exceptions.FileFormatError, exceptions.DecryptionError, exceptions.ParseError):
        raise CorruptFileError(
            name,
            f"{name} is encrypted in a way mjdesk cannot open. Open it in Excel, save it "
            "without a password, and import that copy.",
        ) from None
    except (ValueError, KeyError, IndexError, OSError):
        # a damaged container: what failed is kept out, as it may hold key material
        raise CorruptFileError(
            name,
            f"{name} is encrypted and damaged: it cannot be decrypted. If it was downloaded, "
            "download it again.",
        ) from None
    return out.getvalue()
