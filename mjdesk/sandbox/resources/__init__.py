"""The sandbox's resources, one module per family; ``all_routes`` is the router's table."""

from __future__ import annotations

from mjdesk.sandbox.resources import account, contacts, csvimport, jobs, lists, properties
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
    ]
