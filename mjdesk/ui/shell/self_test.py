"""``mjdesk --self-test``: prove that this installation works, on a temporary data dir.

It opens the main window, imports the sample spreadsheet, previews the sample mailing in
QtWebEngine and resolves the keyring backend, printing one ``ok:``/``FAIL:`` line per check;
the exit status is 0 only when every check passed. Run on the frozen bundle it catches a
module, plugin or data file that PyInstaller left out. It never opens the user's data dir
and writes to the keyring only a throwaway secret under its own service name.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mjdesk.core.paths import AppPaths, resources_dir
from mjdesk.core.self_check import (
    SAMPLE_CSV,
    SAMPLE_MAILING,
    SAMPLE_XLSX,
    CheckFailed,
    CheckResult,
    Report,
    check_imports,
    check_keyring,
    check_resources,
    import_sample,
    mailing_title,
    missing_module_reason,
    read_sample,
    required_modules,
)
from mjdesk.ui.preview.headless import prepare_environment

log = logging.getLogger(__name__)

PROFILE = "Self-test"
#: modules mjdesk imports lazily (inside functions) or finds at run time; each must be there
RUNTIME_MODULES: tuple[str, ...] = (
    "sqlite3",
    "python_calamine",
    "email_validator",
    "xlsxwriter",
    "platformdirs",
    "keyring",
    "mailjet_rest",
    "requests",
    "certifi",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtCharts",
)
WINDOW_TIMEOUT_S = 30.0
PREVIEW_TIMEOUT_S = 60.0


def check_certificates() -> str:
    """The CA bundle that requests (and so mailjet-rest) verifies HTTPS with is there."""
    import certifi
    import requests.utils

    bundle = Path(requests.utils.DEFAULT_CA_BUNDLE_PATH)
    if not bundle.is_file() or bundle.stat().st_size < 1000:
        raise CheckFailed(f"missing data file: the CA bundle {bundle} (certifi's cacert.pem)")
    if Path(certifi.where()) != bundle:
        raise CheckFailed(f"requests uses {bundle}, not certifi's {certifi.where()}")
    count = bundle.read_text(encoding="ascii", errors="replace").count("BEGIN CERTIFICATE")
    return f"CA bundle with {count} certificates ({bundle.name})"


def _wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the event loop until ``condition()`` holds; CheckFailed after ``timeout_s``."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThread

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout_s:g} s waiting for {what}")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QThread.msleep(5)


def _delete_now(widget: object) -> None:
    """Delete a widget at once (a web view before its profile, or Chromium complains)."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject

    if isinstance(widget, QObject):
        widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


