"""Worst-case recipients: the people a mail is most likely to go wrong for, each with the
reason they were picked, so an owner previews them rather than a tidy dummy subscriber.

Picked among a list's recipients (or the whole workspace when there is no list): whoever
lacks a value for a field the mail uses, the longest name, no name at all, a name in a
non-Latin script and a right-to-left name.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from mjdesk.core.preview.coverage import distinct_fields
from mjdesk.core.preview.recipients import MEMBERS, value_sql
from mjdesk.core.preview.renderer import FieldUse

_EVERYONE = """
    FROM contacts c
    LEFT JOIN mailjet_contacts mc ON mc.mailjet_id = (
        SELECT max(m.mailjet_id) FROM mailjet_contacts m
        WHERE m.email_key = c.email_key AND NOT m.is_anonymized)
    WHERE 1
"""


@dataclass(frozen=True)
class WorstCase:
    contact_id: int
    reason: str


def _right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _non_latin(text: str) -> bool:
    for ch in text:
        if ch.isalpha() and ord(ch) > 0x24F and not unicodedata.name(ch, "").startswith("LATIN"):
            return True
    return False


def worst_cases(
    con: sqlite3.Connection, list_id: int | None, fields: Iterable[FieldUse] = ()
) -> list[WorstCase]:
    """The worst-case recipients, at most one per reason, no one twice."""
    source = MEMBERS if list_id is not None else _EVERYONE
    # in the order of the list's index, so a LIMIT stops early instead of sorting everyone
    by_id = "s.contact_id" if list_id is not None else "c.id"
    params = {"list": list_id}
    picked: list[WorstCase] = []
    taken: set[int] = set()

    def pick(sql: str, reason: str) -> None:
        row = con.execute(f"SELECT c.id {source} {sql} LIMIT 1", params).fetchone()
        if row is not None and int(row[0]) not in taken:
            taken.add(int(row[0]))
            picked.append(WorstCase(int(row[0]), reason))

    data = [f for f in distinct_fields(fields) if f.namespace == "data"]
    if data:
        for use in data[:5]:
            value = value_sql(use.name)
            gets = "nothing" if use.default is None else f'the default "{use.default}"'
            pick(
                f"AND nullif({value}, '') IS NULL ORDER BY {by_id}",
                f"has no value for data:{use.name}, so gets {gets}",
            )
    pick(
        f"ORDER BY length(c.first_name) + length(c.last_name) DESC, {by_id}",
        "has the longest name",
    )
    pick(f"AND c.first_name = '' AND c.last_name = '' ORDER BY {by_id}", "has no name at all")
    wanted = {"right-to-left": _right_to_left, "non-Latin": _non_latin}
    rows = con.execute(
        f"SELECT c.id, c.first_name || ' ' || c.last_name {source} "
        f"AND (c.first_name || c.last_name) GLOB '*[^ -~]*' ORDER BY {by_id}",
        params,
    )
    for ident, name in rows:
        for label, test in list(wanted.items()):
            if test(name) and int(ident) not in taken:
                taken.add(int(ident))
                picked.append(WorstCase(int(ident), f"has a {label} name"))
                del wanted[label]
        if not wanted:
            break
    return picked
