"""Mailjet's template language, as campaigns and templates use it, rendered for one recipient.

A part (HTML, text or subject) is parsed once into a `Template` (cached by its text), and
rendering it for a recipient walks that compiled form: cheap enough to preview every
recipient of a list. What the parser cannot make sense of becomes a `Problem` with its line
and column, never an exception, and the text is kept as written so the preview shows what
Mailjet would most likely send.

The language (Mailjet's template-language reference and help centre):
- ``[[data:prop]]``, ``[[data:prop:"default"]]``, ``[[var:name]]`` (simple personalisation);
- ``{{data:prop:"default"}}``, ``{{var:name:"default"}}`` and any expression in ``{{ }}``;
- ``{% if %}``/``{% elseif %}``/``{% else %}``/``{% endif %}``, ``{% for x in var:list %}``/
  ``{% endfor %}``, ``{% set name = expr %}``;
- operators ``+ - * / div mod``, ``> < >= <= = == === != <>``, ``and or xor not``;
- Mailjet's own placeholders (``[[UNSUB_LINK_EN]]``, ``[[PERMALINK]]``, ...), which only
  Mailjet fills: the preview renders them as inert links that say what they are.

Contact properties (``data:``) match without regard to case, as Mailjet's property names do
(one spelling per account); ``var:`` names are case-sensitive (mailjet-api.md §7). A missing
or empty value takes the default. Values are HTML-escaped in the HTML part so recipient data
can never inject markup into the preview.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from mjdesk.core.preview.mail import Mail


class Part(StrEnum):
    """Which part of a mail a template is: placeholders and escaping differ."""

    HTML = "html"
    TEXT = "text"
    SUBJECT = "subject"


class ProblemKind(StrEnum):
    SYNTAX = "syntax"
    """Text the parser could not read (a bad expression, a tag left open)."""
    SPACE = "space"
    """A space inside the brackets of a merge field (broke rendering in Mailjet, I#82)."""
    UNCLOSED = "unclosed"
    """A block (``if``, ``for``) without its end tag."""
    UNKNOWN_TAG = "unknown_tag"
    """A statement, placeholder, function or name Mailjet does not have."""
    UNKNOWN_PROPERTY = "unknown_property"
    """A ``data:`` property the account does not define."""
    RUNTIME = "runtime"
    """Something that failed for this recipient (a loop over a value that is not a list)."""


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    message: str
    kind: ProblemKind
    part: str = ""
    blocking: bool = False
    """Whether Mailjet would fail on it or send it unfilled (a syntax error, an unclosed
    block, a field it cannot read), rather than something merely doubtful."""

    def __str__(self) -> str:
        where = f"{self.part} " if self.part else ""
        return f"{where}line {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class FieldUse:
    """One merge field in a template: ``namespace`` is ``data`` or ``var``; ``default`` is
    None when the field has none (a missing value then renders as nothing)."""

    namespace: str
    name: str
    default: str | None
    line: int
    column: int


PLACEHOLDER_LABELS: Mapping[str, str] = {
    "PERMALINK": "link to the online version",
    "SHORT_PERMALINK": "short link to the online version",
    "PERMALINK_LABEL": "View online",
    "HEADLINE": "the campaign's headline",
    "POSTAL_ADDRESS": "the sender's postal address",
    "DELIVERY_INFO": "why the recipient gets this mail",
    "UNSUB_LINK": "unsubscribe link",
}
"""Mailjet's campaign placeholders the preview knows, with what each stands for; plus
``UNSUB_LINK_xx`` for any two-letter locale (and ``UNSUB_LINK_LOCALE``)."""

_LINK_PLACEHOLDERS = frozenset({"PERMALINK", "SHORT_PERMALINK", "UNSUB_LINK"})
_UNSUB = re.compile(r"UNSUB_LINK(?:_[A-Z]{2}|_LOCALE)?\Z")


def placeholder_kind(name: str) -> str | None:
    """The key of ``PLACEHOLDER_LABELS`` a placeholder name is, or None if unknown."""
    if _UNSUB.match(name):
        return "UNSUB_LINK"
    return name if name in PLACEHOLDER_LABELS else None


def is_unsubscribe(name: str) -> bool:
    return placeholder_kind(name) == "UNSUB_LINK"


# ---------------------------------------------------------------- runtime


class _Ctx:
    """What one render reads: the recipient's properties (keys lower-cased), the send's
    variables, the names bound by ``for``/``set``, and the problems met on the way."""

    __slots__ = ("data", "local", "placeholders", "problems", "reported", "variables")

    def __init__(self, data: Mapping[str, object], variables: Mapping[str, object]) -> None:
        self.data = data
        self.variables = variables
        self.local: dict[str, object] = {}
        self.problems: list[Problem] = []
        self.placeholders: set[str] = set()
        self.reported: set[tuple[int, str]] = set()

    def fail(self, where: tuple[int, int], message: str, part: str) -> None:
        key = (where[0] * 1_000_000 + where[1], message)
        if key not in self.reported:
            self.reported.add(key)
            self.problems.append(Problem(where[0], where[1], message, ProblemKind.RUNTIME, part))


Expr = Callable[[_Ctx], object]


class _Undefined:
    """A value that is not there: prints as nothing, is false, equals nothing but itself."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def __bool__(self) -> bool:
        return False


UNDEFINED = _Undefined()


def as_text(value: object) -> str:
    """A value as Mailjet prints it."""
    if value is None or value is UNDEFINED:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_empty(value: object) -> bool:
    return value is None or value is UNDEFINED or (isinstance(value, str) and value == "")


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value not in ("", "0", "false")
    if value is None or value is UNDEFINED:
        return False
    return bool(value)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _compare(op: str, left: object, right: object) -> bool:
    """Numbers compare as numbers, anything else as text (as Mailjet's loose typing)."""
    x: Any = _number(left)
    y: Any = _number(right)
    if x is None or y is None:
        x, y = as_text(left), as_text(right)
    if op in ("=", "==", "==="):
        return bool(x == y)
    if op in ("!=", "<>"):
        return bool(x != y)
    if op == ">":
        return bool(x > y)
    if op == "<":
        return bool(x < y)
    if op == ">=":
        return bool(x >= y)
    return bool(x <= y)


def _arith(op: str, left: object, right: object) -> object:
    a, b = _number(left), _number(right)
    if op == "+" and (a is None or b is None):
        return as_text(left) + as_text(right)
    if a is None or b is None:
        raise ValueError(f"“{op}” needs numbers")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise ValueError("division by zero")
    if op == "/":
        return a / b
    if op == "div":
        return float(a // b)
    return float(a % b)


def _get(value: object, key: str) -> object:
    if isinstance(value, Mapping):
        return value.get(key, UNDEFINED)
    if isinstance(value, list | tuple) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    return UNDEFINED


_FUNCTIONS: Mapping[str, Callable[[list[object]], object]] = {
    "upper": lambda a: as_text(a[0]).upper(),
    "lower": lambda a: as_text(a[0]).lower(),
    "capitalize": lambda a: as_text(a[0]).capitalize(),
    "trim": lambda a: as_text(a[0]).strip(),
    "length": lambda a: len(a[0]) if isinstance(a[0], list | tuple | str | Mapping) else 0,
    "escapehtml": lambda a: html.escape(as_text(a[0])),
}
_FUNCTION_ARITY = {name: 1 for name in _FUNCTIONS}


# ---------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<num>\d+(?:\.\d+)?)
    | (?P<ns>(?:var|data|mj|segmentation):[^\W\d][\w]*(?:\.\w+)*)
    | (?P<name>[^\W\d]\w*(?:-\w+)*(?:\.\w+)*)
    | (?P<op>===|==|!=|<>|>=|<=|=|>|<|\+|-|\*|/|\(|\)|,|:)
    )""",
    re.VERBOSE,
)
_WORD_OPS = frozenset({"and", "or", "xor", "not", "div", "mod", "in"})


class _ExprError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass
class _Scope:
    """Names bound while compiling (loop variables, ``set``): a bare name must be one."""

    names: list[set[str]] = field(default_factory=lambda: [set()])

    def has(self, name: str) -> bool:
        return any(name in level for level in self.names)


class _Parser:
    """A Pratt-style parser for one expression, building closures over `_Ctx`."""

    def __init__(
        self,
        text: str,
        base: int,
        compiler: _Compiler,
        scope: _Scope,
    ) -> None:
        self.tokens: list[tuple[str, str, int]] = []
        self.base = base
        self.compiler = compiler
        self.scope = scope
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                stripped = len(text[pos:]) - len(text[pos:].lstrip())
                raise _ExprError(f"unexpected “{text[pos + stripped]}”", pos + stripped)
            kind = match.lastgroup or ""
            value = match.group(kind)
            start = match.start(kind)
            if kind == "name" and value.lower() in _WORD_OPS:
                kind, value = "op", value.lower()
            self.tokens.append((kind, value, start))
            pos = match.end()
        self.i = 0
        self.end = len(text)

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", self.end)

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        self.i += 1
        return token

    def where(self, offset: int) -> tuple[int, int]:
        return self.compiler.position(self.base + offset)

    def parse(self) -> Expr:
        if not self.tokens:
            raise _ExprError("empty expression", 0)
        expr = self.binary(0)
        kind, value, at = self.peek()
        if kind != "end":
            raise _ExprError(f"unexpected “{value}”", at)
        return expr

    _BINDING: Mapping[str, int] = {
        "or": 1,
        "xor": 1,
        "and": 2,
        "=": 4,
        "==": 4,
        "===": 4,
        "!=": 4,
        "<>": 4,
        ">": 4,
        "<": 4,
        ">=": 4,
        "<=": 4,
        "+": 5,
        "-": 5,
        "*": 6,
        "/": 6,
        "div": 6,
        "mod": 6,
    }

    def binary(self, floor: int) -> Expr:
        left = self.unary()
        while True:
            kind, op, at = self.peek()
            power = self._BINDING.get(op, 0) if kind == "op" else 0
            if power <= floor:
                return left
            self.take()
            right = self.binary(power)
            left = self.combine(op, left, right, self.where(at))

    def combine(self, op: str, left: Expr, right: Expr, where: tuple[int, int]) -> Expr:
        if op == "and":
            return lambda c: _truthy(left(c)) and _truthy(right(c))
        if op == "or":
            return lambda c: _truthy(left(c)) or _truthy(right(c))
        if op == "xor":
            return lambda c: _truthy(left(c)) != _truthy(right(c))
        if self._BINDING[op] == 4:
            return lambda c: _compare(op, left(c), right(c))
        part = self.compiler.part

        def arith(c: _Ctx) -> object:
            try:
                return _arith(op, left(c), right(c))
            except (ValueError, ArithmeticError) as exc:
                c.fail(where, f"cannot work out “{op}”: {exc}", part)
                return UNDEFINED

        return arith

    def unary(self) -> Expr:
        kind, value, _ = self.peek()
        if kind == "op" and value == "not":
            self.take()
            inner = self.binary(3)
            return lambda c: not _truthy(inner(c))
        if kind == "op" and value == "-":
            self.take()
            inner = self.unary()
            return lambda c: _arith("-", 0, inner(c))
        return self.primary()

    def primary(self) -> Expr:
        kind, value, at = self.take()
        if kind == "str":
            text = _unquote(value)
            return lambda c: text
        if kind == "num":
            number: object = float(value) if "." in value else int(value)
            return lambda c: number
        if kind == "op" and value == "(":
            inner = self.binary(0)
            closing = self.take()
            if closing[1] != ")":
                raise _ExprError("a “(” is not closed", at)
            return inner
        if kind == "ns":
            return self.field(value, at)
        if kind == "name":
            if self.peek()[1] == "(":
                return self.call(value, at)
            return self.bare(value, at)
        if kind == "end":
            raise _ExprError("the expression ends too soon", at)
        raise _ExprError(f"unexpected “{value}”", at)

    def field(self, token: str, at: int) -> Expr:
        namespace, _, dotted = token.partition(":")
        name, *path = dotted.split(".")
        default: str | None = None
        if self.peek()[:2] == ("op", ":"):
            self.take()
            kind, value, where = self.take()
            if kind == "str":
                default = _unquote(value)
            elif kind in ("num", "name"):
                default = value
            else:
                raise _ExprError("a default value must follow “:”", where)
        line, column = self.where(at)
        if namespace in ("data", "var"):
            self.compiler.fields.append(FieldUse(namespace, name, default, line, column))
        else:
            self.compiler.note(
                self.base + at,
                f"{namespace}: values are filled only by Mailjet; shown empty here",
                ProblemKind.UNKNOWN_TAG,
            )
        return _field_getter(namespace, name, tuple(path), default)

    def call(self, name: str, at: int) -> Expr:
        self.take()  # "("
        args: list[Expr] = []
        if self.peek()[1] != ")":
            while True:
                args.append(self.binary(0))
                if self.peek()[1] != ",":
                    break
                self.take()
        if self.take()[1] != ")":
            raise _ExprError(f"the call to {name} is not closed", at)
        function = _FUNCTIONS.get(name.lower())
        if function is None:
            self.compiler.note(
                self.base + at,
                f"the function {name} is not one the preview knows; its first value is shown",
                ProblemKind.UNKNOWN_TAG,
            )
            return (lambda c: args[0](c)) if args else (lambda c: UNDEFINED)
        if len(args) != _FUNCTION_ARITY[name.lower()]:
            raise _ExprError(f"{name} takes {_FUNCTION_ARITY[name.lower()]} value", at)
        only = args[0]
        part = self.compiler.part
        where = self.where(at)

        def invoke(c: _Ctx) -> object:
            try:
                return function([only(c)])
            except (TypeError, ValueError) as exc:  # pragma: no cover - defensive
                c.fail(where, f"{name} failed: {exc}", part)
                return UNDEFINED

        return invoke

    def bare(self, dotted: str, at: int) -> Expr:
        name, *path = dotted.split(".")
        lowered = name.lower()
        if lowered in ("true", "false"):
            truth = lowered == "true"
            return lambda c: truth
        if not self.scope.has(name):
            self.compiler.note(
                self.base + at,
                f"“{name}” is not a variable here: Mailjet needs var:{name} or data:{name}",
                ProblemKind.UNKNOWN_TAG,
            )
        keys = tuple(path)

        def local(c: _Ctx) -> object:
            value = c.local.get(name, UNDEFINED)
            for key in keys:
                value = _get(value, key)
            return value

        return local


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body) if "\\" in body else body


def _field_getter(namespace: str, name: str, path: tuple[str, ...], default: str | None) -> Expr:
    if namespace == "data":
        key = name.lower()

        def data(c: _Ctx) -> object:
            value = c.data.get(key, UNDEFINED)
            for step in path:
                value = _get(value, step)
            return default if default is not None and _is_empty(value) else value

        return data
    if namespace == "var":

        def var(c: _Ctx) -> object:
            value = c.variables.get(name, UNDEFINED)
            for step in path:
                value = _get(value, step)
            return default if default is not None and _is_empty(value) else value

        return var
    return lambda c: default if default is not None else UNDEFINED


# ---------------------------------------------------------------- template nodes


class _Node:
    __slots__ = ()

    def run(self, c: _Ctx, out: list[str]) -> None:
        raise NotImplementedError


class _Text(_Node):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def run(self, c: _Ctx, out: list[str]) -> None:
        out.append(self.text)


class _Output(_Node):
    __slots__ = ("escape", "expr")

    def __init__(self, expr: Expr, escape: bool) -> None:
        self.expr = expr
        self.escape = escape

    def run(self, c: _Ctx, out: list[str]) -> None:
        text = as_text(self.expr(c))
        out.append(html.escape(text) if self.escape else text)


class _Placeholder(_Node):
    __slots__ = ("name", "text")

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text

    def run(self, c: _Ctx, out: list[str]) -> None:
        c.placeholders.add(self.name)
        out.append(self.text)


class _If(_Node):
    __slots__ = ("branches",)

    def __init__(self) -> None:
        self.branches: list[tuple[Expr | None, list[_Node]]] = []

    def run(self, c: _Ctx, out: list[str]) -> None:
        for test, body in self.branches:
            if test is None or _truthy(test(c)):
                for node in body:
                    node.run(c, out)
                return


class _For(_Node):
    __slots__ = ("body", "items", "name", "part", "where")

    def __init__(self, name: str, items: Expr, where: tuple[int, int], part: str) -> None:
        self.name = name
        self.items = items
        self.body: list[_Node] = []
        self.where = where
        self.part = part

    def run(self, c: _Ctx, out: list[str]) -> None:
        items = self.items(c)
        if _is_empty(items):
            return
        if isinstance(items, Mapping):
            items = list(items.values())
        if not isinstance(items, list | tuple):
            c.fail(self.where, "the loop's value is not a list", self.part)
            return
        had = c.local.get(self.name, UNDEFINED)
        for item in items:
            c.local[self.name] = item
            for node in self.body:
                node.run(c, out)
        c.local[self.name] = had


class _Set(_Node):
    __slots__ = ("expr", "name")

    def __init__(self, name: str, expr: Expr) -> None:
        self.name = name
        self.expr = expr

    def run(self, c: _Ctx, out: list[str]) -> None:
        c.local[self.name] = self.expr(c)


# ---------------------------------------------------------------- compiling

_OPENING = re.compile(r"\[\[|\{\{|\{%")
_SIMPLE = re.compile(
    r"""(?P<ns>data|var):(?P<name>[^\W\d]\w*)(?::(?P<default>"[^"]*"|'[^']*'|[^\]"']*))?\Z"""
)
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_IDENT = re.compile(r"[^\W\d]\w*\Z")
_LOOP = re.compile(r"(?P<name>[^\W\d]\w*)\s+in\s+(?P<expr>.+)\Z", re.DOTALL | re.IGNORECASE)
_SET = re.compile(r"(?P<name>[^\W\d]\w*(?:-\w+)*)\s*=(?!=)\s*(?P<expr>.+)\Z", re.DOTALL)


class _Compiler:
    def __init__(self, source: str, part: Part) -> None:
        self.source = source
        self.part = part
        self.problems: list[Problem] = []
        self.fields: list[FieldUse] = []
        self.placeholders: set[str] = set()
        self.scope = _Scope()
        self._lines = [0] + [m.end() for m in re.finditer("\n", source)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1

    def note(
        self, offset: int, message: str, kind: ProblemKind, *, blocking: bool | None = None
    ) -> None:
        line, column = self.position(offset)
        if blocking is None:
            blocking = kind in (ProblemKind.SYNTAX, ProblemKind.UNCLOSED)
        self.problems.append(Problem(line, column, message, kind, self.part.value, blocking))

    def expression(self, text: str, base: int) -> Expr | None:
        try:
            return _Parser(text, base, self, self.scope).parse()
        except _ExprError as exc:
            self.note(base + exc.offset, str(exc), ProblemKind.SYNTAX)
            return None
        except RecursionError:
            self.note(base, "the expression is nested too deeply", ProblemKind.SYNTAX)
            return None

    def compile(self) -> list[_Node]:
        root: list[_Node] = []
        # the open blocks: (keyword, node, the body now being filled, where it opened)
        stack: list[tuple[str, _Node, list[_Node], int]] = []
        body = root
        text = self.source
        pos = 0
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                body.append(_Text("".join(buffer)))
                buffer.clear()

        for match in _OPENING.finditer(text):
            start = match.start()
            if start < pos:
                continue
            opener = match.group()
            closer = {"[[": "]]", "{{": "}}", "{%": "%}"}[opener]
            stop = text.find(closer, start + 2)
            if stop < 0:
                self.note(start, f"“{opener}” is never closed with “{closer}”", ProblemKind.SYNTAX)
                break
            buffer.append(text[pos:start])
            pos = stop + 2
            inner = text[start + 2 : stop]
            if opener == "[[":
                node = self.bracket(inner, start)
            elif opener == "{{":
                node = self.braces(inner, start)
            else:
                flush()
                body = self.statement(inner, start, stack, body, root)
                continue
            if node is None:
                buffer.append(text[start:pos])
            elif isinstance(node, _Text):
                buffer.append(node.text)
            else:
                flush()
                body.append(node)
        buffer.append(text[pos:])
        flush()
        for keyword, _node, _body, opened in stack:
            self.note(opened, f"“{{% {keyword} %}}” is never closed", ProblemKind.UNCLOSED)
        return root

    def bracket(self, inner: str, start: int) -> _Node | None:
        stripped = inner.strip()
        if stripped != inner and (_SIMPLE.match(stripped) or _PLACEHOLDER.match(stripped)):
            self.note(
                start,
                f"a space inside “[[{inner}]]”: Mailjet will not fill it in",
                ProblemKind.SPACE,
                blocking=True,
            )
            return None
        simple = _SIMPLE.match(inner)
        if simple:
            return self.simple_field(simple, start)
        if _PLACEHOLDER.match(inner):
            return self.placeholder(inner, start)
        if inner.startswith(("data:", "var:")):
            self.note(
                start, f"“[[{inner}]]” is not a merge field Mailjet reads", ProblemKind.SYNTAX
            )
        elif _IDENT.match(inner):
            self.note(start, f"“[[{inner}]]” is not a Mailjet placeholder", ProblemKind.UNKNOWN_TAG)
        return None

    def simple_field(self, match: re.Match[str], start: int) -> _Node:
        namespace, name = match.group("ns"), match.group("name")
        raw = match.group("default")
        default = None if raw is None else (raw[1:-1] if raw[:1] in "\"'" and raw else raw)
        line, column = self.position(start)
        self.fields.append(FieldUse(namespace, name, default, line, column))
        return _Output(_field_getter(namespace, name, (), default), self.part is Part.HTML)

    def braces(self, inner: str, start: int) -> _Node | None:
        stripped = inner.strip()
        if stripped != inner and _SIMPLE.match(stripped):
            self.note(
                start,
                f"a space inside “{{{{{inner}}}}}”: Mailjet may not fill it in",
                ProblemKind.SPACE,
            )
        simple = _SIMPLE.match(stripped)
        if simple and '"' not in (simple.group("default") or '"'):
            simple = None  # an unquoted default may be an expression: parse it as one
        if simple:
            return self.simple_field(simple, start)
        expr = self.expression(inner, start + 2)
        if expr is None:
            return None
        return _Output(expr, self.part is Part.HTML)

    def placeholder(self, name: str, start: int) -> _Node | None:
        kind = placeholder_kind(name)
        if kind is None:
            self.note(start, f"“[[{name}]]” is not a Mailjet placeholder", ProblemKind.UNKNOWN_TAG)
            return None
        self.placeholders.add(name)
        label = PLACEHOLDER_LABELS[kind]
        if self.part is not Part.HTML:
            return _Placeholder(name, f"[{label}]")
        title = html.escape(f"{label}: Mailjet fills this in when it sends", quote=True)
        if kind not in _LINK_PLACEHOLDERS:
            return _Placeholder(
                name, f'<span data-mj-placeholder="{name}" title="{title}">[{label}]</span>'
            )
        before = self.source[max(0, start - 6) : start].lower()
        after = self.source[start + len(name) + 4 : start + len(name) + 5]
        quote = before[-1:] if before[-1:] in "\"'" else ""
        if quote and before[:-1].endswith("href=") and after == quote:
            # the whole href: close it and say what it is in attributes of the link itself
            return _Placeholder(
                name, f"#{quote} data-mj-placeholder={quote}{name}{quote} title={quote}{title}"
            )
        if quote or before.endswith("="):
            return _Placeholder(name, f"#mj-{name}")  # inside a longer URL: inert
        return _Placeholder(
            name, f'<a href="#" data-mj-placeholder="{name}" title="{title}">[{label}]</a>'
        )

    def statement(
        self,
        inner: str,
        start: int,
        stack: list[tuple[str, _Node, list[_Node], int]],
        body: list[_Node],
        root: list[_Node],
    ) -> list[_Node]:
        """Compile one ``{% %}`` tag; returns the body that later nodes go into."""
        content = inner.strip()
        lead = len(inner) - len(inner.lstrip())
        base = start + 2 + lead
        keyword, _, rest = content.partition(" ")
        word = keyword.lower()
        rest_base = base + len(keyword) + 1
        rest_text = rest
        if word in ("if", "elseif", "elsif"):
            if word == "elsif":
                self.note(
                    base,
                    "Mailjet writes “elseif”, not “elsif”",
                    ProblemKind.UNKNOWN_TAG,
                    blocking=True,
                )
            test = self.expression(rest_text, rest_base) if rest.strip() else None
            if test is None and not rest.strip():
                self.note(base, f"“{word}” needs a condition", ProblemKind.SYNTAX)
            test = test or (lambda c: False)
            if word == "if":
                node = _If()
                branch: list[_Node] = []
                node.branches.append((test, branch))
                body.append(node)
                stack.append(("if", node, branch, start))
                return branch
            if not stack or stack[-1][0] != "if":
                self.note(start, "“elseif” without an “if”", ProblemKind.SYNTAX)
                return body
            top = stack[-1]
            assert isinstance(top[1], _If)
            branch = []
            top[1].branches.append((test, branch))
            stack[-1] = (top[0], top[1], branch, top[3])
            return branch
        if word == "else":
            if not stack or stack[-1][0] != "if":
                self.note(start, "“else” without an “if”", ProblemKind.SYNTAX)
                return body
            top = stack[-1]
            assert isinstance(top[1], _If)
            branch = []
            top[1].branches.append((None, branch))
            stack[-1] = (top[0], top[1], branch, top[3])
            return branch
        if word in ("endif", "endfor"):
            opened = word[3:]
            if not stack or stack[-1][0] != opened:
                self.note(start, f"“{word}” without an open “{opened}”", ProblemKind.SYNTAX)
                return body
            keyword_, _node, _branch, _at = stack.pop()
            if keyword_ == "for":
                self.scope.names.pop()
            return stack[-1][2] if stack else root
        if word == "for":
            loop = _LOOP.match(rest.strip())
            if loop is None:
                self.note(start, "a loop reads “for item in var:list”", ProblemKind.SYNTAX)
                items: Expr | None = None
                name = ""
            else:
                name = loop.group("name")
                items = self.expression(loop.group("expr"), rest_base + loop.start("expr"))
            node_for = _For(name, items or (lambda c: UNDEFINED), self.position(start), self.part)
            body.append(node_for)
            stack.append(("for", node_for, node_for.body, start))
            self.scope.names.append({name})
            return node_for.body
        if word == "set":
            assignment = _SET.match(rest.strip())
            if assignment is None:
                self.note(start, "“set” reads “set name = value”", ProblemKind.SYNTAX)
                return body
            expr = self.expression(assignment.group("expr"), rest_base + assignment.start("expr"))
            self.scope.names[-1].add(assignment.group("name"))
            if expr is not None:
                body.append(_Set(assignment.group("name"), expr))
            return body
        shown = content[:30] + ("…" if len(content) > 30 else "")
        self.note(
            start, f"“{{% {shown} %}}” is not a statement Mailjet has", ProblemKind.UNKNOWN_TAG
        )
        body.append(_Text("{%" + inner + "%}"))
        return body


# ---------------------------------------------------------------- the public face


@dataclass(frozen=True)
class RenderedPart:
    text: str
    placeholders: frozenset[str]
    problems: tuple[Problem, ...]


class Template:
    """One part compiled: render it as often as you like."""

    def __init__(self, source: str, part: Part) -> None:
        self.source = source
        self.part = part
        compiler = _Compiler(source, part)
        try:
            self._nodes = compiler.compile()
        except RecursionError:
            compiler.note(0, "the template is nested too deeply to read", ProblemKind.SYNTAX)
            self._nodes = [_Text(source)]
        self.problems: tuple[Problem, ...] = tuple(compiler.problems)
        self.fields: tuple[FieldUse, ...] = tuple(compiler.fields)
        self.placeholders: frozenset[str] = frozenset(compiler.placeholders)

    def render(
        self, data: Mapping[str, object], variables: Mapping[str, object] | None = None
    ) -> RenderedPart:
        """The part for one recipient. ``data`` must have lower-case keys (`lower_keys`)."""
        c = _Ctx(data, variables or {})
        out: list[str] = []
        try:
            for node in self._nodes:
                node.run(c, out)
        except RecursionError:
            c.fail((1, 1), "the template is nested too deeply to render", self.part.value)
        return RenderedPart("".join(out), frozenset(c.placeholders), tuple(c.problems))

    def unknown_properties(self, known: Iterable[str]) -> list[Problem]:
        """``data:`` fields whose property the account does not define."""
        have = {name.lower() for name in known}
        return [
            Problem(
                f.line,
                f.column,
                f"data:{f.name} is not a contact property of this account",
                ProblemKind.UNKNOWN_PROPERTY,
                self.part.value,
            )
            for f in self.fields
            if f.namespace == "data" and f.name.lower() not in have
        ]


@lru_cache(maxsize=64)
def compile_template(source: str, part: Part) -> Template:
    """The compiled form of ``source`` (cached: a draft is parsed once for every recipient)."""
    return Template(source, part)


def lower_keys(data: Mapping[str, object]) -> dict[str, object]:
    """Contact properties keyed as the renderer looks them up (Mailjet ignores their case)."""
    return {str(key).lower(): value for key, value in data.items()}


@dataclass(frozen=True)
class Rendered:
    """A mail as one recipient gets it."""

    subject: str
    html: str
    text: str
    problems: tuple[Problem, ...]
    html_placeholders: frozenset[str]
    text_placeholders: frozenset[str]
    fields: tuple[FieldUse, ...]


def mail_templates(mail: Mail) -> tuple[Template, Template, Template]:
    """The subject, HTML and text of a mail, compiled (cached)."""
    return (
        compile_template(mail.subject, Part.SUBJECT),
        compile_template(mail.html, Part.HTML),
        compile_template(mail.text, Part.TEXT),
    )


def template_problems(mail: Mail, known_properties: Iterable[str] | None = None) -> list[Problem]:
    """Every problem the mail's parts have whoever receives it (the unknown properties too,
    when the account's properties are known)."""
    problems: list[Problem] = []
    known = None if known_properties is None else tuple(known_properties)
    for template in mail_templates(mail):
        problems.extend(template.problems)
        if known is not None:
            problems.extend(template.unknown_properties(known))
    return problems


def render_mail(
    mail: Mail,
    data: Mapping[str, object],
    variables: Mapping[str, object] | None = None,
    known_properties: Iterable[str] | None = None,
) -> Rendered:
    """``mail`` for a recipient whose contact properties are ``data`` (any case)."""
    lowered = lower_keys(data)
    subject_t, html_t, text_t = mail_templates(mail)
    subject = subject_t.render(lowered, variables)
    body = html_t.render(lowered, variables)
    text = text_t.render(lowered, variables)
    problems = template_problems(mail, known_properties)
    for part in (subject, body, text):
        problems.extend(part.problems)
    fields: Sequence[FieldUse] = subject_t.fields + html_t.fields + text_t.fields
    return Rendered(
        subject.text.replace("\n", " ").strip(),
        body.text,
        text.text,
        tuple(problems),
        body.placeholders,
        text.placeholders,
        tuple(fields),
    )
