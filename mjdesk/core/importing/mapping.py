"""Which column is which: guessed from header names and from what the columns hold.

The guess is a starting point the user edits in the wizard. A mapping is remembered by the
*signature* of the header set, so next month's export of the same form maps itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from itertools import islice

from mjdesk.core.importing.consent_values import ConsentState, ConsentValues
from mjdesk.core.importing.dates import parse_date
from mjdesk.core.importing.errors import NoEmailColumnError
from mjdesk.core.importing.headers import clean_header
from mjdesk.core.importing.table import Table
from mjdesk.core.importing.vocabulary import (
    CONSENT_DATE_HEADER,
    CONSENT_HEADER,
    EMAIL_HEADER,
    FIRST_NAME_HEADER,
    FULL_NAME_HEADER,
    LAST_NAME_HEADER,
)


class Role(Enum):
    """What a column is imported as."""

    EMAIL = "email"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    FULL_NAME = "full_name"
    CONSENT = "consent"
    CONSENT_DATE = "consent_date"
    PROPERTY = "property"
    SKIP = "skip"


SINGLE_ROLES = frozenset(Role) - {Role.PROPERTY, Role.SKIP}
"""Roles at most one column can have."""


class PropertyType(Enum):
    """Contact property data types, as Mailjet and the workspace's property_types know them."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATETIME = "datetime"


@dataclass(frozen=True)
class ColumnChoice:
    """The role of one column, and for a property its name and type."""

    header: str
    role: Role
    property_name: str = ""
    property_type: PropertyType = PropertyType.STR


@dataclass(frozen=True)
class ColumnMapping:
    """One choice per column of the table, in column order."""

    columns: tuple[ColumnChoice, ...]

    def header_for(self, role: Role) -> str | None:
        """The header of the column with ``role`` (single roles), or None."""
        return next((c.header for c in self.columns if c.role is role), None)

    def properties(self) -> list[ColumnChoice]:
        return [c for c in self.columns if c.role is Role.PROPERTY]

    def with_role(
        self,
        header: str,
        role: Role,
        *,
        property_name: str | None = None,
        property_type: PropertyType | None = None,
    ) -> ColumnMapping:
        """A copy with ``header`` given ``role``; a column that had that single role is skipped."""
        out = []
        for choice in self.columns:
            if choice.header == header:
                choice = replace(
                    choice,
                    role=role,
                    property_name=property_name
                    if property_name is not None
                    else (choice.property_name or property_slug(header)),
                    property_type=property_type or choice.property_type,
                )
            elif role in SINGLE_ROLES and choice.role is role:
                choice = replace(choice, role=Role.SKIP)
            out.append(choice)
        return ColumnMapping(tuple(out))

    def to_json(self) -> str:
        """The mapping by header name, for remembering under `mapping_signature`."""
        return json.dumps(
            [
                {
                    "header": c.header,
                    "role": c.role.value,
                    "property_name": c.property_name,
                    "property_type": c.property_type.value,
                }
                for c in self.columns
            ],
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str, headers: Sequence[str]) -> ColumnMapping:
        """A remembered mapping applied to ``headers`` (matched by name, any order)."""
        saved = {clean_header(item["header"]).casefold(): item for item in json.loads(text)}
        out = []
        for header in headers:
            item = saved.get(clean_header(header).casefold())
            if item is None:
                out.append(ColumnChoice(header, Role.SKIP))
                continue
            out.append(
                ColumnChoice(
                    header,
                    Role(item["role"]),
                    item.get("property_name", ""),
                    PropertyType(item.get("property_type", "str")),
                )
            )
        return cls(tuple(out))


def mapping_signature(headers: Sequence[str]) -> str:
    """A key for a set of headers: same names (any order, any case) give the same key."""
    names = sorted({clean_header(h).casefold() for h in headers})
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:24]


def property_slug(header: str) -> str:
    """A property name from a header: lower case, words joined by underscores."""
    slug = re.sub(r"[^\w]+", "_", clean_header(header).casefold()).strip("_")
    return slug or "property"


_SAMPLE = 2000
_LOOSE_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
# A number as people write a quantity. A leading "+" or zero, or spaces, mark a code that
# only looks like one (a phone number, an ID): text, or its leading characters are lost.
_INT = re.compile(r"-?(?:0|[1-9]\d{0,17})")
_FLOAT = re.compile(r"-?(?:0|[1-9]\d*)(?:[.,]\d+|(?:\.\d+)?[eE][+-]?\d+)")
_BOOLS = frozenset({"true", "false", "yes", "no", "y", "n", "1", "0"})


