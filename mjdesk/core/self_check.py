"""The parts of ``mjdesk --self-test`` that need no Qt: imports, resources, samples, keyring.

The self-test proves that an installed (frozen) mjdesk has everything it loads lazily: a
module left out of the bundle, a resource file or package metadata would otherwise only
show at a user's desk. Every check returns a short description of what it saw, or raises
:class:`CheckFailed` with a reason that names the missing module or file.
"""

from __future__ import annotations

import importlib
import os
import re
import secrets
import sqlite3
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mjdesk.core.addresses import email_key
from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.workspace import Workspace

_T = TypeVar("_T")

#: comma-separated extra module names to require (lets the tests prove a missing one is named)
EXTRA_IMPORTS_ENV = "MJDESK_SELF_TEST_EXTRA_IMPORTS"

#: resource files, relative to ``resources/``, that the app or the self-test opens
REQUIRED_RESOURCES: tuple[str, ...] = (
    "icons/mjdesk-32.png",
    "icons/mjdesk-256.png",
    "samples/sample-contacts.xlsx",
    "samples/sample-contacts.csv",
    "samples/sample-mailing.html",
    # the licence notices the About box shows and the Windows installer displays
    "NOTICES.txt",
)
SAMPLE_XLSX = "samples/sample-contacts.xlsx"
SAMPLE_CSV = "samples/sample-contacts.csv"
SAMPLE_MAILING = "samples/sample-mailing.html"

#: the keyring service the self-test writes its throwaway secret under (never a real entry)
KEYRING_SERVICE = "mjdesk-self-test"
KEYRING_TIMEOUT_S = 20.0

_PLATFORM_BACKEND = {"win32": "keyring.backends.Windows", "darwin": "keyring.backends.macOS"}


class CheckFailed(Exception):
    """A check found a problem; the message says what, naming the module or file."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check, as one line of the report."""

    name: str
    ok: bool
    detail: str

    @property
    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAIL'}: {self.name}: {self.detail}"


def missing_module_reason(exc: ImportError, wanted: str | None = None) -> str:
    """Words for an import that failed, naming the module that is not there.

    A package that is there but fails to load (its own import of a missing extension or
    library, wrapped in a friendlier ImportError) is named with the innermost cause.
    """
    root: BaseException = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    missing = root.name if isinstance(root, ImportError) and root.name else exc.name
    if isinstance(root, ModuleNotFoundError) and missing:
        if wanted and wanted != missing:
            return f"cannot import {wanted!r}: missing module {missing!r}"
        return f"missing module {missing!r}"
    what = repr(wanted or missing or "?")
    return f"cannot import {what}: {type(root).__name__}: {root}"


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Run one check; any exception becomes a failed result with its reason."""
    try:
        detail = check()
    except CheckFailed as exc:
        return CheckResult(name, False, str(exc))
    except ImportError as exc:
        return CheckResult(name, False, missing_module_reason(exc))
    except Exception as exc:  # noqa: BLE001  (the report must go on to the next check)
        where = traceback.extract_tb(exc.__traceback__)[-1:]
        at = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}{at}")
    return CheckResult(name, True, detail)


class Report:
    """Runs checks in order, printing one line per check as it finishes."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.results: list[CheckResult] = []

    def check(self, name: str, check: Callable[[], str]) -> CheckResult:
        result = run_check(name, check)
        self.add(result)
        return result

    def add(self, result: CheckResult) -> None:
        self.results.append(result)
        self._write(result.line)

    def note(self, text: str) -> None:
        """A line of the report that is not a check (the summary)."""
        self._write(text)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok]

    def summary(self) -> str:
        if not self.results:
            return "mjdesk self-test: no checks ran"
        if self.failed:
            return f"mjdesk self-test: {len(self.failed)} of {len(self.results)} checks FAILED"
        return f"mjdesk self-test: all {len(self.results)} checks passed"


# -- modules and files -------------------------------------------------------------------


def required_modules(runtime: Iterable[str], environ: dict[str, str] | None = None) -> list[str]:
    """The modules to import: ``runtime``, the platform's keyring backend, any extras."""
    env = os.environ if environ is None else environ
    modules = [*runtime, _PLATFORM_BACKEND.get(sys.platform, "keyring.backends.SecretService")]
    if sys.platform.startswith("linux"):
        modules.append("secretstorage")
    modules += [m.strip() for m in env.get(EXTRA_IMPORTS_ENV, "").split(",") if m.strip()]
    return modules


def check_imports(modules: Iterable[str]) -> str:
    """Import every module; the first one missing fails the check by name."""
    names = list(modules)
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise CheckFailed(missing_module_reason(exc, name)) from exc
    return f"{len(names)} modules import ({', '.join(names)})"


def check_resources(root: Path, names: Iterable[str] = REQUIRED_RESOURCES) -> str:
    """Every required resource file is there and not empty."""
    wanted = list(names)
    missing = [n for n in wanted if not (root / n).is_file() or (root / n).stat().st_size == 0]
    if missing:
        raise CheckFailed(f"missing resource file(s) under {root}: {', '.join(missing)}")
    return f"{len(wanted)} files present in {root}"


# -- the sample spreadsheet ----------------------------------------------------------------


