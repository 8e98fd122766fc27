"""Fetching the account's drafts, templates and senders into the workspace, for previews that
work offline (`mjdesk.core.preview.cache`).

Two list requests (drafts, templates), one for the senders, then one ``detailcontent`` per
mailing whose content may have changed: a sent draft's content cannot change, so once cached
it is not read again; a template is skipped when Mailjet gives a ``LastUpdatedAt`` that has
not moved. Whether a draft's ``ModifiedAt`` moves when only its content is written is
UNCONFIRMED, so a waiting draft's content is always read again. Each mailing is stored as it
arrives, so a cancelled fetch keeps what it had read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING

from mjdesk.core.clock import now_iso
from mjdesk.core.preview.cache import (
    MailingVersion,
    forget_mailings,
    mailing_versions,
    store_mailing,
    store_senders,
)
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.work import CancelCheck, Progress
from mjdesk.mailjet import campaigns as mc

if TYPE_CHECKING:
    from mjdesk.core.workspace import Workspace
    from mjdesk.mailjet.client import MailjetClient

log = logging.getLogger(__name__)

SENT = 2  # Mailjet's draft status once sent


@dataclass(frozen=True)
class FetchSummary:
    """What a fetch did: mailings read again, left as cached, and dropped (gone from Mailjet)."""

    fetched: int
    unchanged: int
    removed: int
    senders: int


def draft_mail(draft: mc.Draft, content: mc.Content) -> Mail:
    """A draft and its content as the preview's `Mail`."""
    headers = {str(k): str(v) for k, v in content.headers.items()}
    return Mail(
        MailKind.DRAFT,
        str(draft.id),
        draft.title or draft.subject,
        draft.subject,
        draft.sender_name or draft.sender,
        draft.sender_email,
        draft.reply_email or headers.get("Reply-To", ""),
        draft.list_id,
        content.html,
        content.text,
        content.mjml,
        headers,
    )


def template_mail(template: mc.Template, content: mc.Content) -> Mail:
    """A template and its content as the preview's `Mail`: a template keeps its subject, sender
    and reply-to in the content's ``Headers`` (``From`` is ``"Name" <address>``)."""
    headers = {str(k): str(v) for k, v in content.headers.items()}
    name, address = parseaddr(headers.get("From", ""))
    return Mail(
        MailKind.TEMPLATE,
        str(template.id),
        template.name,
        headers.get("Subject", ""),
        name,
        address,
        headers.get("Reply-To", ""),
        0,
        content.html,
        content.text,
        content.mjml,
        headers,
    )


def _draft_unchanged(draft: mc.Draft, cached: MailingVersion | None) -> bool:
    return (
        cached is not None
        and draft.status == SENT
        and cached.status == SENT
        and cached.modified_at == draft.modified_at
    )


def _template_unchanged(template: mc.Template, cached: MailingVersion | None) -> bool:
    return (
        cached is not None
        and bool(template.updated_at)
        and cached.modified_at == template.updated_at
    )


def fetch_mailings(
    client: MailjetClient,
    workspace: Workspace,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    *,
    everything: bool = False,
) -> FetchSummary:
    """Bring the workspace's copy of the drafts, templates and senders up to date.

    ``everything`` reads every mailing's content again, changed or not. ``progress`` is told
    ``(mailings read, mailings to read)``; ``cancel`` is called between mailings.
    """

    def check() -> None:
        if cancel is not None:
            cancel()

    senders = mc.senders(client)
    drafts = [d for d in mc.list_drafts(client) if d.status != -2]
    templates = mc.list_templates(client)
    stamp = now_iso()
    with workspace.transaction() as con:
        store_senders(con, senders, stamp)
        cached = mailing_versions(con)
        removed = forget_mailings(con, MailKind.DRAFT, (d.id for d in drafts))
        removed += forget_mailings(con, MailKind.TEMPLATE, (t.id for t in templates))
    stale_drafts = [
        d
        for d in drafts
        if everything or not _draft_unchanged(d, cached.get((MailKind.DRAFT, d.id)))
    ]
    stale_templates = [
        t
        for t in templates
        if everything or not _template_unchanged(t, cached.get((MailKind.TEMPLATE, t.id)))
    ]
    total = len(stale_drafts) + len(stale_templates)
    done = 0
    if progress is not None:
        progress(0, total)
    for draft in stale_drafts:
        check()
        mail = draft_mail(draft, mc.draft_content(client, draft.id))
        with workspace.transaction() as con:
            store_mailing(
                con, mail, status=draft.status, modified_at=draft.modified_at, fetched_at=stamp
            )
        done += 1
        if progress is not None:
            progress(done, total)
    for template in stale_templates:
        check()
        mail = template_mail(template, mc.template_content(client, template.id))
        with workspace.transaction() as con:
            store_mailing(
                con,
                mail,
                status=0,
                modified_at=template.updated_at or template.created_at,
                fetched_at=stamp,
            )
        done += 1
        if progress is not None:
            progress(done, total)
    unchanged = len(drafts) + len(templates) - total
    log.info(
        "mailings fetched: %d read, %d unchanged, %d removed, %d senders",
        total,
        unchanged,
        removed,
        len(senders),
    )
    return FetchSummary(total, unchanged, removed, len(senders))
