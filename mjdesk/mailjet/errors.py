"""Typed errors the UI can explain, and the mapping from mailjet-rest's exceptions to them.

mailjet-rest loses the status code on 405/409/5xx and reports every 401 as an auth failure
(mailjet-api.md §1, §9); ``classify`` recovers both from the underlying ``requests`` error.
None of these messages can contain the secret key: they are built from the server's reply only.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mjdesk.core.work import UserError


class MailjetError(UserError):
    """Something went wrong talking to Mailjet; ``explanation`` is a sentence for the user
    (also its ``user_message``); ``message`` is what Mailjet said, if anything."""

    retryable: ClassVar[bool] = False
    explanation: ClassVar[str] = "Mailjet answered with an unexpected error."

    def __init__(self, message: str = "", status: int = 0) -> None:
        super().__init__(self.explanation)
        self.args = (message or self.explanation,)
        self.message = message or self.explanation
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r})"


class WrongCredentials(MailjetError):
    """The API key or secret key was refused (HTML 401)."""

    explanation = "Mailjet did not accept this API key and secret key."


class NotAllowed(MailjetError):
    """The keys are fine, but this operation is not allowed (JSON 401 or 403)."""

    explanation = "Mailjet does not allow this operation for this API key."


class NotFound(MailjetError):
    """The object (or, with an HTML 404, the endpoint) does not exist."""

    explanation = "Mailjet has no such object."


class InvalidRequest(MailjetError):
    """Mailjet refused the request as invalid (400 and other 4xx); ``details`` is its ErrorInfo."""

    explanation = "Mailjet refused the request as invalid."

    def __init__(self, message: str = "", status: int = 400, details: Any = None) -> None:
        super().__init__(message, status)
        self.details = details


class RateLimited(MailjetError):
    """Too many requests (429); wait and try again."""

    retryable = True
    explanation = "Mailjet is limiting how fast we can call it; try again in a moment."


class ServerError(MailjetError):
    """Mailjet failed (5xx); ``identifier`` is its ErrorIdentifier when it gave one."""

    retryable = True
    explanation = "Mailjet had a problem on its side; try again later."

    def __init__(self, message: str = "", status: int = 500, identifier: str = "") -> None:
        super().__init__(message, status)
        self.identifier = identifier


class Offline(MailjetError):
    """Mailjet could not be reached, or the connection dropped before it answered."""

    retryable = True
    explanation = "Mailjet could not be reached; check the network connection."


class Timeout(MailjetError):
    """Mailjet did not answer in time."""

    retryable = True
    explanation = "Mailjet took too long to answer."


class UnexpectedReply(MailjetError):
    """Mailjet's reply did not have the documented shape."""


def _message_from(body: str) -> tuple[str, Any, str]:
    """Mailjet's message, ErrorInfo and ErrorIdentifier from an error body (JSON or not)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "", None, ""
    if not isinstance(parsed, dict):
        return "", None, ""
    identifier = str(parsed.get("ErrorIdentifier", ""))
    message = parsed.get("ErrorMessage")
    info = parsed.get("ErrorInfo")
    messages = parsed.get("Messages")
    if message is None and isinstance(messages, list):
        # v3.1 send: the first failed message's first error.
        for item in messages:
            errors = item.get("Errors") if isinstance(item, dict) else None
            if errors:
                first = errors[0]
                return (
                    str(first.get("ErrorMessage", "")),
                    messages,
                    str(first.get("ErrorIdentifier", "")),
                )
    if isinstance(message, (dict, list)):
        info = message if not info else {"ErrorMessage": message, "ErrorInfo": info}
        message = json.dumps(message, ensure_ascii=False)
    return ("" if message is None else str(message)), (info or None), identifier


def from_status(status: int, body: str) -> MailjetError:
    """The typed error for an HTTP error status and its body."""
    message, info, identifier = _message_from(body)
    if status == 401:
        # Bad keys get nginx's HTML page; a JSON 401 ("Operation not allowed") is about rights.
        return NotAllowed(message, status) if message else WrongCredentials("", status)
    if status == 403:
        return NotAllowed(message, status)
    if status == 404:
        return NotFound(message or "Mailjet has no such endpoint.", status)
    if status == 429:
        return RateLimited("", status)
    if status >= 500:
        return ServerError(message, status, identifier)
    return InvalidRequest(message, status, info)


def classify(error: Exception) -> MailjetError:
    """The typed error for an exception raised by mailjet-rest (or requests under it)."""
    from mailjet_rest import CriticalApiError, MailjetApiError
    from mailjet_rest import TimeoutError as SdkTimeout

    if isinstance(error, MailjetError):
        return error
    if isinstance(error, SdkTimeout):
        return Timeout()
    if isinstance(error, CriticalApiError):
        return Offline()
    status = 0
    body = ""
    if isinstance(error, MailjetApiError):
        status, body = error.status_code, error.response_body
    response = getattr(error.__cause__, "response", None)
    if response is not None:
        status = status or int(response.status_code)
        body = body or str(response.text)
    if status:
        return from_status(status, body)
    return MailjetError(type(error).__name__)
