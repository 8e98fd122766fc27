"""``POST /v3.1/send``: per-message results, mixed success and failure, and ``SandboxMode``."""

from __future__ import annotations

import uuid

from mjdesk.sandbox.protocol import Fields, JsonObject, Reply, json_reply, parse_json_body
from mjdesk.sandbox.resources.lists import valid_email
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Contact, SentMessage

MAX_RECIPIENTS = 50


def _error(code: str, message: str, related: list[str], status: int = 400) -> JsonObject:
    return {
        "ErrorIdentifier": str(uuid.uuid4()),
        "ErrorCode": code,
        "StatusCode": status,
        "ErrorMessage": message,
        "ErrorRelatedTo": related,
    }


def _problems(call: Call, message: Fields) -> list[JsonObject]:
    problems = []
    sender = message.sub("From")
    if not valid_email(sender.text("Email")):
        problems.append(_error("send-0003", "From.Email is not a valid address", ["From.Email"]))
    recipients = [*message.items("To"), *message.items("Cc"), *message.items("Bcc")]
    if not message.items("To"):
        problems.append(_error("send-0003", "At least one To recipient is required", ["To"]))
    if len(recipients) > MAX_RECIPIENTS:
        problems.append(_error("send-0012", "Too many recipients (50 at most)", ["To"]))
    for index, recipient in enumerate(message.items("To")):
        if not valid_email(recipient.text("Email")):
            problems.append(
                _error(
                    "mj-0013",
                    f'"{recipient.text("Email")}" is an invalid email address.',
                    [f"To[{index}].Email"],
                )
            )
    template = message.text("TemplateID")
    if template:
        if not template.isdigit() or int(template) not in call.account.templates:
            problems.append(_error("send-0004", "TemplateID does not exist", ["TemplateID"], 404))
    elif not (message.text("TextPart") or message.text("HTMLPart")):
        problems.append(_error("send-0005", "TextPart or HTMLPart is required", ["TextPart"]))
    elif not message.text("Subject"):
        problems.append(_error("send-0007", "Subject is required", ["Subject"]))
    return problems


def _send(call: Call) -> Reply:
    body: Fields = parse_json_body(call.body)
    messages = body.items("Messages")
    if not messages:
        return json_reply(
            400,
            {
                "ErrorIdentifier": str(uuid.uuid4()),
                "ErrorCode": "mj-0002",
                "ErrorMessage": "Malformed JSON, please review the syntax and properties types.",
                "StatusCode": 400,
            },
        )
    sandbox_mode = bool(body.get("SandboxMode", False))
    account = call.account
    results: list[JsonObject] = []
    failed = False
    for message in messages:
        problems = _problems(call, message)
        if problems:
            failed = True
            results.append({"Status": "error", "Errors": problems})
            continue
        outcome: JsonObject = {"Status": "success", "CustomID": message.text("CustomID")}
        for kind in ("To", "Cc", "Bcc"):
            outcome[kind] = []
            for recipient in message.items(kind):
                email = recipient.text("Email")
                if sandbox_mode:
                    message_id, message_uuid = 0, ""
                else:
                    message_id, message_uuid = account.new_id(), str(uuid.uuid4())
                    account.sent_messages.append(
                        SentMessage(
                            message_id,
                            email,
                            message.text("Subject"),
                            False,
                            message.text("CustomID"),
                        )
                    )
                    if account.find_contact(email) is None:  # sending creates the contact
                        stamp = call.store.stamp()
                        account.add_contact(Contact(account.new_id(), email, "", stamp))
                outcome[kind].append(
                    {
                        "Email": email,
                        "MessageUUID": message_uuid,
                        "MessageID": message_id,
                        "MessageHref": f"https://api.mailjet.com/v3/REST/message/{message_id}",
                    }
                )
        results.append(outcome)
    return json_reply(400 if failed else 200, {"Messages": results})


ROUTES = [Route("POST", "v3.1/send", _send)]
