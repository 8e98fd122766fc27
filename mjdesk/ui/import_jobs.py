"""The import wizard's background work: plain functions over plain values, run on the pools.

Nothing here touches a widget. Each job takes a `JobProgress` it writes into (the GUI polls
it) and a `JobCancel` it checks between steps; a cancelled job raises `Cancelled`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mjdesk.core.clock import current_user
from mjdesk.core.contacts import Cancelled, CancelToken
from mjdesk.core.importing import (
    CleanedImport,
    ColumnMapping,
    ConsentSpec,
    Plan,
    SheetInfo,
    Table,
    clean_table,
    list_sheets,
    read_table,
)
from mjdesk.core.importing.commit import ImportResult, commit_import, plan_for_workspace
from mjdesk.core.workspace import Workspace


class JobProgress:
    """What a running job reports: a phase in words and (done, total). Written by the
    worker, read by a GUI timer; plain attribute writes are atomic under the GIL."""

    def __init__(self) -> None:
        self.phase = ""
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def start(self, phase: str, total: int = 0) -> None:
        self.phase, self.done, self.total = phase, 0, total


class JobCancel:
    """The wizard's own cancel flag, checked together with the runner's shutdown token.

    The wizard keeps its own flag so that a job it cancels still ends through its done
    callback (with `Cancelled` caught there), whatever moment the user pressed Cancel.
    """

    def __init__(self) -> None:
        self.token = CancelToken()
        self.runner_token: CancelToken | None = None

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled or bool(self.runner_token and self.runner_token.cancelled)

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled


@dataclass(frozen=True)
class JobCancelled:
    """The result of a job stopped by Cancel: nothing was changed."""


def cancellable(
    work: Callable[[JobCancel], Any], cancel: JobCancel
) -> Callable[[CancelToken], Any]:
    """``work`` as a runner task whose cancellation comes back as a `JobCancelled` value."""

    def task(runner_token: CancelToken) -> Any:
        cancel.runner_token = runner_token
        try:
            return work(cancel)
        except Cancelled:
            return JobCancelled()

    return task


def sheets_of(path: Path) -> list[SheetInfo]:
    return list_sheets(path)


def read_file(path: Path, sheet: str | None, progress: JobProgress, cancel: JobCancel) -> Table:
    progress.start(f"Reading {path.name}…")
    return read_table(path, sheet=sheet, progress=progress, check_cancel=cancel.check)


@dataclass
class CheckRequest:
    """Everything a dry run depends on."""

    table: Table
    mapping: ColumnMapping
    spec: ConsentSpec
    org_domains: tuple[str, ...] = ()
    edits: Mapping[tuple[int, str], str] = field(default_factory=dict)
    confirmed_erased: frozenset[int] = frozenset()
    dismissed_suggestions: frozenset[int] = frozenset()


def check_rows(
    workspace: Workspace, request: CheckRequest, progress: JobProgress, cancel: JobCancel
) -> Plan:
    """Clean and plan every row against the workspace: the dry run. Changes nothing."""
    n = len(request.table)
    progress.start("Checking addresses and consent…", 2 * n)
    cleaned: CleanedImport = clean_table(
        request.table,
        request.mapping,
        request.spec,
        org_domains=request.org_domains,
        edits=request.edits,
    )
    cancel.check()
    progress(n, 2 * n)
    progress.phase = "Comparing with your contacts…"
    plan = plan_for_workspace(
        workspace,
        cleaned,
        confirmed_erased=request.confirmed_erased,
        dismissed_suggestions=request.dismissed_suggestions,
    )
    cancel.check()
    progress(2 * n, 2 * n)
    return plan


def commit_rows(
    workspace: Workspace, plan: Plan, progress: JobProgress, cancel: JobCancel
) -> ImportResult:
    """Carry out the dry run in one transaction; a cancel leaves the workspace untouched."""
    cancel.check()
    progress.start("Importing…", 0)
    return commit_import(
        workspace,
        plan.cleaned,
        plan,
        actor=current_user(),
        progress=progress,
        cancel=cancel.check,
    )
