"""Take the README screenshots: the real main window on a sample workspace.

``xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python tests/support/screenshot.py OUT.png``
(or with QT_QPA_PLATFORM=offscreen, which renders the same widgets without a screen);
``... screenshot.py docs/activity.png --activity`` shows the Activity page after a few
imports, one of them undone; ``--stats`` the Statistics page over figures fetched from a seeded
sandbox (``--stats-detail``: the newest campaign opened, its chart of clicks and opens);
``--preview`` the Preview page on the practice workspace, its lists pulled and its drafts
fetched from a seeded sandbox, a draft shown as a worst case.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mjdesk.core.filters import Facet
from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.ui.shell.main_window import MainWindow
from mjdesk.ui.shell.theme import apply_theme

from support.generate import generate

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

#: the draft the Preview screenshot shows (from the sandbox's seed)
PREVIEW_DRAFT = "Seminar series: this term"
#: (file, sheet, who, rows): the imports the Activity screenshot shows
IMPORTS = (
    ("staff-2024.xlsx", "Staff", "amoreau", 40),
    ("alumni-newsletter.csv", None, "amoreau", 120),
    ("open-day-signups.csv", None, "pkowalski", 25),
    ("conference-2025.xlsx", "Registrations", "pkowalski", 60),
)


def add_activity(workspace: Workspace) -> None:
    """A few real imports, the last one undone, as the journal records them."""
    from data.make_import_corpus import make_table

    from mjdesk.core.importing.cleaning import clean_table
    from mjdesk.core.importing.commit import commit_import
    from mjdesk.core.importing.consent_values import ConsentSpec
    from mjdesk.core.importing.lookups import plan_for_workspace
    from mjdesk.core.importing.mapping import guess_mapping
    from mjdesk.core.importing.table import SourceInfo
    from mjdesk.core.undo import undo_step

    from support.importing import HEADERS

    last = 0
    for number, (name, sheet, who, count) in enumerate(IMPORTS):
        rows = [
            [f"person{number}.{i}@example.org", "", "", "yes", "2025-01-15", "T"]
            for i in range(count)
        ]
        table = make_table(HEADERS, *rows)
        source = SourceInfo(name, f"{number:x}" * 64, 4_096, table.source.kind, sheet)
        cleaned = clean_table(table, guess_mapping(table), ConsentSpec())
        plan = plan_for_workspace(workspace, cleaned)
        last = commit_import(workspace, cleaned, plan, source=source, actor=who).activity_id
    undo_step(workspace, last, actor="pkowalski")


def practise_sync(workspace: Workspace) -> Callable[[], MailjetClient]:
    """The practice workspace, and a seeded sandbox to pull from (a client factory)."""
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.sandbox.practice_workspace import fill_practice_workspace
    from mjdesk.sandbox.seed import seeded_store
    from mjdesk.sandbox.server import Sandbox

    fill_practice_workspace(workspace)
    sandbox = Sandbox(seeded_store()).start()
    account = next(iter(sandbox.store.accounts.values()))
    return lambda: MailjetClient(account.api_key, account.secret_key, api_url=sandbox.url)


def fetch_stats(workspace: Workspace) -> None:
    """The seeded sandbox's campaign statistics, fetched into ``workspace`` (the sandbox is
    stopped afterwards: the page shows the cache)."""
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.stats_fetch import fetch_statistics
    from mjdesk.sandbox.seed import seeded_store
    from mjdesk.sandbox.server import Sandbox

    with Sandbox(seeded_store()) as sandbox:
        account = next(iter(sandbox.store.accounts.values()))
        with MailjetClient(account.api_key, account.secret_key, api_url=sandbox.url) as client:
            fetch_statistics(client, workspace, full=True)


def main(
    out: Path,
    search: str = "",
    picks: tuple[str, ...] = (),
    *,
    activity: bool = False,
    details: bool = False,
    sync: bool = False,
    stats: bool = False,
    stats_detail: bool = False,
    preview: bool = False,
) -> int:
    """``picks``: filter choices to tick first, as FACET=VALUE (``consent=stale``,
    ``list=2``, ``flag=role``); ``activity``: show the Activity page instead; ``details``:
    open the details of the first contact shown; ``sync``: the practice workspace, its
    newsletter pulled from a seeded sandbox, on the Sync page; ``stats``: the Statistics page
    (``stats_detail``: with the newest campaign opened); ``preview``: the practice
    workspace, its lists pulled and its drafts fetched, a draft on the Preview page."""
    app = QApplication([])
    apply_theme(app)
    with tempfile.TemporaryDirectory() as temp:
        paths = AppPaths.under(Path(temp))
        paths.ensure()
        if not (sync or preview):
            generate(paths.workspace_file("Department"), 5_000)
        workspace = Workspace.open(paths.workspace_file("Department"))
        if sync or preview:
            sandbox = practise_sync(workspace)
        if activity:
            add_activity(workspace)
        if stats or stats_detail:
            fetch_stats(workspace)
        window = MainWindow(workspace, paths, Settings(), "Department")
        window.resize(1260, 760)
        window.move(10, 10)

        def shoot() -> None:
            panel = window.contacts_page.filters
            for pick in picks:
                facet, _eq, value = pick.partition("=")
                assert panel is not None
                chosen = Facet(facet)
                panel.pick(chosen, int(value) if chosen in (Facet.LIST, Facet.IMPORT) else value)
            if activity:
                window.show_activity()  # (its entries are read now; then one is chosen)
                QTimer.singleShot(400, lambda: window.activity_page.table.selectRow(2))
            if search:
                window.contacts_page.search.setText(search)
                window.contacts_page._run_search()
            if details:
                QTimer.singleShot(1000, open_first)
            if stats or stats_detail:
                page = window.stats_page
                if stats_detail:
                    page.opened.connect(lambda _id: QTimer.singleShot(500, grab))
                    page.loaded.connect(
                        lambda _n: page.open_campaign(page.model.rows[0].campaign_id)
                    )
                else:
                    page.loaded.connect(lambda _n: QTimer.singleShot(500, grab))
                window.nav.setCurrentRow(window.pages.indexOf(page))
                return
            if sync:
                window.sync_page.client_for = sandbox
                window.nav.setCurrentRow(window.pages.indexOf(window.sync_page))
                window.sync_page.list_choice.setEditText("Department newsletter")
                window.sync_page.planned.connect(lambda *_: QTimer.singleShot(300, grab))
                window.sync_page.pull()
                return
            if preview:
                window.sync_page.client_for = sandbox
                window.preview_page.client_for = sandbox
                window.sync_page.pulled.connect(lambda *_: show_preview())
                window.sync_page.pull_unlinked()
                return
            QTimer.singleShot(2000 if details else 1500, grab)

        def show_preview() -> None:
            page = window.preview_page
            window.nav.setCurrentRow(window.pages.indexOf(page))
            page.mailings.modelReset.connect(lambda: QTimer.singleShot(100, open_draft))
            page.fetch()

        def open_draft() -> None:
            page = window.preview_page
            rows = [r.title for r in page.mailings.rows]
            if PREVIEW_DRAFT not in rows:
                return
            page.worstCasesFound.connect(lambda _count: as_worst_case())
            page.list.selectRow(rows.index(PREVIEW_DRAFT))

        def as_worst_case() -> None:
            page = window.preview_page
            page.checked.connect(lambda: QTimer.singleShot(800, grab))
            page.show_worst_cases()

        def open_first() -> None:
            row = window.contacts_model.row_at(0)
            if row is not None:
                window.contacts_page.table.selectRow(0)
                window.contacts_page.open_details(row.id)

        def grab() -> None:
            if not window.isVisible():  # (taken already)
                return
            window.grab().save(str(out))
            window.close()
            app.quit()

        window.ready.connect(lambda: QTimer.singleShot(300, shoot))
        window.show()
        app.exec()
        workspace.close()
    print(f"saved {out}")  # noqa: T201
    return 0


if __name__ == "__main__":
    # screenshot.py OUT.png [SEARCH [FACET=VALUE ...]] [--activity] [--details] [--sync]
    #     [--stats] [--stats-detail] [--preview]
    flags = ("--activity", "--details", "--sync", "--stats", "--stats-detail", "--preview")
    arguments = [a for a in sys.argv[2:] if a not in flags]
    sys.exit(
        main(
            Path(sys.argv[1]),
            arguments[0] if arguments else "",
            tuple(arguments[1:]),
            activity="--activity" in sys.argv[2:],
            details="--details" in sys.argv[2:],
            sync="--sync" in sys.argv[2:],
            stats="--stats" in sys.argv[2:],
            stats_detail="--stats-detail" in sys.argv[2:],
            preview="--preview" in sys.argv[2:],
        )
    )
