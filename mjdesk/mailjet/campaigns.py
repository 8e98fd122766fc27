"""Drafts, templates, campaigns and transactional sending (v3.1), typed over ``MailjetClient``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mjdesk.mailjet.errors import InvalidRequest
from mjdesk.mailjet.replies import JsonObject, first_row

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient


@dataclass(frozen=True)
class Draft:
    """A campaign draft; ``status`` is Mailjet's number (0 draft, 1 programmed, 2 sent...)."""

    id: int
    title: str
    subject: str
    sender: str
    sender_email: str
    sender_name: str
    list_id: int
    status: int
    campaign_id: int
    locale: str
    reply_email: str = ""
    modified_at: str = ""

    @classmethod
    def from_api(cls, row: JsonObject) -> Draft:
        """From a ``/campaigndraft`` row."""
        return cls(
            int(row["ID"]),
            str(row.get("Title") or ""),
            str(row.get("Subject") or ""),
            str(row.get("Sender") or ""),
            str(row.get("SenderEmail") or ""),
            str(row.get("SenderName") or ""),
            int(row.get("ContactsListID") or 0),
            int(row.get("Status") or 0),
            int(row.get("CampaignID") or 0),
            str(row.get("Locale") or ""),
            str(row.get("ReplyEmail") or ""),
            str(row.get("ModifiedAt") or ""),
        )


@dataclass(frozen=True)
class Content:
    """A draft's or template's content (``detailcontent``)."""

    html: str
    text: str
    mjml: str
    headers: JsonObject

    @classmethod
    def from_api(cls, row: JsonObject) -> Content:
        """From a ``detailcontent`` row."""
        return cls(
            str(row.get("Html-part") or ""),
            str(row.get("Text-part") or ""),
            str(row.get("MJMLContent") or ""),
            dict(row.get("Headers") or {}),
        )


@dataclass(frozen=True)
class Template:
    """A template; ``updated_at`` is its ``LastUpdatedAt`` when Mailjet gives one (UNCONFIRMED:
    the SDKs list no such field), else ""."""

    id: int
    name: str
    description: str
    edit_mode: int
    locale: str
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, row: JsonObject) -> Template:
        """From a ``/template`` row."""
        return cls(
            int(row["ID"]),
            str(row.get("Name") or ""),
            str(row.get("Description") or ""),
            int(row.get("EditMode") or 0),
            str(row.get("Locale") or ""),
            str(row.get("CreatedAt") or ""),
            str(row.get("LastUpdatedAt") or ""),
        )


@dataclass(frozen=True)
class Campaign:
    """A sent campaign."""

    id: int
    subject: str
    from_email: str
    list_id: int
    newsletter_id: int
    send_start_at: str
    is_starred: bool

    @classmethod
    def from_api(cls, row: JsonObject) -> Campaign:
        """From a ``/campaign`` row."""
        return cls(
            int(row["ID"]),
            str(row.get("Subject") or ""),
            str(row.get("FromEmail") or ""),
            int(row.get("ListID") or 0),
            int(row.get("NewsLetterID") or 0),
            str(row.get("SendStartAt") or ""),
            bool(row.get("IsStarred", False)),
        )


def list_drafts(client: MailjetClient) -> list[Draft]:
    """Every draft (sent ones too: filter on ``status``)."""
    return [Draft.from_api(row) for row in client.get_all("campaigndraft")]


def get_draft(client: MailjetClient, draft_id: int) -> Draft:
    """One draft."""
    return Draft.from_api(client.get_one("campaigndraft", draft_id))


def create_draft(
    client: MailjetClient,
    *,
    subject: str,
    sender: str,
    sender_email: str,
    list_id: int,
    locale: str = "en_GB",
    title: str = "",
    sender_name: str = "",
) -> Draft:
    """A new draft."""
    body = {
        "Subject": subject,
        "Sender": sender,
        "SenderEmail": sender_email,
        "ContactsListID": list_id,
        "Locale": locale,
        "Title": title,
        "SenderName": sender_name,
    }
    return Draft.from_api(first_row(client.create("campaigndraft", body)))


def draft_content(client: MailjetClient, draft_id: int) -> Content:
    """A draft's HTML and text parts."""
    return Content.from_api(client.get_one("campaigndraft_detailcontent", draft_id))


def set_draft_content(client: MailjetClient, draft_id: int, *, html: str, text: str) -> None:
    """Replace both parts of a draft (POST: an omitted part would become empty)."""
    body = {"Html-part": html, "Text-part": text}
    client.create("campaigndraft_detailcontent", body, id=draft_id)


class DraftProblem(StrEnum):
    """Which of Mailjet's send-readiness checks (mailjet-api.md §7) refused a draft."""

    SENDER_NOT_VALIDATED = "sender not validated"
    NO_CONTENT = "no content"
    NO_SUBJECT = "no subject"
    NO_SENDER_NAME = "no sender name"
    TOO_FEW_RECIPIENTS = "too few recipients"
    NOT_A_DRAFT = "not a draft"
    NO_UNSUBSCRIBE_LINK = "no unsubscribe link"


# Words of Mailjet's 400 that name each check; its exact wording is UNCONFIRMED (these are the
# guide's and the sandbox's; a user report quotes "specify a valid and active sender").
_PROBLEM_WORDS = (
    (DraftProblem.SENDER_NOT_VALIDATED, ("active sender", "sender is not valid")),
    (DraftProblem.NO_CONTENT, ("text-part or html-part", "no content")),
    (DraftProblem.NO_SUBJECT, ("subject",)),
    (DraftProblem.NO_SENDER_NAME, ("sender is empty",)),
    (DraftProblem.TOO_FEW_RECIPIENTS, ("more than one",)),
    (DraftProblem.NOT_A_DRAFT, ("not a draft",)),
    (DraftProblem.NO_UNSUBSCRIBE_LINK, ("unsubscribe",)),
)

