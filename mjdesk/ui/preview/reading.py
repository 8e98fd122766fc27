"""What the Preview page reads from the workspace, off the GUI thread (no Qt here): a mailing
with who it goes to and its worst-case recipients, one recipient's data, a search for
recipients, and the checklist with the people behind its merge-field cases."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from mjdesk.core.preview import cache, preflight
from mjdesk.core.preview.checks import CheckResult, Status, overall, reply_to_of, run_checks
from mjdesk.core.preview.coverage import Coverage, merge_coverage
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.preview.recipients import (
    MEMBERS,
    RecipientData,
    recipient_data,
)
from mjdesk.core.preview.renderer import FieldUse, Rendered, mail_templates, render_mail

SEARCH_LIMIT = 50
"""How many contacts a recipient search offers."""
WHO_SHOWN = 20
"""How many addresses a merge-field case names on screen (the counts are complete)."""


@dataclass(frozen=True)
class Person:
    """A recipient to offer: ``reason`` says why a worst case was picked ("" when searched)."""

    contact_id: int
    email: str
    name: str
    reason: str = ""


@dataclass(frozen=True)
class Opened:
    """A mailing ready to preview: its local list (None: not in this workspace), the sender's
    state in Mailjet (None: not known), and who it is shown as first: the list's first
    recipient (the workspace's first contact without a list), found at once; the worst cases
    take longer on a big list, so they follow (`worst_people`)."""

    mail: Mail
    list_id: int | None
    list_name: str
    sender_validated: bool | None
    first: Person | None
    first_data: RecipientData | None


def _people(con: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = con.execute(
        f"SELECT id, email, trim(first_name || ' ' || last_name) FROM contacts "
        f"WHERE id IN ({marks})",
        list(ids),
    )
    return {int(i): (str(e), str(n)) for i, e, n in rows}


def template_fields(mail: Mail) -> tuple[FieldUse, ...]:
    """Every merge field the mail's subject, HTML and text use."""
    return tuple(f for template in mail_templates(mail) for f in template.fields)


def open_mailing(con: sqlite3.Connection, mail: Mail) -> Opened:
    """Who ``mail`` goes to here, who to show it as first, and its sender's state."""
    list_id = preflight.list_of(con, mail)
    name = ""
    if list_id is not None:
        row = con.execute("SELECT name FROM lists WHERE id = ?", (list_id,)).fetchone()
        name = str(row[0]) if row else ""
        first_row = con.execute(
            f"SELECT c.id {MEMBERS} ORDER BY s.contact_id LIMIT 1", {"list": list_id}
        ).fetchone()
    else:
        first_row = con.execute("SELECT id FROM contacts ORDER BY id LIMIT 1").fetchone()
    first = data = None
    if first_row is not None:
        ident = int(first_row[0])
        email, full_name = _people(con, [ident])[ident]
        first = Person(ident, email, full_name, "first on the list" if list_id else "")
        data = recipient_data(con, ident)
    validated = preflight.sender_validated(con, mail.sender_email)
    return Opened(mail, list_id, name, validated, first, data)


def worst_people(con: sqlite3.Connection, opened: Opened) -> tuple[Person, ...]:
    """The worst-case recipients of the mail, each with why they were picked."""
    return tuple(
        Person(case.data.contact_id, case.data.email, "", case.reason)
        for case in preflight.worst_case(con, opened.mail)
    )


def load(con: sqlite3.Connection, kind: MailKind, source_id: str) -> Mail:
    """A cached draft or template, or a local file (`UserError` when it cannot be had)."""
    if kind == MailKind.FILE:
        return cache.load_html_file(Path(source_id))
    return cache.load_mailing(con, kind, int(source_id))


def find_people(con: sqlite3.Connection, text: str, limit: int = SEARCH_LIMIT) -> list[Person]:
    """Contacts whose address or name contains ``text`` (any case), by address."""
    pattern = "%" + text.strip().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    pattern += "%"
    rows = con.execute(
        "SELECT id, email, trim(first_name || ' ' || last_name) FROM contacts "
        "WHERE email LIKE :p ESCAPE '\\' OR (first_name || ' ' || last_name) LIKE :p "
        "ESCAPE '\\' ORDER BY email LIMIT :n",
        {"p": pattern, "n": limit},
    )
    return [Person(int(i), str(e), str(n)) for i, e, n in rows]


def render_for(mail: Mail, who: RecipientData | None) -> Rendered:
    """``mail`` as ``who`` gets it (every field empty when nobody is chosen)."""
    return render_mail(mail, who.properties if who is not None else {})


@dataclass(frozen=True)
class Checklist:
    results: tuple[CheckResult, ...]
    coverage: Coverage | None
    who: dict[int, str]
    """Addresses of the contacts the coverage names (at most `WHO_SHOWN` a field)."""

    @property
    def status(self) -> Status:
        return overall(self.results)

    def cases(self, result: CheckResult) -> list[str]:
        """The lines to show under a check: its cases, and for the merge fields who gets
        nothing or the default."""
        if result.key != "coverage" or self.coverage is None:
            return list(result.cases)
        lines = list(result.cases)
        for f in self.coverage.fields:
            for ids, count, gets in (
                (f.empty_ids, f.empty, "nothing"),
                (f.defaulted_ids, f.defaulted, "the default"),
            ):
                if ids and count < f.recipients:  # (everyone: naming them says nothing)
                    named = [self.who[i] for i in ids[:WHO_SHOWN] if i in self.who]
                    # the ids are capped (coverage.WHO_CAP); the count is complete
                    more = count - len(named)
                    tail = f" and {more:,} more" if more > 0 else ""
                    lines.append(f"{f.label} — {gets} for: {', '.join(named)}{tail}")
        return lines


def coverage_of(con: sqlite3.Connection, opened: Opened) -> tuple[Coverage | None, dict[int, str]]:
    """The merge-field coverage over the mail's list, with the addresses it names."""
    if opened.list_id is None:
        return None, {}
    coverage = merge_coverage(con, opened.list_id, template_fields(opened.mail))
    ids = sorted(
        {
            i
            for f in coverage.fields
            for i in (*f.empty_ids[:WHO_SHOWN], *f.defaulted_ids[:WHO_SHOWN])
        }
    )
    return coverage, {i: email for i, (email, _name) in _people(con, ids).items()}


def checklist(
    opened: Opened, rendered: Rendered, coverage: Coverage | None, who: dict[int, str]
) -> Checklist:
    """The checks of `mjdesk.core.preview.preflight.preflight` (the command line's), with the
    coverage worked out once per mail: it scans the list, and only the recipient changes."""
    return Checklist(
        tuple(run_checks(opened.mail, rendered, coverage, opened.sender_validated)), coverage, who
    )


# ---------------------------------------------------------------- what the page shows


class _Text(HTMLParser):
    """The visible text of a body, in order (the preheader is its start)."""

    _HIDDEN = frozenset({"head", "style", "script", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self.length = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data)
            self.length += len(data)


PREHEADER_CHARS = 110
"""About what an inbox shows after the subject."""


def preheader_of(html: str) -> str:
    """The first words of the body as an inbox shows them beside the subject (a hidden
    preheader block included, as inboxes show it)."""
    reader = _Text()
    try:
        for start in range(0, len(html), 4096):
            reader.feed(html[start : start + 4096])
            if reader.length > PREHEADER_CHARS * 2:
                break
    except (AssertionError, ValueError):
        pass
    text = " ".join(" ".join(reader.parts).split())
    return text if len(text) <= PREHEADER_CHARS else text[: PREHEADER_CHARS - 1].rstrip() + "…"


_MARK = {Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL"}


def report_markdown(
    mail: Mail, rendered: Rendered, checks: Checklist, recipient: str, when: str
) -> str:
    """The checklist as a short Markdown report (to attach to a ticket or a mail)."""
    kind = {MailKind.DRAFT: "Draft", MailKind.TEMPLATE: "Template", MailKind.FILE: "File"}
    lines = [
        f"# Pre-flight checklist: {mail.title}",
        "",
        f"- {kind[mail.kind]}: {mail.source_id}",
        f"- Subject (as rendered): {rendered.subject or '(none)'}",
        f"- From: {mail.sender_name} <{mail.sender_email}>",
        f"- Reply-to: {reply_to_of(mail) or '(none)'}",
        f"- Previewed as: {recipient}",
        f"- Checked: {when}",
        f"- Overall: **{_MARK[checks.status]}**",
        "",
        "| Check | Result | Reason |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r.title} | {_MARK[r.status]} | {r.reason.replace('|', '/')} |" for r in checks.results
    ]
    for result in checks.results:
        cases = checks.cases(result)
        if cases and result.status is not Status.PASS:
            lines += ["", f"## {result.title}", ""] + [f"- {case}" for case in cases]
    return "\n".join(lines) + "\n"
