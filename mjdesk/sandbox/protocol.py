"""Mailjet's wire conventions: the v3 envelope, error bodies, query parameters, paging.

Everything a resource handler needs to speak like Mailjet (mailjet-api.md §3) lives here, so the
resource modules only deal with their own objects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

T = TypeVar("T")

JsonObject = dict[str, Any]

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


class ApiFailure(Exception):
    """Raised by a handler to answer with Mailjet's JSON error body."""

    def __init__(
        self,
        status: int,
        message: str | JsonObject,
        info: str | JsonObject = "",
        extra: JsonObject | None = None,
    ) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.info = info
        self.extra = extra or {}


def bad_request(message: str | JsonObject, info: str | JsonObject = "") -> ApiFailure:
    """A 400 with Mailjet's error body."""
    return ApiFailure(400, message, info)


def not_found() -> ApiFailure:
    """The JSON 404 Mailjet gives for a known resource and an unknown ID."""
    return ApiFailure(404, "Object not found")


def already_exists(resource: str, field_name: str, value: object) -> ApiFailure:
    """Mailjet's duplicate error: a 400, not a 409."""
    return bad_request(
        f'MJ18 A {resource} resource with value "{value}" for {field_name} already exists.'
    )


@dataclass
class Reply:
    """An HTTP answer, ready to write."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: object) -> Reply:
    """A JSON body with the given status."""
    return Reply(status, json.dumps(payload).encode("utf-8"))


def envelope(rows: list[JsonObject]) -> JsonObject:
    """The v3 REST envelope; a single object is still a one-item ``Data``.

    ``Total`` is the size of this page, like ``Count``, not the number of all matches: that is
    what the SDK's author reads it as (mailjet-api.md §3), so a client must page until a short
    page; only ``countOnly`` answers with the number of matches (``page``).
    """
    return {"Count": len(rows), "Data": rows, "Total": len(rows)}


def created(row: JsonObject) -> Reply:
    """201 with one object in the envelope."""
    return json_reply(201, envelope([row]))


def ok(row: JsonObject) -> Reply:
    """200 with one object in the envelope."""
    return json_reply(200, envelope([row]))


def no_content() -> Reply:
    """204, as DELETE answers."""
    return Reply(204, b"", "")


def not_modified() -> Reply:
    """304, as a PUT that changes nothing answers."""
    return Reply(304, b"", "")


def error_reply(failure: ApiFailure) -> Reply:
    """Mailjet's JSON error body for a failure."""
    body: JsonObject = {
        "ErrorInfo": failure.info,
        "ErrorMessage": failure.message,
        "StatusCode": failure.status,
    }
    body.update(failure.extra)
    return json_reply(failure.status, body)


def server_error(status: int = 500) -> Reply:
    """A 500 (or another 5xx) with an ``ErrorIdentifier``, as Mailjet's unexpected errors carry.

    Whether Mailjet's 503 has this JSON body or a load balancer's HTML page is UNCONFIRMED.
    """
    return error_reply(
        ApiFailure(
            status,
            "An Unexpected Error occurred during API request",
            extra={"ErrorIdentifier": str(uuid.uuid4())},
        )
    )


def html_reply(status: int, title: str, headers: Mapping[str, str] | None = None) -> Reply:
    """An nginx-style HTML page (unknown paths, 401, 429): no JSON body."""
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Reply(status, page.encode("utf-8"), "text/html", dict(headers or {}))


def parse_bool(text: str) -> bool:
    """Mailjet's booleans in query strings: true/false/1/0 in any case."""
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise bad_request(f'Invalid boolean value "{text}"')


def value_as_bool(value: object, name: str) -> bool:
    """A boolean from a JSON body, which may arrive as a string (doc examples do)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return parse_bool(value)
    raise bad_request(f"Invalid value for {name}")


def value_as_int(value: object, name: str) -> int:
    """An integer from a JSON body or query string, numbers and strings alike."""
    if isinstance(value, bool):
        raise bad_request(f"Invalid value for {name}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise bad_request(f"Invalid value for {name}: {value!r}")


PAGING = ("Limit", "Offset", "Sort", "countOnly")


class Params:
    """Query parameters, looked up case-insensitively (the guides mix ``limit`` and ``Limit``)."""

    def __init__(self, query: str) -> None:
        self._values: dict[str, str] = {}
        self._names: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            self._values[key.lower()] = value
            self._names[key.lower()] = key

    def accept_only(
        self, resource: str, documented: Iterable[str], unmodelled: Iterable[str] = ()
    ) -> None:
        """Refuse with 400 a filter Mailjet does not document for ``resource`` (OpenAPI, O in
        mailjet-api.md), or one it documents that the sandbox does not model, so a client that
        depends on either fails here rather than getting a quietly unfiltered answer.

        What Mailjet answers to an undocumented filter is UNCONFIRMED: it may as well ignore it.
        A 400 is the loud choice, so a client never relies on a filter that does nothing.
        """
        allowed = {name.lower() for name in (*PAGING, *documented)}
        missing = {name.lower() for name in unmodelled}
        for key, name in self._names.items():
            if key in missing:
                raise bad_request(
                    f'The sandbox does not model the filter "{name}" of {resource}', "filter"
                )
            if key not in allowed:
                raise bad_request(f'Unknown filter "{name}" for resource {resource}', "filter")

    def get(self, name: str) -> str | None:
        """The raw value, or None when absent."""
        return self._values.get(name.lower())

    def has(self, name: str) -> bool:
        """Whether the parameter was given."""
        return name.lower() in self._values

    def get_bool(self, name: str) -> bool | None:
        """A boolean parameter, or None when absent."""
        value = self.get(name)
        return None if value is None else parse_bool(value)

    def get_int(self, name: str) -> int | None:
        """An integer parameter, or None when absent."""
        value = self.get(name)
        return None if value is None else value_as_int(value, name)


class Fields:
    """A JSON object from a request body, read with case-insensitive property names."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)
        self._lower = {key.lower(): key for key in raw}

    def has(self, name: str) -> bool:
        """Whether the property is present (even as null)."""
        return name.lower() in self._lower

    def get(self, name: str, default: Any = None) -> Any:
        """The property's value, or ``default``."""
        key = self._lower.get(name.lower())
        return default if key is None else self.raw[key]

    def text(self, name: str, default: str = "") -> str:
        """A string property; numbers are turned into strings as Mailjet does."""
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            raise bad_request(f"Invalid value for {name}")
        return str(value)

    def required_text(self, name: str) -> str:
        """A string property that must be present and non-empty."""
        value = self.text(name).strip()
        if not value:
            raise bad_request(f'Mandatory field "{name}" is missing or empty')
        return value

    def sub(self, name: str) -> Fields:
        """A nested object (empty when absent)."""
        value = self.get(name)
        if value is None:
            return Fields({})
        if not isinstance(value, dict):
            raise bad_request(f"Invalid value for {name}")
        return Fields(value)

    def items(self, name: str) -> list[Fields]:
        """A list of objects (empty when absent)."""
        value = self.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise bad_request(f"Invalid value for {name}")
        return [Fields(item) for item in value]


