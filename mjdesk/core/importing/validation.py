"""Address checks: syntax (right and fast), likely typos in the domain, role addresses.

Syntax is checked in two passes. A strict pattern, run over the whole column, accepts the
plain ASCII addresses that make up nearly every list, and a handful of cheap tests reject
what is plainly broken (no @, a space, two addresses in one cell). Only the rest (quoted
local parts, internationalised addresses, odd dots) go to email-validator, one by one, with
``check_deliverability=False`` (no network). The strict pattern accepts nothing that
email-validator refuses; a property test holds it to that.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import accumulate, compress, count, repeat
from operator import itemgetter, not_
from typing import NamedTuple

# Dot-atom local part, LDH labels (none with "--" in third and fourth place, which IDNA
# reserves), an alphabetic TLD that is not a special-use name (which email-validator
# refuses), at most 64 characters before the @ and 254 in all.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
# Letters of any script ([^\W\d_]: alphanumeric, not a digit or underscore), so that
# "zoë@" or "łukasz@" needs no full parse; email-validator accepts letters in a local part.
_LETTER = r"[^\W\d_]"
_CLEARLY_VALID = re.compile(
    r"(?=[^@]{1,64}@)(?=.{3,254}$)(?![^@]*@(?:[^.]*\.)*[^.]{2}--)"
    rf"(?:{_ATEXT}|{_LETTER})+(?:\.(?:{_ATEXT}|{_LETTER})+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?!(?:arpa|invalid|local|localhost|onion|test)$)[A-Za-z]{2,63}"
)
_SPACE = re.compile(r"\s")


def normalise_address(raw: str) -> str:
    """The address as it will be stored: trimmed, NFC, ``mailto:`` and <> removed, domain
    in lower case (the local part keeps its case: it is the person's own spelling)."""
    text = raw.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if text[:7].lower() == "mailto:":
        text = text[7:].strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    at = text.rfind("@")
    if at > 0:
        text = text[:at] + text[at:].lower()
    return text


def _quick_reason(address: str) -> str | None:
    """Why an address is plainly broken, without the full parser; None if unsure."""
    if not address:
        return "The address is empty."
    count = address.count("@")
    if count == 0:
        return "There is no @ sign."
    if count > 1 and '"' not in address:
        if re.search(r"[,;\s]", address):
            return "The cell holds more than one address."
        return "There is more than one @ sign."
    if _SPACE.search(address) and '"' not in address:
        return "The address contains a space."
    if address.startswith("@"):
        return "There is nothing before the @ sign."
    if address.endswith("@"):
        return "There is nothing after the @ sign."
    return None


@lru_cache(maxsize=4096)
def _full_check(address: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        return str(exc)
    return None


# The fast pass, column by column: the local part against a pattern of its own, each
# distinct domain (a file holds few) once. Together they accept what `_CLEARLY_VALID`
# accepts, and letters or digits of any script in the local part (email-validator accepts
# them too; property tests hold the pass to both), without a Python call per address.
_LOCAL_FAST = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*")
_DOMAIN_FAST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?!(?:arpa|invalid|local|localhost|onion|test)$)[A-Za-z]{2,63}"
)


class AddressColumn(NamedTuple):
    """A column of addresses as `normalise_address` leaves them, split at the last @."""

    emails: list[str]
    locals: list[str]
    """What precedes the last @ ('' when there is none)."""
    domains: list[str]
    """What follows the last @ (the whole text when there is none)."""


_FIX_BY_HAND = re.compile(r"<|mailto:", re.IGNORECASE)