@dataclass(frozen=True)
class SampleContacts:
    """The valid, distinct contacts of a sample spreadsheet, and how many rows were not."""

    source: str
    rows: int
    contacts: list[NewContact]

    @property
    def rejected(self) -> int:
        return self.rows - len(self.contacts)


def read_sample(xlsx: Path, csv: Path) -> SampleContacts:
    """Read the sample workbook and its CSV twin with the importer's readers; keep valid rows.

    The workbook goes through python-calamine and the CSV through the text reader's
    encoding and delimiter detection, as a user's files would; the addresses through
    email-validator. Rows with an invalid or repeated address are left out.
    """
    from email_validator import EmailNotValidError, validate_email

    from mjdesk.core.importing.readers import read_table

    sheet = read_table(xlsx)
    text = read_table(csv)
    if sheet.headers != text.headers or sheet.columns != text.columns:
        raise CheckFailed(f"{xlsx.name} and {csv.name} do not hold the same rows")
    seen: set[str] = set()
    contacts: list[NewContact] = []
    for index in range(len(sheet)):
        row = dict(zip(sheet.headers, sheet.row(index), strict=True))
        email = row["Email"].strip()
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            continue
        if email_key(email) in seen:
            continue
        seen.add(email_key(email))
        consent = None
        if row["Consent"].strip().lower() == "yes" and row["Consent date"]:
            consent = ConsentRecord(
                status="granted",
                given_at=row["Consent date"],
                source_file=xlsx.name,
                source_sheet=sheet.source.sheet,
                source_row=sheet.row_numbers[index],
                wording=row["Source"],
            )
        contacts.append(
            NewContact(
                email=email,
                first_name=row["First name"],
                last_name=row["Last name"],
                consent=consent,
            )
        )
    return SampleContacts(xlsx.name, len(sheet), contacts)


def import_sample(workspace: Workspace, sample: SampleContacts) -> int:
    """Add the sample's contacts to ``workspace`` in one transaction; how many were added."""
    with workspace.transaction() as con:
        return add_contacts(con, sample.contacts, actor="mjdesk self-test")


def count_in(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT count(*) FROM contacts").fetchone()[0])


# -- the sample mailing --------------------------------------------------------------------


def mailing_title(html: str) -> str:
    """The ``<title>`` of an HTML mailing ('' when it has none)."""
    found = re.search(r"<title>(.*?)</title>", html, re.I | re.S)
    return found.group(1).strip() if found else ""


# -- keyring -------------------------------------------------------------------------------


def _with_timeout(work: Callable[[], _T], timeout_s: float, what: str) -> _T:
    """Run ``work`` on a daemon thread: a Secret Service prompt must not hang the self-test."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001  (handed back to the caller below)
            box["error"] = exc

    thread = threading.Thread(target=target, name="self-test keyring", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise CheckFailed(f"timed out after {timeout_s:g} s {what}")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def backend_name(backend: object) -> str:
    kind = type(backend)
    label = getattr(kind, "name", None)
    return label if isinstance(label, str) else f"{kind.__module__}.{kind.__qualname__}"


def check_keyring(*, round_trip: bool = True, timeout_s: float = KEYRING_TIMEOUT_S) -> str:
    """Resolve the keyring backend from package metadata; with a usable one, round-trip a secret.

    The secret goes under :data:`KEYRING_SERVICE` with a random user name and is deleted
    again, so no real entry is read or touched. On Linux a session without Secret Service
    has no usable backend; mjdesk then keeps secrets for the run only, which is not a fault
    of the installation. On Windows and macOS a missing backend is one.
    """
    from importlib.metadata import entry_points

    import keyring
    from keyring.backends import chainer, fail

    names = sorted(ep.name for ep in entry_points(group="keyring.backends"))
    if not names:
        raise CheckFailed(
            "keyring's package metadata is missing (no 'keyring.backends' entry points; "
            "collect it with copy_metadata('keyring'))"
        )
    backend = _with_timeout(keyring.get_keyring, timeout_s, "resolving the keyring backend")
    usable = [backend]
    if isinstance(backend, chainer.ChainerBackend):
        usable = list(backend.backends)
    if not usable or all(isinstance(b, fail.Keyring) for b in usable):
        if sys.platform.startswith("linux"):
            return (
                f"no usable backend on this session ({backend_name(backend)}; entry points: "
                f"{', '.join(names)}); secrets would be kept for this run only"
            )
        raise CheckFailed(f"no usable keyring backend ({backend_name(backend)})")
    label = ", ".join(backend_name(b) for b in usable)
    if not round_trip:
        return f"backend {label}"

    user = f"self-test-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(16)

    def trip() -> str | None:
        keyring.set_password(KEYRING_SERVICE, user, secret)
        try:
            return keyring.get_password(KEYRING_SERVICE, user)
        finally:
            keyring.delete_password(KEYRING_SERVICE, user)

    back = _with_timeout(trip, timeout_s, f"storing a test secret with {label}")
    if back != secret:
        raise CheckFailed(f"{label} gave back a different secret than was stored")
    left = _with_timeout(
        lambda: keyring.get_password(KEYRING_SERVICE, user), timeout_s, "reading after delete"
    )
    if left is not None:
        raise CheckFailed(f"{label} kept the test secret after it was deleted")
    return f"backend {label}; stored, read back and deleted a test secret"
