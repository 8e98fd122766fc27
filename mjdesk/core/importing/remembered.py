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
    """Domains typed in any form ("York.ac.uk, @cs.york.ac.uk"), as (usable, not usable)."""
    usable: list[str] = []
    refused: list[str] = []
    for part in re.split(r"[\s,;]+", text.strip()):
        domain = part.strip().lstrip("@").rstrip(".").lower()
        if not domain:
            continue
        target = usable if _DOMAIN.match(domain) else refused
        if domain not in target:
            target.append(domain)
    return tuple(usable), tuple(refused)


def set_org_domains(settings: Settings, domains: tuple[str, ...]) -> None:
    """Keep the organisation's domains (as `parse_domains` found them usable)."""
    settings.extra[_ORG_DOMAINS] = " ".join(domains)