def normalise_column(raw: Sequence[str]) -> AddressColumn:
    """`normalise_address` of every cell (an empty cell stays empty), in passes that run
    in C: trimming, splitting, and lower-casing each distinct domain once. The rare cells
    that need more (``mailto:``, ``<...>``, Unicode not in NFC) go through
    `normalise_address` one by one."""
    emails = list(map(str.strip, raw))
    blob = "\x00".join(emails)
    by_hand: set[int] = set()
    if not blob.isascii() and not unicodedata.is_normalized("NFC", blob):
        by_hand.update(i for i, e in enumerate(emails) if not e.isascii())
    # (lower-casing a long text with any non-ASCII in it is slow: only when a ":" is there)
    if "<" in blob or (":" in blob and "mailto:" in blob.lower()):
        starts = list(accumulate(map((1).__add__, map(len, emails)), initial=0))
        by_hand.update(bisect_right(starts, m.start()) - 1 for m in _FIX_BY_HAND.finditer(blob))
    for i in by_hand:
        emails[i] = normalise_address(raw[i])
    parts = list(map(str.rpartition, emails, repeat("@")))
    locals_ = list(map(itemgetter(0), parts))
    domains = list(map(itemgetter(2), parts))
    lowered = {d: d.lower() for d in set(domains)}
    changed = {d for d, low in lowered.items() if d != low}
    if changed:
        for i in compress(count(), map(changed.__contains__, domains)):
            if locals_[i]:
                domains[i] = lowered[domains[i]]
                emails[i] = f"{locals_[i]}@{domains[i]}"
    return AddressColumn(emails, locals_, domains)


def _domain_ok(domain: str) -> bool:
    # IDNA reserves "--" in the third and fourth place of a label.
    return _DOMAIN_FAST.fullmatch(domain) is not None and not any(
        label[2:4] == "--" for label in domain.split(".")
    )


def _undecided(column: AddressColumn) -> list[int]:
    """Rows the fast pass does not accept (in order)."""
    emails, locals_, domains = column
    # Indexes picked in C: each local part against the pattern, each distinct domain once.
    undecided = set(compress(count(), map(not_, map(_LOCAL_FAST.fullmatch, locals_))))
    bad = {d for d in set(domains) if not _domain_ok(d)}
    if bad:
        undecided.update(compress(count(), map(bad.__contains__, domains)))
    # Limits of 64 octets before the @ and 254 in all, counted in UTF-8: only an address
    # longer than 64 octets can break either.
    octets = map(len, emails) if "".join(emails).isascii() else map(len, map(str.encode, emails))
    undecided.update(
        i
        for i in compress(count(), map((64).__lt__, octets))
        if len(emails[i].encode()) > 254 or len(locals_[i].encode()) > 64
    )
    return sorted(undecided)


def check_addresses(addresses: Sequence[str] | AddressColumn) -> dict[int, str]:
    """Problems by index for the addresses that are not valid (all valid: an empty dict).

    Pass normalised addresses (`normalise_address`), or a column from `normalise_column`.
    """
    column = addresses if isinstance(addresses, AddressColumn) else _split(list(addresses))
    problems: dict[int, str] = {}
    for index in _undecided(column):
        address = column.emails[index]
        reason = _quick_reason(address)
        if reason is None:
            reason = _full_check(address)
        if reason is not None:
            problems[index] = reason
    return problems


def _split(emails: list[str]) -> AddressColumn:
    parts = list(map(str.rpartition, emails, repeat("@")))
    return AddressColumn(emails, list(map(itemgetter(0), parts)), list(map(itemgetter(2), parts)))


def _short_in_utf8(address: str) -> bool:
    """The length limits count octets: a non-ASCII address is measured in UTF-8."""
    local = address[: address.rfind("@")]
    return len(local.encode()) <= 64 and len(address.encode()) <= 254


def is_clearly_valid(address: str) -> bool:
    """Whether the fast pass alone accepts ``address`` (exposed for tests)."""
    return not _undecided(_split([address]))


def address_problem(address: str) -> str | None:
    """The problem with one address, or None if it is valid."""
    return check_addresses([address]).get(0)


# Typo domains -----------------------------------------------------------------------

POPULAR_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "outlook.com",
    "live.com",
    "live.co.uk",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "btinternet.com",
    "sky.com",
    "virginmedia.com",
    "talktalk.net",
    "ntlworld.com",
    "protonmail.com",
    "proton.me",
    "gmx.com",
    "gmx.de",
    "web.de",
    "t-online.de",
    "orange.fr",
    "free.fr",
    "qq.com",
    "163.com",
)


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps (gmial -> gmail is one edit), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed(domain: str) -> int:
    return 1 if len(domain) < 10 else 2


