"""One import from a file to a committed result, as the wizard walks through it, and the
steps that do the work: reading, the dry run and the commit.

`ImportSession` is what the user has chosen and been shown so far; each step hands its
result over through a ``take_*`` method, which forgets what that result makes stale (a new
mapping needs a new dry run). The step functions take plain values, a `ProgressReport` they
write into and a `CancelToken` they check between steps; a cancelled step raises `Cancelled`
and changes nothing. Nothing here touches a widget: the window runs the steps on its pools,
and a script or test can run them directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mjdesk.core.clock import current_user
from mjdesk.core.importing.cleaning import CleanedImport, clean_table
from mjdesk.core.importing.commit import ImportResult, commit_import
from mjdesk.core.importing.consent_values import ConsentSpec
from mjdesk.core.importing.lookups import plan_for_workspace
from mjdesk.core.importing.mapping import ColumnMapping, Role, guess_mapping, mapping_signature
from mjdesk.core.importing.plan import Outcome, Plan
from mjdesk.core.importing.readers import read_table
from mjdesk.core.importing.table import Table
from mjdesk.core.work import CancelToken, ProgressReport
from mjdesk.core.workspace import Workspace


@dataclass
class ImportSession:
    """What an import has found and been told so far."""

    org_domains: tuple[str, ...] = ()
    path: Path | None = None
    sheet: str | None = None
    table: Table | None = None
    read_key: tuple[Path, str | None] | None = None
    mapping: ColumnMapping | None = None
    mapping_remembered: bool = False
    spec: ConsentSpec | None = None
    address_edits: dict[int, str] = field(default_factory=dict)
    dismissed: set[int] = field(default_factory=set)
    confirmed_erased: set[int] = field(default_factory=set)
    plan: Plan | None = None
    checked_with: tuple[ColumnMapping, ConsentSpec] | None = None
    result: ImportResult | None = None

    def with_table(
        self, path: Path, sheet: str | None, table: Table, remembered: Mapping[str, str]
    ) -> ImportSession:
        """A new session for a file just read, its columns guessed (a mapping saved for the
        same headers wins); only the organisation's domains are kept."""
        return ImportSession(
            org_domains=self.org_domains,
            path=path,
            sheet=sheet,
            table=table,
            read_key=(path, sheet),
            mapping=guess_mapping(table, remembered=remembered),
            mapping_remembered=mapping_signature(table.headers) in remembered,
        )

    def take_mapping(self, mapping: ColumnMapping) -> None:
        """The user's columns; a change makes the dry run stale."""
        if mapping != self.mapping:
            self.mapping = mapping
            self.plan = self.checked_with = None

    def check_request(self, mapping: ColumnMapping, spec: ConsentSpec) -> CheckRequest:
        """What a dry run with ``mapping`` and ``spec`` needs, with the user's fixes."""
        assert self.table is not None
        email = mapping.header_for(Role.EMAIL)
        assert email is not None
        return CheckRequest(
            table=self.table,
            mapping=mapping,
            spec=spec,
            org_domains=self.org_domains,
            edits={(i, email): text for i, text in self.address_edits.items()},
            confirmed_erased=frozenset(self.confirmed_erased),
            dismissed_suggestions=frozenset(self.dismissed),
        )

    def take_plan(self, plan: Plan, spec: ConsentSpec) -> None:
        """A dry run finished."""
        self.mapping = plan.cleaned.mapping
        self.spec = spec
        self.plan = plan
        self.checked_with = (plan.cleaned.mapping, spec)

    def edit_addresses(self, edits: Mapping[int, str]) -> None:
        """Addresses fixed by hand, by row index (a fixed row's typo dismissal is dropped)."""
        self.address_edits.update(edits)
        self.dismissed.difference_update(edits)

    def dismiss_suggestions(self, indexes: list[int]) -> None:
        """Import these rows as written, not with the suggested fix."""
        self.dismissed.update(indexes)

    def confirm_erased(self, indexes: list[int]) -> None:
        """The user confirmed a new, dated consent for these erased people."""
        self.confirmed_erased.update(indexes)

    @property
    def can_commit(self) -> bool:
        """Not committed yet (an import is committed once)."""
        return self.result is None


def read_file(
    path: Path,
    sheet: str | None,
    progress: ProgressReport,
    cancel: CancelToken,
    password: str | None = None,
) -> Table:
    """Read ``path`` (``sheet`` of a workbook) into a table; ``password`` opens an
    encrypted workbook (it is not kept)."""
    progress.start(f"Reading {path.name}…")
    return read_table(
        path, sheet=sheet, progress=progress, check_cancel=cancel.check, password=password
    )


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
    workspace: Workspace, request: CheckRequest, progress: ProgressReport, cancel: CancelToken
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
    workspace: Workspace, plan: Plan, progress: ProgressReport, cancel: CancelToken
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


IMPORTED = (Outcome.NEW, Outcome.UPDATE, Outcome.UNCHANGED)
"""The outcomes of the rows whose people are in the workspace after an import."""


def imported_contact_ids(workspace: Workspace, plan: Plan) -> list[int]:
    """The contacts of the rows a committed import added, updated or found as they were
    (the people of the file, for putting them on a list)."""
    keys = [key for key, outcome in zip(plan.cleaned.keys, plan.outcomes, strict=True)
            if outcome in IMPORTED]  # fmt: skip
    with workspace.reading() as con:
        return [
            int(row[0])
            for row in con.execute(
                "SELECT c.id FROM json_each(?) j JOIN contacts c ON c.email_key = j.value",
                (json.dumps(keys),),
            )
        ]
