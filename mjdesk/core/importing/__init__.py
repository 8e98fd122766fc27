"""Spreadsheet import: read a file, map its columns, clean and plan the rows, commit, undo.

    table = read_table(path)                       # or list_sheets(path) first, for the picker
    mapping = guess_mapping(table)                 # editable: mapping.with_role(header, Role.X)
    cleaned = clean_table(table, mapping, ConsentSpec(...), org_domains=("york.ac.uk",))
    plan = plan_import(cleaned, lookup=..., is_erased=...)   # or plan_for_workspace(ws, cleaned)
    result = commit_import(ws, cleaned, plan, mapping, spec, actor=...)
    undo_import(ws, result.batch_id, actor=...)       # list_imports(con) for the imports list

Nothing here imports Qt or touches the network; pandas is not needed, and python-calamine
and email-validator are imported only when a workbook or an unusual address is read.
"""

from __future__ import annotations

from mjdesk.core.importing.cleaning import CleanedImport, CleanRow, clean_table
from mjdesk.core.importing.commit import ImportResult, commit_import
from mjdesk.core.importing.consent_values import (
    ConsentMode,
    ConsentSpec,
    ConsentSpecError,
    ConsentState,
    ConsentValues,
)
from mjdesk.core.importing.dates import DateOrder, DateOrderGuess, guess_date_order, parse_date
from mjdesk.core.importing.errors import (
    CommitError,
    ImportFileError,
    Notice,
    NoticeKind,
    StalePlanError,
)
from mjdesk.core.importing.lookups import plan_for_workspace, workspace_is_erased, workspace_lookup
from mjdesk.core.importing.mapping import (
    ColumnChoice,
    ColumnMapping,
    PropertyType,
    Role,
    guess_mapping,
    mapping_signature,
    require_email_column,
)
from mjdesk.core.importing.plan import ExistingContact, Outcome, Plan, ReviewRow, plan_import
from mjdesk.core.importing.readers import NO_HEADER, file_sha256, list_sheets, read_table
from mjdesk.core.importing.table import SheetInfo, SourceInfo, Table
from mjdesk.core.importing.undo import (
    ImportSummary,
    UndoRefused,
    UndoResult,
    check_undo,
    list_imports,
    undo_import,
)

__all__ = [
    "NO_HEADER",
    "CleanRow",
    "CleanedImport",
    "ColumnChoice",
    "ColumnMapping",
    "CommitError",
    "ConsentMode",
    "ConsentSpec",
    "ConsentSpecError",
    "ConsentState",
    "ConsentValues",
    "DateOrder",
    "DateOrderGuess",
    "ExistingContact",
    "ImportFileError",
    "ImportResult",
    "ImportSummary",
    "Notice",
    "NoticeKind",
    "Outcome",
    "Plan",
    "PropertyType",
    "ReviewRow",
    "Role",
    "SheetInfo",
    "SourceInfo",
    "StalePlanError",
    "Table",
    "UndoRefused",
    "UndoResult",
    "check_undo",
    "clean_table",
    "commit_import",
    "file_sha256",
    "guess_date_order",
    "guess_mapping",
    "list_imports",
    "list_sheets",
    "mapping_signature",
    "parse_date",
    "plan_for_workspace",
    "plan_import",
    "read_table",
    "require_email_column",
    "undo_import",
    "workspace_is_erased",
    "workspace_lookup",
]
