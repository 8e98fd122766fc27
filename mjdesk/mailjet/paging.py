"""Reading every row of several paged listings with a few requests in flight at once.

A listing of 50,000 rows is 50 pages of 1,000; read one after another they cost 50 round
trips. Here the first page of each listing is read (all listings at once); a listing whose
first page came back full is counted (``countOnly``) and its other pages are read side by
side, by ``Offset``. At most `PARALLEL` requests are in flight, each thread with a client of
its own (`MailjetClient.sibling`: a ``requests`` session is not thread-safe) sharing the
caller's cancel token, so a cancel stops every thread before its next request. A listing
that grew between its count and its pages (its last page came back full) is read on, page
by page, until a short page: the same rule `MailjetClient.get_all` follows.

A listing whose rows all fit in one page costs one request, as with ``get_all``.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from mjdesk.mailjet.client import PAGE_SIZE
from mjdesk.mailjet.replies import JsonObject

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

PARALLEL = 4
"""Requests in flight at most: Mailjet publishes no rate limit, and four is what a desktop
should ask of it (as the statistics fetch does)."""

T = TypeVar("T")


@dataclass(frozen=True)
class Listing:
    """One paged resource with its filters (the filters Mailjet documents for it)."""

    resource: str
    filters: Mapping[str, Any] = field(default_factory=dict)


class _Clients:
    """Sibling clients lent to the worker threads, one call at a time, closed at the end."""

    def __init__(self, client: MailjetClient) -> None:
        self.client = client
        self._spare: queue.SimpleQueue[MailjetClient] = queue.SimpleQueue()
        self._made: list[MailjetClient] = []

    @contextmanager
    def borrowed(self) -> Iterator[MailjetClient]:
        try:
            client = self._spare.get_nowait()
        except queue.Empty:
            client = self.client.sibling()
            self._made.append(client)
        try:
            yield client
        finally:
            self._spare.put(client)

    def close(self) -> None:
        """Close the siblings, their requests counted on the caller's client."""
        for client in self._made:
            self.client.requests += client.requests
            client.close()


def each(
    client: MailjetClient,
    calls: Sequence[Callable[[MailjetClient], T]],
    *,
    parallel: int = PARALLEL,
    finished: Callable[[int], None] | None = None,
) -> list[T]:
    """Every call's result, in order, with at most ``parallel`` in flight (each call given a
    client of its own, its requests counted on ``client`` at the end); ``finished`` is told
    how many calls are done as they finish. The first error, or a cancel, stops the rest and
    is raised."""
    clients = _Clients(client)

    def one(call: Callable[[MailjetClient], T]) -> T:
        with clients.borrowed() as lent:
            return call(lent)

    try:
        with ThreadPoolExecutor(max(1, parallel), thread_name_prefix="mj-each") as pool:
            futures = [pool.submit(one, call) for call in calls]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                if finished is not None and done:
                    finished(len(futures) - len(pending))
                for future in done:
                    if future.exception() is not None:
                        for other in pending:  # (those running finish their one call)
                            other.cancel()
                        raise future.exception()  # type: ignore[misc]
            return [future.result() for future in futures]
    finally:
        clients.close()


def _page(listing: Listing, offset: int) -> Callable[[MailjetClient], list[JsonObject]]:
    query = {**listing.filters, "Limit": PAGE_SIZE, "Offset": offset}
    return lambda client: client.get(listing.resource, filters=query)


def _count(listing: Listing) -> Callable[[MailjetClient], int]:
    return lambda client: client.count(listing.resource, listing.filters)


def read_all(
    client: MailjetClient,
    listings: Sequence[Listing],
    *,
    parallel: int = PARALLEL,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[JsonObject]]:
    """Every row of each listing, in the order ``get_all`` gives them. ``progress`` is told
    the pages read and the pages known so far (the total grows once the counts are in).
    The first error, or a cancel, stops the rest and is raised."""
    clients = _Clients(client)
    pages_done = 0
    pages_known = len(listings)

    def tell(finished: int) -> None:
        nonlocal pages_done
        pages_done += finished
        if progress is not None:
            progress(pages_done, pages_known)

    try:
        with ThreadPoolExecutor(max(1, parallel), thread_name_prefix="mj-pages") as pool:

            def run(calls: Sequence[Callable[[MailjetClient], T]], *, pages: bool) -> list[T]:
                def one(call: Callable[[MailjetClient], T]) -> T:
                    with clients.borrowed() as lent:
                        return call(lent)

                futures: list[Future[T]] = [pool.submit(one, call) for call in calls]
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                    for future in finished:
                        if future.exception() is not None:
                            for other in pending:  # (those running finish their one request)
                                other.cancel()
                            raise future.exception()  # type: ignore[misc]
                    if pages and finished:
                        tell(len(finished))
                return [future.result() for future in futures]

            firsts = run([_page(listing, 0) for listing in listings], pages=True)
            full = [n for n, rows in enumerate(firsts) if len(rows) >= PAGE_SIZE]
            counts = run([_count(listings[n]) for n in full], pages=False)
            rest: list[tuple[int, int]] = [
                (n, offset)
                for n, total in zip(full, counts, strict=True)
                for offset in range(PAGE_SIZE, total + 1, PAGE_SIZE)
            ]
            pages_known += len(rest)
            more = run([_page(listings[n], offset) for n, offset in rest], pages=True)
            rows = [list(first) for first in firsts]
            last: dict[int, tuple[int, int]] = {n: (0, len(firsts[n])) for n in full}
            for (n, offset), page in zip(rest, more, strict=True):
                rows[n].extend(page)
                last[n] = (offset, len(page))
            for n, (offset, size) in last.items():  # (grown since its count: read on)
                while size >= PAGE_SIZE:
                    offset += PAGE_SIZE
                    page = _page(listings[n], offset)(client)
                    rows[n].extend(page)
                    size = len(page)
                    pages_known += 1
                    tell(1)
    finally:
        clients.close()
    return rows