def _sample(column: Sequence[str]) -> list[str]:
    """Up to 2,000 non-empty values spread over the column."""
    step = max(1, len(column) // (_SAMPLE * 4))
    return list(islice(filter(None, map(str.strip, column[::step])), _SAMPLE))


def address_share(column: Sequence[str]) -> float:
    """Share of the column's non-empty values that look like an address."""
    values = _sample(column)
    if not values:
        return 0.0
    return sum(1 for v in values if _LOOSE_ADDRESS.fullmatch(v.removeprefix("mailto:"))) / len(
        values
    )


def date_share(column: Sequence[str]) -> float:
    """Share of the column's non-empty values that read as a date."""
    values = _sample(column)
    if not values:
        return 0.0
    return sum(1 for v in values if parse_date(v) is not None) / len(values)


def infer_property_type(column: Sequence[str]) -> PropertyType:
    """The narrowest type every sampled value fits; IDs with leading zeros, phone numbers
    with a leading "+" and numbers written with spaces stay text."""
    values = _sample(column)
    if not values:
        return PropertyType.STR
    if all(_INT.fullmatch(v) for v in values):
        return PropertyType.INT
    if all(_INT.fullmatch(v) or _FLOAT.fullmatch(v) for v in values):
        return PropertyType.FLOAT
    if all(v.casefold() in _BOOLS for v in values):
        return PropertyType.BOOL
    if all(parse_date(v) is not None for v in values):
        return PropertyType.DATETIME
    return PropertyType.STR


def _consent_share(column: Sequence[str], values: ConsentValues) -> float:
    sample = _sample(column)
    if not sample:
        return 0.0
    known = sum(1 for v in sample if values.classify(v) is not ConsentState.UNRECOGNISED)
    return known / len(sample)


def _date_share(column: Sequence[str]) -> float:
    sample = _sample(column)
    if not sample:
        return 0.0
    return sum(1 for v in sample if parse_date(v) is not None) / len(sample)


def _header_role(header: str) -> Role | None:
    name = clean_header(header)
    for role, pattern in (
        (Role.CONSENT_DATE, CONSENT_DATE_HEADER),
        (Role.EMAIL, EMAIL_HEADER),
        (Role.FIRST_NAME, FIRST_NAME_HEADER),
        (Role.LAST_NAME, LAST_NAME_HEADER),
        (Role.FULL_NAME, FULL_NAME_HEADER),
        (Role.CONSENT, CONSENT_HEADER),
    ):
        if pattern.fullmatch(name):
            return role
    return None


def guess_mapping(
    table: Table,
    *,
    consent_values: ConsentValues | None = None,
    remembered: Mapping[str, str] | None = None,
) -> ColumnMapping:
    """The best guess of each column's role; never raises (see `require_email_column`).

    ``remembered`` maps `mapping_signature` values to saved `ColumnMapping.to_json` text; a
    hit is used as it is. Otherwise headers vote first and content decides: the address
    column is the one most of whose values look like addresses, even under a header such as
    "Contact" or no header at all; a consent header over values that are not yes/no is a
    property instead.
    """
    if remembered:
        saved = remembered.get(mapping_signature(table.headers))
        if saved is not None:
            return ColumnMapping.from_json(saved, table.headers)
    values = consent_values or ConsentValues()
    shares = [address_share(column) for column in table.columns]
    roles: list[Role | None] = [_header_role(h) for h in table.headers]
    taken: set[Role] = set()
    # The address column: a named one holding addresses beats the best unnamed one.
    email_index = None
    named = [i for i, role in enumerate(roles) if role is Role.EMAIL and shares[i] >= 0.3]
    if named:
        email_index = max(named, key=lambda i: (shares[i], -i))
    elif shares and max(shares) >= 0.5:
        email_index = max(range(len(shares)), key=lambda i: (shares[i], -i))
    choices: list[ColumnChoice] = []
    for i, header in enumerate(table.headers):
        role = roles[i]
        if i == email_index:
            role = Role.EMAIL
        elif role is Role.EMAIL:
            role = None  # a second address column ("Secondary Email") is a property
        if role is Role.CONSENT and _consent_share(table.columns[i], values) < 0.8:
            role = None
        if role is Role.CONSENT_DATE and _date_share(table.columns[i]) < 0.5:
            role = None
        if role in taken:
            role = None
        if role is None:
            kind = infer_property_type(table.columns[i])
            filled = any(v.strip() for v in table.columns[i])
            choices.append(
                ColumnChoice(
                    header,
                    Role.PROPERTY if filled else Role.SKIP,
                    property_slug(header),
                    kind,
                )
            )
            continue
        if role in SINGLE_ROLES:
            taken.add(role)
        choices.append(ColumnChoice(header, role))
    mapping = ColumnMapping(tuple(choices))
    # A full name column is only wanted when first and last are not both there.
    if mapping.header_for(Role.FIRST_NAME) and mapping.header_for(Role.LAST_NAME):
        full = mapping.header_for(Role.FULL_NAME)
        if full:
            mapping = mapping.with_role(full, Role.PROPERTY)
    return mapping


def require_email_column(table: Table, mapping: ColumnMapping) -> str:
    """The address column's header; `NoEmailColumnError` when the mapping has none."""
    header = mapping.header_for(Role.EMAIL)
    if header is not None:
        return header
    where = table.source.file_name + (
        f", sheet {table.source.sheet!r}" if table.source.sheet else ""
    )
    raise NoEmailColumnError(
        table.source.file_name,
        f"{where}: no column holds e-mail addresses (columns: "
        + ", ".join(table.headers[:12])
        + (" ..." if len(table.headers) > 12 else "")
        + "). Choose the address column by hand, or check that this is the right file.",
        sheet=table.source.sheet,
    )
