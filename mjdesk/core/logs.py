"""Logging to a rotating file, with secrets redacted from every line that is written."""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from pathlib import Path

from mjdesk.core.paths import PRIVATE_FILE, ensure_private_folder, make_private

_AUTH_HEADER = re.compile(
    r"(Authorization['\"]?\s*[:=]\s*['\"]?)(Basic|Bearer)\s+[^\s'\",}]+", re.I
)
_ADDRESS = re.compile(r"[\w.+'&=-]+@[\w-]+(?:\.[\w-]+)+")
"""Anything that looks like an e-mail address: a person's, which no log line may keep (an
erased person's would outlive the erasure there), e.g. in a refusal that quotes a row."""
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(secret: str) -> None:
    """Never let ``secret`` (or its Basic-auth form) reach a log line."""
    if len(secret) >= 4:
        with _secrets_lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """``text`` with Authorization headers, every registered secret and every e-mail
    address masked."""
    text = _AUTH_HEADER.sub(r"\1\2 [redacted]", text)
    text = _ADDRESS.sub("[address]", text)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and traceback) passes through redact()."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RotatingFile(logging.FileHandler):
    """``name.log`` up to ``max_bytes``, then ``name.log.1`` … ``name.log.N`` (oldest dropped).

    The stdlib's RotatingFileHandler does the same, but its module pulls in sockets and
    pickling, which every start of the app would pay for.
    """

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.max_bytes = max_bytes
        self.backups = backups

    def _open(self) -> io.TextIOWrapper:
        # Private to the user (0600): the log names files and profiles.
        fd = os.open(
            self.baseFilename,
            os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0),
            PRIVATE_FILE,
        )
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._rotate()
        except OSError:
            self.handleError(record)
        super().emit(record)

    def _rotate(self) -> None:
        self.close()
        base = self.baseFilename
        for n in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{n}"):
                os.replace(f"{base}.{n}", f"{base}.{n + 1}")
        os.replace(base, f"{base}.1")
        self.stream = self._open()


def setup_logging(
    log_file: Path, *, level: int = logging.INFO, console: bool = False
) -> str | None:
    """Send the app's log to ``log_file`` (1 MB x 5 files), redacted.

    Returns None, or, when the log file cannot be written (a read-only data folder), a
    sentence saying so: mjdesk then works without it rather than failing on every line.
    """
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_mjdesk", False)]:
        root.removeHandler(old)
        old.close()
    problem = None
    try:
        ensure_private_folder(log_file.parent)
        for written in (log_file, *log_file.parent.glob(log_file.name + ".*")):
            make_private(written)  # written by an older mjdesk, readable by everyone
        handler = RotatingFile(log_file, max_bytes=1_000_000, backups=5)
        handler.stream = handler._open()  # now, so a file it cannot write is known at once
    except OSError as exc:
        problem = (
            f"The log file {log_file} cannot be written ({exc.strerror or exc}); "
            "mjdesk works without it."
        )
    else:
        handler.setFormatter(formatter)
        handler._mjdesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        stream._mjdesk = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(level)
    logging.captureWarnings(True)
    return problem
