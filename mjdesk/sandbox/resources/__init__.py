"""The sandbox's resources, one module per family; ``all_routes`` is the router's table."""

from __future__ import annotations

from mjdesk.sandbox.resources import (
    account,
    campaigns,
    contacts,
    csvimport,
    jobs,
    lists,
    properties,
    send,
    statistics,
)
from mjdesk.sandbox.routing import Route


def all_routes() -> list[Route]:
    """Every route, literal paths before ``{id}`` ones within each family."""
    return [
        *account.ROUTES,
        *jobs.ROUTES,
        *csvimport.ROUTES,
        *contacts.ROUTES,
        *properties.ROUTES,
        *lists.ROUTES,
        *campaigns.ROUTES,
        *send.ROUTES,
        *statistics.ROUTES,
    ]