class DomainAdvisor:
    """Suggests a fix for a misspelt domain: popular mail providers and the user's own.

    ``org_domains`` are the organisation's domains (``york.ac.uk``); their subdomains
    (``cs.york.ac.uk``) are fine, and a misspelling keeps the subdomain
    (``cs.yrok.ac.uk`` -> ``cs.york.ac.uk``). Answers are cached per domain.
    """

    def __init__(self, org_domains: Iterable[str] = ()) -> None:
        self.org_domains = tuple(d.strip().lower().lstrip("@") for d in org_domains if d.strip())
        self.known = frozenset(POPULAR_DOMAINS) | frozenset(self.org_domains)
        self._cache: dict[str, str | None] = {}

    def suggest(self, domain: str) -> str | None:
        """The domain probably meant, or None when ``domain`` looks right."""
        try:
            return self._cache[domain]
        except KeyError:
            answer = self._cache[domain] = self._suggest(domain)
            return answer

    def _suggest(self, domain: str) -> str | None:
        domain = domain.lower()
        if domain in self.known or any(domain.endswith("." + org) for org in self.org_domains):
            return None
        labels = domain.split(".")
        for org in self.org_domains:
            size = org.count(".") + 1
            if len(labels) < size:
                continue
            tail = ".".join(labels[-size:])
            if _distance(tail, org, _allowed(org)) <= _allowed(org):
                return ".".join([*labels[:-size], org])
        best: tuple[int, str] | None = None
        letters = set(domain)
        for known, limit, known_letters in _POPULAR:
            # Each edit brings in at most one letter the known domain lacks, and changes the
            # length by at most one: both bounds skip nearly every pair before the full count.
            if abs(len(domain) - len(known)) > limit or len(letters - known_letters) > limit:
                continue
            distance = _distance(domain, known, limit)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, known)
        return best[1] if best else None


_POPULAR = [(known, _allowed(known), frozenset(known)) for known in POPULAR_DOMAINS]


_ROLE_WORDS = (
    "info admin administrator noreply no-reply no_reply donotreply do-not-reply postmaster "
    "webmaster hostmaster abuse support sales contact office enquiries enquiry inquiries "
    "marketing help hello team mail billing accounts hr jobs careers newsletter security "
    "root list listserv mailer-daemon reception secretary general it helpdesk service "
    "admissions press media feedback"
)
ROLE_LOCAL_PARTS = frozenset(_ROLE_WORDS.split())
_LONGEST_ROLE = max(map(len, ROLE_LOCAL_PARTS))
_ROLE_LOCAL = re.compile(
    "(?:" + "|".join(map(re.escape, sorted(ROLE_LOCAL_PARTS))) + r")(?:\+[^@]*)?",
    re.IGNORECASE,
)


def is_role_address(address: str) -> bool:
    """A shared mailbox rather than a person (info@, noreply@...): flagged, not refused."""
    local, at, _domain = address.rpartition("@")
    return bool(at) and _ROLE_LOCAL.fullmatch(local) is not None


def role_addresses(addresses: Sequence[str] | AddressColumn) -> set[int]:
    """Indexes of the role addresses in a column."""
    column = addresses if isinstance(addresses, AddressColumn) else _split(list(addresses))
    locals_ = column.locals
    # Only a short local part, or one with a +tag, can be a role word: the pattern runs on
    # those alone (lengths are measured in C).
    candidates = [i for i, size in enumerate(map(len, locals_)) if 0 < size <= _LONGEST_ROLE]
    if "+" in "".join(locals_):
        candidates += [
            i for i, local in enumerate(locals_) if len(local) > _LONGEST_ROLE and "+" in local
        ]
    return {i for i in candidates if _ROLE_LOCAL.fullmatch(locals_[i]) is not None}
