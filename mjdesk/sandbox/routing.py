"""Matching a request path to a resource handler, the way Mailjet's router does.

The version prefix is lower-case only (``/V3/`` is nginx's 404); resource and action segments match
case-insensitively (``ManageManyContacts``, ``BatchJob``); IDs are percent-decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from mjdesk.sandbox.faults import Faults
from mjdesk.sandbox.protocol import ApiFailure, Fields, Params, Reply, parse_json_body
from mjdesk.sandbox.store import Account, Store


@dataclass
class Call:
    """One authenticated request, as a handler sees it."""

    method: str
    path: str
    args: dict[str, str]
    params: Params
    body: bytes
    content_type: str
    account: Account
    store: Store
    faults: Faults
    _fields: Fields | None = field(default=None, repr=False)

    @property
    def fields(self) -> Fields:
        """The JSON body (parsed once)."""
        if self._fields is None:
            self._fields = parse_json_body(self.body)
        return self._fields

    def arg(self, name: str) -> str:
        """A captured path segment."""
        return self.args[name]


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    """A method and path pattern (``v3/REST/contact/{id}``) bound to a handler."""

    method: str
    pattern: str
    handler: Handler

    @property
    def parts(self) -> list[str]:
        """The pattern's segments."""
        return self.pattern.split("/")


class NoRoute(Exception):
    """The path is unknown (nginx 404) or the method is not allowed on it (405)."""

    def __init__(self, method_not_allowed: bool) -> None:
        super().__init__("method not allowed" if method_not_allowed else "unknown path")
        self.method_not_allowed = method_not_allowed


def split_path(raw_path: str) -> list[str]:
    """Path segments, each percent-decoded (the SDK encodes ``@``, ``+``, ``=``, ``.``)."""
    path = raw_path.split("?", 1)[0]
    return [unquote(part) for part in path.strip("/").split("/")]


def _match(parts: list[str], segments: list[str]) -> dict[str, str] | None:
    if len(parts) != len(segments):
        return None
    args: dict[str, str] = {}
    for index, (part, segment) in enumerate(zip(parts, segments, strict=True)):
        if part.startswith("{") and part.endswith("}"):
            if not segment:
                return None
            args[part[1:-1]] = segment
        elif index == 0:
            if part != segment:  # the version prefix is case-sensitive
                return None
        elif part.lower() != segment.lower():
            return None
    return args


class Router:
    """An ordered route table: literal routes are listed before ``{id}`` ones."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def resolve(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        """The route and captured arguments, or ``NoRoute``."""
        segments = split_path(raw_path)
        path_known = False
        for route in self.routes:
            args = _match(route.parts, segments)
            if args is None:
                continue
            if route.method == method:
                return route, args
            path_known = True
        raise NoRoute(method_not_allowed=path_known)


def method_not_allowed() -> ApiFailure:
    """Mailjet's 405 body."""
    return ApiFailure(405, "Method not allowed")
