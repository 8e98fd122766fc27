"""The shapes of Mailjet's replies, read defensively (documented shapes are not always kept)."""

from __future__ import annotations

from typing import Any

from mjdesk.mailjet.errors import UnexpectedReply

JsonObject = dict[str, Any]


def first_row(body: Any) -> JsonObject:
    """``Data[0]`` of a v3 envelope, or ``UnexpectedReply``."""
    data = body.get("Data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise UnexpectedReply("Mailjet's reply had no Data")
    row: JsonObject = data[0]
    return row
