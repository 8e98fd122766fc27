"""One mailing as the preview sees it, whichever source it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class MailKind(StrEnum):
    """Where a mailing came from."""

    DRAFT = "draft"
    TEMPLATE = "template"
    FILE = "file"


@dataclass(frozen=True)
class Mail:
    """A campaign draft, a template or a local ``.html`` file, with its content.

    ``source_id`` is the draft's or template's Mailjet id, or the file's path; ``list_id``
    is the draft's contact list (0 when it has none, as templates and files). ``headers``
    are the content's extra headers as Mailjet keeps them (``Reply-To`` among them when set
    there rather than on the draft).
    """

    kind: MailKind
    source_id: str
    title: str
    subject: str = ""
    sender_name: str = ""
    sender_email: str = ""
    reply_to: str = ""
    list_id: int = 0
    html: str = ""
    text: str = ""
    mjml: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