def parse_json_body(body: bytes) -> Fields:
    """The request body as an object, or Mailjet's ``Invalid json input`` 400."""
    if not body.strip():
        return Fields({})
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise bad_request(f"Invalid json input: {error}") from None
    if not isinstance(value, dict):
        raise bad_request("Invalid json input: expected an object")
    return Fields(value)


def _sort_key(value: object) -> tuple[int, Any]:
    # None and "" sort first, numbers before strings, so mixed columns never raise.
    if value is None or value == "":
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value).lower())


def text_matcher(params: Params, field_name: str) -> Callable[[str], bool] | None:
    """The test for Mailjet's text filters on a field (``Email``, ``EmailCI``, ``EmailLike``,
    ``EmailLikeCI``, ``EmailLLike[CI]``, ``EmailRLike[CI]``), or None when none is given.

    Mailjet documents ``Email`` itself as case-insensitive; ``Like`` matches anywhere, ``LLike``
    at the start, ``RLike`` at the end; ``CI`` makes them case-insensitive.
    """
    tests: list[Callable[[str], bool]] = []
    for suffix, how in _TEXT_FILTERS.items():
        wanted = params.get(field_name + suffix)
        if wanted is None:
            continue
        folded = suffix == "" or suffix.endswith("CI")
        needle = wanted.strip("%")
        tests.append(_text_test(how, needle.lower() if folded else needle, folded))
    if not tests:
        return None
    return lambda value: all(test(value) for test in tests)


_TEXT_FILTERS = {
    "": "equal",
    "CI": "equal",
    "Like": "in",
    "LikeCI": "in",
    "LLike": "start",
    "LLikeCI": "start",
    "RLike": "end",
    "RLikeCI": "end",
}


def text_filters(field_name: str) -> tuple[str, ...]:
    """The names of the text filters on a field, for ``Params.accept_only``."""
    return tuple(field_name + suffix for suffix in _TEXT_FILTERS)


def _text_test(how: str, needle: str, folded: bool) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        text = value.lower() if folded else value
        if how == "equal":
            return text == needle
        if how == "start":
            return text.startswith(needle)
        if how == "end":
            return text.endswith(needle)
        return needle in text

    return test


def page(rows: Iterable[JsonObject], params: Params) -> Reply:
    """Apply ``Sort``, ``Offset``, ``Limit`` and ``countOnly`` and answer with the envelope.

    With ``countOnly=1``, ``Total`` holds the number of matches and ``Data`` is empty, so
    ``Count`` (the length of ``Data``) is 0. Which field Mailjet puts the number in is
    UNCONFIRMED (mailjet-api.md §3 says read ``Total``); a client reading ``Count`` fails here.
    """
    return page_of(list(rows), params, lambda row: row)


def page_of(items: list[T], params: Params, to_json: Callable[[T], JsonObject]) -> Reply:
    """`page` over objects made JSON only for the page answered (all of them only to sort):
    a list of 50,000 contacts read a page at a time is not made JSON 50 times over."""
    if (params.get_bool("countOnly") or False) is True:
        return json_reply(200, {"Count": 0, "Data": [], "Total": len(items)})
    sort = params.get("Sort")
    rows: list[JsonObject] | None = None
    if sort:
        rows = [to_json(item) for item in items]
        parts = sort.replace("+", " ").split()
        descending = len(parts) > 1 and parts[1].upper() == "DESC"
        wanted = parts[0].lower()
        if rows:
            names = {name.lower(): name for name in rows[0]}
            if wanted not in names:
                raise bad_request(f'Invalid sort field "{parts[0]}"')
            key = names[wanted]
            rows.sort(key=lambda row: _sort_key(row.get(key)), reverse=descending)
    limit = params.get_int("Limit")
    limit = DEFAULT_LIMIT if limit is None else limit
    if limit < 0:
        raise bad_request("Limit must be a positive number")
    limit = min(limit, MAX_LIMIT) if limit else MAX_LIMIT
    offset = params.get_int("Offset") or 0
    if offset < 0:
        raise bad_request("Offset must be a positive number")
    if rows is None:
        rows = [to_json(item) for item in items[offset : offset + limit]]
        return json_reply(200, envelope(rows))
    return json_reply(200, envelope(rows[offset : offset + limit]))
