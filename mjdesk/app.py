"""Bootstrap: arguments, folders, logging, the QApplication and the main window.

Qt is imported only after the arguments are read, so ``mjdesk --version`` and argument
errors answer at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mjdesk import APP_NAME, __version__
from mjdesk.core.clock import current_user
from mjdesk.core.logs import setup_logging
from mjdesk.core.paths import DEFAULT_PROFILE, AppPaths, profile_slug

log = logging.getLogger("mjdesk")


def _api_url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text if text.endswith("/") else text + "/"


def _profile(text: str) -> str:
    try:
        profile_slug(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description="Consented mailing lists for Mailjet: import, clean, sync, preview, report.",
        epilog="Without opening the window: mjdesk import FILE imports a spreadsheet, mjdesk "
        "backup OUT.sqlite3 copies the workspace safely, mjdesk export OUT.csv writes the "
        "contacts a filter picks, mjdesk consent withdraw ADDRESS --reason TEXT withdraws "
        "consents, mjdesk gdpr access|erase ADDRESS answers a GDPR request, mjdesk sync "
        "pull|plan|push --list NAME syncs a Mailjet list, mjdesk preview --draft ID checks a "
        "mailing before it is sent, mjdesk stats --csv OUT writes campaign statistics (each "
        "takes --help).",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="keep workspaces, settings and logs under DIR instead of the user's folders",
    )
    parser.add_argument(
        "--profile", type=_profile, metavar="NAME", help="the profile (workspace) to open"
    )
    parser.add_argument(
        "--api-url",
        type=_api_url,
        metavar="URL",
        help="Mailjet API base URL (for the practice sandbox: http://127.0.0.1:PORT/)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="practise: open the Practice profile on a pretend Mailjet inside mjdesk, with "
        "made-up data (nothing is sent)",
    )
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help=argparse.SUPPRESS,  # for tests and benchmarks: quit once the window is up
    )
    parser.add_argument(
        "--self-test",
        nargs="?",
        const="-",
        type=Path,
        metavar="REPORT",
        help="check that this installation works, on a temporary data dir, and exit "
        "(0 when every check passed); also write the report to REPORT",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["import"]:
        # A command-line job with its own arguments (mjdesk import --help): no window, no Qt.
        from mjdesk.cli_import import main as import_main

        return import_main(words[1:])
    if words[:1] == ["backup"]:
        from mjdesk.cli_backup import main as backup_main

        return backup_main(words[1:])
    if words[:1] == ["gdpr"]:
        from mjdesk.cli_gdpr import main as gdpr_main

        return gdpr_main(words[1:])
    if words[:1] == ["export"]:
        from mjdesk.cli_export import main as export_main

        return export_main(words[1:])
    if words[:1] == ["sync"]:
        from mjdesk.cli_sync import main as sync_main

        return sync_main(words[1:])
    if words[:1] == ["preview"]:
        from mjdesk.cli_preview import main as preview_main

        return preview_main(words[1:])
    if words[:1] == ["stats"]:
        from mjdesk.cli_stats import main as stats_main

        return stats_main(words[1:])
    if words[:1] == ["consent"]:
        from mjdesk.cli_consent import main as consent_main

        return consent_main(words[1:])
    args = build_parser().parse_args(argv)
    if args.self_test:
        # Before any QApplication exists: the self-test loads QtWebEngine first.
        from mjdesk.ui.shell.self_test import run_self_test

        return run_self_test(None if str(args.self_test) == "-" else args.self_test)
    paths = AppPaths.under(args.data_dir) if args.data_dir else AppPaths.for_user()
    try:
        paths.ensure()
    except OSError as exc:
        print(f"mjdesk: cannot create its folders: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    log_problem = setup_logging(paths.log_file, console=bool(os.environ.get("MJDESK_LOG_CONSOLE")))
    if log_problem:
        print(f"mjdesk: {log_problem}", file=sys.stderr)  # noqa: T201
    log.info("mjdesk %s starting (user %s, data %s)", __version__, current_user(), paths.data)
    if args.api_url:
        log.info("Mailjet API base overridden: %s", args.api_url)
    return run_gui(args, paths, log_problem)


def run_gui(args: argparse.Namespace, paths: AppPaths, log_problem: str | None = None) -> int:
    from PySide6.QtCore import QEvent, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from mjdesk.core.profiles import PRACTICE_PROFILE
    from mjdesk.core.settings import Settings
    from mjdesk.core.workspace import WorkspaceError
    from mjdesk.mailjet.accounts import Accounts
    from mjdesk.ui.shell.crash_handler import CrashHandler
    from mjdesk.ui.shell.main_window import MainWindow
    from mjdesk.ui.shell.theme import apply_theme
    from mjdesk.ui.shell.upgrade import open_workspace

    if TYPE_CHECKING:
        from mjdesk.ui.shell.practice import PracticeSession

    # High DPI: Qt 6 scales by the screen's exact factor (rounding policy PassThrough) by
    # default. Nothing on the way to the first paint touches the Qt namespace's enums:
    # PySide builds all of them at the first touch (~20 ms).
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("mjdesk")
    app.setOrganizationName("mjdesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("mjdesk")
    app.setQuitOnLastWindowClosed(False)  # (the window's own loop ends when it closes)
    apply_theme(app)

    settings = Settings.load(paths.settings_file)
    profile = args.profile or settings.last_profile or DEFAULT_PROFILE
    if args.sandbox:
        profile = PRACTICE_PROFILE
    accounts = Accounts.for_paths(paths, api_url=args.api_url)
    practice: PracticeSession | None = None
    window: MainWindow | None = None

    def quit_after_crash() -> None:
        if window is not None:
            window.close()
        app.quit()

    crash = CrashHandler(paths.log_file, lambda: window, quit_after_crash)
    crash.install()
    try:
        # One window per profile: switching profiles closes it and opens the next one here.
        came_from: str | None = None
        while True:
            if profile == PRACTICE_PROFILE and practice is None:
                try:
                    from mjdesk.ui.shell.practice import PracticeSession

                    # The pretend Mailjet is kept beside the practice workspace, and made
                    # afresh with it.
                    kept = paths.data / "practice-mailjet.json"
                    if not paths.workspace_file(profile).exists():
                        kept.unlink(missing_ok=True)
                    practice = PracticeSession(state_file=kept).start()
                except OSError as exc:
                    log.error("Practice sandbox not started: %s", exc)
                    print(f"mjdesk: the practice sandbox could not start: {exc}", file=sys.stderr)  # noqa: T201
                    return 1
            new_practice = (
                profile == PRACTICE_PROFILE and not paths.workspace_file(profile).exists()
            )
            try:
                workspace = open_workspace(paths.workspace_file(profile))
                if new_practice:
                    # Made-up department contacts with every case the review is for (once).
                    from mjdesk.sandbox.practice_workspace import fill_practice_workspace

                    fill_practice_workspace(workspace)
            except WorkspaceError as exc:
                log.error("Workspace not opened: %s", exc)
                box = QMessageBox(QMessageBox.Icon.Critical, "mjdesk", exc.user_message)
                box.setInformativeText(f"Workspace file: {exc.path}")
                if args.exit_when_ready:
                    print(f"mjdesk: {exc.user_message}", file=sys.stderr)  # noqa: T201
                else:
                    box.exec()
                if came_from is None:
                    return 1
                # A switch that failed goes back to the profile the user was on.
                profile, came_from = came_from, None
                continue
            if profile != PRACTICE_PROFILE and practice is not None:
                practice.stop()
                practice = None
            switch_to: list[str] = []
            try:
                window = MainWindow(
                    workspace, paths, settings, profile, accounts=accounts.practising(practice)
                )

                def switch(
                    name: str, shown: MainWindow = window, to: list[str] = switch_to
                ) -> None:
                    to.append(name)
                    QTimer.singleShot(0, shown.close)

                window.switchProfileRequested.connect(switch)
                if log_problem:
                    window.statusBar().showMessage(log_problem)
                if args.exit_when_ready:

                    def report(shown: MainWindow = window) -> None:
                        total = shown.contacts_model.rowCount()
                        print(f"mjdesk: main window ready ({total} contacts)", flush=True)  # noqa: T201
                        QTimer.singleShot(0, shown.close)

                    window.ready.connect(report)
                window.show()
                # Each window runs its own loop, ended when it closes, and the application is
                # not quit between windows (only the crash handler quits it): QtWebEngine
                # shuts down for good at the application's aboutToQuit, and crashes at a
                # second one, so a preview in the next profile's window needs it kept.
                loop = QEventLoop()
                window.closed.connect(loop.quit)
                code = loop.exec()
            finally:
                if window is not None:
                    window.close()
                    window.deleteLater()
                    # now, not at the next event loop (there may be none): a preview's web
                    # page must go before QtWebEngine shuts down with the application
                    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                window = None
                workspace.close()
            if not switch_to:
                log.info("mjdesk stopped")
                return code
            log.info("Opening profile %r", switch_to[-1])
            came_from, profile = profile, switch_to[-1]
    finally:
        if practice is not None:
            practice.stop()
        crash.uninstall()