_PROBLEM_SENTENCES = {
    DraftProblem.SENDER_NOT_VALIDATED: (
        "the sender address is not validated in Mailjet. Validate it under Account settings, "
        "Sender addresses & domains (or use a validated one), then try again."
    ),
    DraftProblem.NO_CONTENT: "the draft has no content yet (neither an HTML nor a text part).",
    DraftProblem.NO_SUBJECT: "the draft has no subject.",
    DraftProblem.NO_SENDER_NAME: "the draft has no sender name.",
    DraftProblem.TOO_FEW_RECIPIENTS: (
        "its contact list needs more than one subscribed contact, even for a test."
    ),
    DraftProblem.NOT_A_DRAFT: "it has already been sent.",
    DraftProblem.NO_UNSUBSCRIBE_LINK: "it has no unsubscribe link.",
}


class DraftRefused(InvalidRequest):
    """Mailjet refused to test, schedule or send a draft: ``problem`` says which check failed
    and ``user_message`` what to do about it; ``message`` is what Mailjet said."""

    def __init__(self, action: str, problem: DraftProblem, original: InvalidRequest) -> None:
        super().__init__(original.message, original.status, original.details)
        self.problem = problem
        self.user_message = f"Mailjet will not {action}: {_PROBLEM_SENTENCES[problem]}"


def _draft_problem(error: InvalidRequest) -> DraftProblem | None:
    said = error.message.lower()
    for problem, words in _PROBLEM_WORDS:
        if any(word in said for word in words):
            return problem
    return None


def _refusal_explained(action: str, error: InvalidRequest) -> InvalidRequest:
    problem = _draft_problem(error)
    return error if problem is None else DraftRefused(action, problem, error)


def send_test(client: MailjetClient, draft_id: int, recipients: Sequence[tuple[str, str]]) -> None:
    """Send a test of a draft to (email, name) pairs; a refusal is a `DraftRefused` that says
    which check failed (an unvalidated sender, no content...)."""
    body = {"Recipients": [{"Email": email, "Name": name} for email, name in recipients]}
    try:
        client.create("campaigndraft_test", body, id=draft_id)
    except InvalidRequest as error:
        raise _refusal_explained("send this test", error) from error


def schedule_draft(client: MailjetClient, draft_id: int, when: str) -> None:
    """Schedule a draft (RFC 3339 date in the future, or ``"NOW"``)."""
    try:
        client.create("campaigndraft_schedule", {"Date": when}, id=draft_id)
    except InvalidRequest as error:
        raise _refusal_explained("schedule this draft", error) from error


def unschedule_draft(client: MailjetClient, draft_id: int) -> None:
    """Cancel a draft's schedule."""
    client.delete("campaigndraft_schedule", draft_id)


def send_draft(client: MailjetClient, draft_id: int) -> None:
    """Send a draft now (not retried)."""
    try:
        client.create("campaigndraft_send", {}, id=draft_id)
    except InvalidRequest as error:
        raise _refusal_explained("send this draft", error) from error


def draft_status(client: MailjetClient, draft_id: int) -> str:
    """The draft's status word (``Draft``, ``Programmed``, ``Sent``...)."""
    return str(client.get_one("campaigndraft_status", draft_id).get("Status", ""))


def list_templates(client: MailjetClient) -> list[Template]:
    """Every template of the key."""
    return [Template.from_api(row) for row in client.get_all("template")]


def create_template(client: MailjetClient, name: str, *, description: str = "") -> int:
    """A new marketing template (HTML edit mode); its ID."""
    body = {"Name": name, "Description": description, "EditMode": 2, "Purposes": ["marketing"]}
    return int(first_row(client.create("template", body))["ID"])


def template_content(client: MailjetClient, template_id: int) -> Content:
    """A template's content."""
    return Content.from_api(client.get_one("template_detailcontent", template_id))


def set_template_content(client: MailjetClient, template_id: int, *, html: str, text: str) -> None:
    """Replace both parts of a template."""
    body = {"Html-part": html, "Text-part": text}
    client.create("template_detailcontent", body, id=template_id)


def senders(client: MailjetClient) -> dict[str, str]:
    """Each sender address (or ``*@domain``) of the key, lower-case, with its validation status
    (``Active``, ``Inactive``; deleted ones are left out, as Mailjet lists them by default)."""
    return {
        str(row.get("Email") or "").lower(): str(row.get("Status") or "")
        for row in client.get_all("sender")
        if row.get("Email")
    }


def list_campaigns(client: MailjetClient, *, list_id: int | None = None) -> list[Campaign]:
    """Sent campaigns (of a list)."""
    filters = {} if list_id is None else {"ContactsList": list_id}
    return [Campaign.from_api(row) for row in client.get_all("campaign", filters=filters)]


def get_campaign(client: MailjetClient, campaign_id: int) -> Campaign:
    """One campaign (use the draft's ``campaign_id``, not ``mj.nl=``)."""
    return Campaign.from_api(client.get_one("campaign", campaign_id))


def send_messages(
    client: MailjetClient, messages: Sequence[JsonObject], *, sandbox_mode: bool = False
) -> list[JsonObject]:
    """``POST /v3.1/send``; each message's result (``InvalidRequest.details`` on a 400).

    ``sandbox_mode`` asks Mailjet to validate without sending (used for previews).
    """
    payload: dict[str, Any] = {"Messages": list(messages)}
    if sandbox_mode:
        payload["SandboxMode"] = True
    body = client.send(payload)
    results = body.get("Messages", [])
    return [item for item in results if isinstance(item, dict)]
