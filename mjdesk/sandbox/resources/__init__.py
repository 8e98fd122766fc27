"""The sandbox's resources, one module per family; ``all_routes`` is the router's table."""

from __future__ import annotations

from mjdesk.sandbox.resources import (
    account,
    campaigns,
    contacts,
    csvimport,
    jobs,
    lists,
    outcomes,
    properties,
    send,
    statistics,
)
from mjdesk.sandbox.routing import Route
from mjdesk.sandbox.store import Store


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


def settle_jobs(store: Store) -> None:
    """Do the work of every running job and import that its clock says is due, and count the
    sent campaigns' opens and clicks that have happened by now (hold the lock)."""
    now = store.seconds()
    moment = store.now()
    for holder in store.accounts.values():
        outcomes.settle_outcomes(holder, moment)
        for job in holder.bulk_jobs.values():
            if job.status not in jobs.FINISHED:
                jobs.settle_job(holder, job, now)
        for item in holder.csv_imports.values():
            if item.status not in jobs.FINISHED:
                csvimport.settle_import(holder, item, now)
