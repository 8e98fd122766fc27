"""One mailing prepared for one recipient, with the whole pre-flight checklist: what the
Preview page shows and ``mjdesk preview`` prints, from the same rules.

Everything here reads the workspace (the cached mailings, senders and contacts); nothing goes
to the network.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from mjdesk.core.addresses import email_key
from mjdesk.core.preview.cache import sender_states, sender_status
from mjdesk.core.preview.checks import CheckResult, Status, overall, run_checks
from mjdesk.core.preview.coverage import Coverage, merge_coverage
from mjdesk.core.preview.mail import Mail
from mjdesk.core.preview.recipients import RecipientData, local_list_of, recipient_data
from mjdesk.core.preview.renderer import Rendered, mail_templates, render_mail
from mjdesk.core.preview.worst_case import worst_cases
from mjdesk.core.work import UserError

DESKTOP_WIDTH = 700
"""About the width of a desktop mail client's reading pane (and of most mail layouts)."""
PHONE_WIDTH = 375
"""A common phone's width in CSS pixels."""


@dataclass(frozen=True)
class Recipient:
    """Whom a preview is rendered for, and why them (empty for a contact chosen by hand)."""

    data: RecipientData
    reason: str = ""


@dataclass(frozen=True)
class Preflight:
    """A mailing as one recipient gets it, and every check of the checklist."""

    mail: Mail
    recipient: Recipient | None
    rendered: Rendered
    checks: tuple[CheckResult, ...]
    coverage: Coverage | None

    @property
    def status(self) -> Status:
        return overall(self.checks)


def list_of(con: sqlite3.Connection, mail: Mail) -> int | None:
    """The workspace list a draft goes to (None: a template, a file, or a Mailjet list this
    workspace has not pulled)."""
    return local_list_of(con, mail.list_id) if mail.list_id else None


def sender_validated(con: sqlite3.Connection, address: str) -> bool | None:
    """Whether Mailjet validated ``address`` as a sender, as last fetched (None: senders were
    never fetched, so it is not known)."""
    states = sender_states(con)
    if not states:
        return None
    return sender_status(states, address) == "Active"


def contact_by_address(con: sqlite3.Connection, address: str) -> Recipient:
    """The contact of ``address`` as a recipient; `UserError` when there is none."""
    row = con.execute(
        "SELECT id FROM contacts WHERE email_key = ?", (email_key(address),)
    ).fetchone()
    data = None if row is None else recipient_data(con, int(row[0]))
    if data is None:
        raise UserError(f"No contact in this workspace has the address {address}.")
    return Recipient(data)


def worst_case(con: sqlite3.Connection, mail: Mail) -> list[Recipient]:
    """The worst-case recipients of ``mail`` (among its list's, else everyone), each with
    the reason it was picked."""
    fields = [use for template in mail_templates(mail) for use in template.fields]
    picked = []
    for case in worst_cases(con, list_of(con, mail), fields):
        data = recipient_data(con, case.contact_id)
        if data is not None:
            picked.append(Recipient(data, case.reason))
    return picked


def preflight(con: sqlite3.Connection | None, mail: Mail, recipient: Recipient | None) -> Preflight:
    """``mail`` rendered for ``recipient`` (None: a recipient with no data at all) and checked:
    the merge fields' coverage over the draft's list when this workspace has that list, the
    sender as Mailjet last said (``con`` None: no workspace, so neither is known)."""
    rendered = render_mail(mail, recipient.data.properties if recipient else {})
    members = None if con is None else list_of(con, mail)
    coverage = None
    if con is not None and members is not None:
        coverage = merge_coverage(con, members, rendered.fields)
    validated = None if con is None else sender_validated(con, mail.sender_email)
    checks = run_checks(mail, rendered, coverage, validated)
    return Preflight(mail, recipient, rendered, tuple(checks), coverage)