class _SelfTest:
    """The checks that need the QApplication, sharing one window and workspace."""

    def __init__(self, paths: AppPaths, report: Report) -> None:
        self.paths = paths
        self.report = report
        self.window: object | None = None
        self.workspace: object | None = None

    def open_window(self) -> str:
        from mjdesk.core.settings import Settings
        from mjdesk.core.workspace import Workspace
        from mjdesk.ui.shell.main_window import MainWindow

        workspace = Workspace.open(self.paths.workspace_file(PROFILE))
        self.workspace = workspace
        window = MainWindow(workspace, self.paths, Settings.load(self.paths.settings_file), PROFILE)
        self.window = window
        ready: list[bool] = []
        window.ready.connect(lambda: ready.append(True))
        window.show()
        _wait_until(lambda: bool(ready), WINDOW_TIMEOUT_S, "the main window's first page")
        shown = window.contacts_model.rowCount()
        return f"ready on a new workspace in a temporary folder ({shown} contacts shown)"

    def import_spreadsheet(self) -> str:
        from mjdesk.core.workspace import Workspace
        from mjdesk.ui.shell.main_window import MainWindow

        window, workspace = self.window, self.workspace
        if not isinstance(window, MainWindow) or not isinstance(workspace, Workspace):
            raise CheckFailed("skipped: the main window did not open")
        root = resources_dir()
        sample = read_sample(root / SAMPLE_XLSX, root / SAMPLE_CSV)
        if not sample.contacts:
            raise CheckFailed(f"{sample.source}: no valid rows read")
        added = import_sample(workspace, sample)
        window.refresh()
        model = window.contacts_model
        _wait_until(
            lambda: model.rowCount() == added,
            WINDOW_TIMEOUT_S,
            f"the contacts table to show {added} contacts (it shows {model.rowCount()})",
        )
        first = model.index(0, 0).data()
        if not first or "@" not in str(first):
            raise CheckFailed(f"the contacts table's first row shows {first!r}, not an address")
        return (
            f"{sample.source}: {added} of {sample.rows} rows imported ({sample.rejected} "
            f"rejected: invalid or repeated); the contacts table shows {model.rowCount()}"
        )

    def preview_mailing(self) -> str:
        from PySide6.QtCore import QUrl
        from PySide6.QtWebEngineWidgets import QWebEngineView

        path = resources_dir() / SAMPLE_MAILING
        html = path.read_text(encoding="utf-8")
        expected = mailing_title(html)
        view = QWebEngineView()
        view.resize(700, 600)
        loaded: list[bool] = []
        view.loadFinished.connect(loaded.append)
        view.setHtml(html, QUrl.fromLocalFile(str(path)))
        view.show()
        try:
            _wait_until(lambda: bool(loaded), PREVIEW_TIMEOUT_S, f"QtWebEngine to load {path.name}")
            if not loaded[0]:
                raise CheckFailed(f"QtWebEngine could not load {path.name} (loadFinished false)")
            answers: list[object] = []
            view.page().runJavaScript(
                "document.title + '|' + document.querySelectorAll('a').length",
                0,
                answers.append,
            )
            _wait_until(lambda: bool(answers), PREVIEW_TIMEOUT_S, "the preview's JavaScript")
            title, _, links = str(answers[0]).partition("|")
            if title != expected:
                raise CheckFailed(f"the preview shows title {title!r}, expected {expected!r}")
            return f"{path.name} rendered in QtWebEngine (title {title!r}, {links} links)"
        finally:
            view.close()
            _delete_now(view)

    def close(self) -> None:
        from mjdesk.core.workspace import Workspace
        from mjdesk.ui.shell.main_window import MainWindow

        if isinstance(self.window, MainWindow):
            self.window.close()
            _delete_now(self.window)
        if isinstance(self.workspace, Workspace):
            self.workspace.close()


def run_self_test(report_file: Path | None = None) -> int:
    """Run every check; 0 when all passed, 1 otherwise. ``report_file`` gets the lines too.

    A windowed Windows build has no console: ``mjdesk --self-test FILE`` writes the report
    to FILE for the release workflow to read.
    """
    lines: list[str] = []

    def write(line: str) -> None:
        lines.append(line)
        if sys.stdout is not None:
            print(line, flush=True)  # noqa: T201

    report = Report(write)
    settings = prepare_environment()
    temp = Path(tempfile.mkdtemp(prefix="mjdesk-self-test-"))
    paths = AppPaths.under(temp)
    try:
        paths.ensure()
        from mjdesk.core.logs import setup_logging

        setup_logging(paths.log_file)
        log.info("self-test starting (%s)", ", ".join(settings) or "no environment changes")
        code = _run(paths, report)
    finally:
        logging.shutdown()
        if report.failed:
            write(f"mjdesk self-test: its log is kept in {paths.logs}")
        else:
            shutil.rmtree(temp, ignore_errors=True)
        if report_file is not None:
            report_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return code


def _run(paths: AppPaths, report: Report) -> int:
    from mjdesk import APP_NAME, __version__

    report.check("imports", lambda: check_imports(required_modules(RUNTIME_MODULES)))
    report.check("resources", lambda: check_resources(resources_dir()))
    report.check("certificates", check_certificates)

    # QtWebEngine must be loaded before the QApplication exists.
    try:
        import PySide6.QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        report.add(CheckResult("qtwebengine", False, missing_module_reason(exc)))

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    platform = QApplication.platformName()
    test = _SelfTest(paths, report)
    try:
        report.check("main window", lambda: f"{test.open_window()} [{platform}]")
        report.check("import", test.import_spreadsheet)
        if not any(r.name == "qtwebengine" for r in report.failed):
            report.check("preview", test.preview_mailing)
        report.check("keyring", check_keyring)
    finally:
        test.close()
        app.processEvents()
    report.note(report.summary())
    return 1 if report.failed else 0
