"""What imports remember in the user's settings, for the window and the command line alike:
mappings per header set, and the organisation's own e-mail domains (their misspellings are
offered as typo fixes)."""

from __future__ import annotations

import re

from mjdesk.core.importing.mapping import ColumnMapping, mapping_signature
from mjdesk.core.importing.table import Table
from mjdesk.core.settings import Settings

_MAPPING_PREFIX = "import.mapping."
_ORG_DOMAINS = "import.org_domains"
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")


def remembered_mappings(settings: Settings) -> dict[str, str]:
    """Saved mappings by header signature, as `guess_mapping(remembered=...)` takes them."""
    return {
        key.removeprefix(_MAPPING_PREFIX): value
        for key, value in settings.extra.items()
        if key.startswith(_MAPPING_PREFIX)
    }


def remember_mapping(settings: Settings, table: Table, mapping: ColumnMapping) -> None:
    """Keep ``mapping`` for the next file with the same headers."""
    settings.extra[_MAPPING_PREFIX + mapping_signature(table.headers)] = mapping.to_json()


def org_domains(settings: Settings) -> tuple[str, ...]:
    """The organisation's own domains, as the user set them (may be empty)."""
    return tuple(d for d in settings.extra.get(_ORG_DOMAINS, "").split() if d)


def parse_domains(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Domains typed in any form ("York.ac.uk, @cs.york.ac.uk", an address, a web address),
    as (usable, not usable). Parts are separated by commas, semicolons or lines; a part of
    several words is several domains only if each word is one."""
    usable: list[str] = []
    refused: list[str] = []
    for part in re.split(r"[,;\n]+", text.strip()):
        words = [_domain_of(word) for word in part.split()]
        if not words:
            continue
        if not all(_DOMAIN.match(word) for word in words):
            words, target = [" ".join(part.split())], refused
        else:
            target = usable
        for word in words:
            if word not in target:
                target.append(word)
    return tuple(usable), tuple(refused)


def _domain_of(word: str) -> str:
    """The domain in "https://www.york.ac.uk/path", "ann@york.ac.uk" or "@York.ac.uk."."""
    word = re.sub(r"^[a-z][a-z0-9+.-]*://", "", word.strip().lower())
    word = word.split("/", 1)[0].rsplit("@", 1)[-1]
    return word.removeprefix("www.").rstrip(".")


def set_org_domains(settings: Settings, domains: tuple[str, ...]) -> None:
    """Keep the organisation's domains (as `parse_domains` found them usable)."""
    settings.extra[_ORG_DOMAINS] = " ".join(domains)
