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
    senders,
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
        *senders.ROUTES,
        *statistics.ROUTES,
    ]


def settle_jobs(store: Store) -> None:
    """Do the work of every running job and import, send every programmed draft, that its
    clock says is due, then count the sent campaigns' opens and clicks that have happened by
    now (hold the lock)."""
    moment = store.now()
    now = moment.timestamp()
    for holder in store.accounts.values():
        for job in holder.bulk_jobs.values():
            if job.status not in jobs.FINISHED:
                jobs.settle_job(holder, job, now)
        for item in holder.csv_imports.values():
            if item.status not in jobs.FINISHED:
                csvimport.settle_import(holder, item, now)
        campaigns.settle_drafts(holder, moment)
        outcomes.settle_outcomes(holder, moment)
