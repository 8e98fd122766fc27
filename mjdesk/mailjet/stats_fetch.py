"""Fetching Mailjet's statistics into the workspace cache (mjdesk.core.stats.cache).

A full fetch reads every sent campaign's figures and detail (opens and clicks by the hour,
links, mailbox providers) and every list; a refresh reads again only what can have changed:
the figures of campaigns sent in the last 30 days and of campaigns the cache does not hold yet,
and the lists. A campaign's detail is read when it is opened (`fetch_details`).

At most `PARALLEL` requests are in flight: Mailjet publishes no rate limit, and four is what a
desktop should ask of it. Each worker thread has its own client (`MailjetClient.sibling`: a
``requests`` session is not thread-safe), all sharing one cancel token; what was fetched is
written in one transaction at the end, so a cancelled fetch leaves the cache as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from mjdesk.core.clock import to_iso
from mjdesk.core.stats.cache import (
    Detail,
    HourCounts,
    LinkClicks,
    ListSnapshot,
    ProviderFigures,
    record_fetch,
    save_detail,
    save_figures,
    save_lists,
)
from mjdesk.core.stats.figures import CampaignFigures
from mjdesk.core.work import Progress
from mjdesk.mailjet import statistics as ms
from mjdesk.mailjet.campaigns import Campaign, list_campaigns
from mjdesk.mailjet.contacts import list_lists, list_memberships
from mjdesk.mailjet.paging import each

if TYPE_CHECKING:
    from mjdesk.core.workspace import Workspace
    from mjdesk.mailjet.client import MailjetClient

RECENT = timedelta(days=30)
"""Campaigns sent this recently can still gain opens and clicks: a refresh reads them again."""
DETAIL_WINDOW = timedelta(days=30)
"""Opens and clicks over time are read for this long after sending (one page of hours)."""


@dataclass(frozen=True)
class FetchSummary:
    """What a fetch did."""

    kind: str  # full | refresh | details
    campaigns: int
    details: int
    lists: int
    requests: int
    seconds: float

    @property
    def message(self) -> str:
        what = "Fetched" if self.kind == "full" else "Refreshed"
        return (
            f"{what} statistics of {self.campaigns:,} campaigns and {self.lists:,} lists "
            f"in {self.seconds:.1f} s."
        )


def _unix(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def _hour_key(timeslice: str) -> str:
    """``YYYY-MM-DDTHH`` from a Timeslice, which may be RFC 3339 or Unix seconds."""
    if timeslice.isdigit():
        return datetime.fromtimestamp(int(timeslice), UTC).strftime("%Y-%m-%dT%H")
    return timeslice[:13]


def _figures(
    client: MailjetClient, campaign: Campaign, list_name: str, fetched_at: str
) -> CampaignFigures:
    rows = ms.counters(client, "Campaign", source_id=campaign.id)
    c = rows[0] if rows else ms.Counters("", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return CampaignFigures(
        campaign.id,
        campaign.subject,
        campaign.send_start_at,
        list_name,
        processed=c.total,
        delivered=c.sent,
        opened=c.opened,
        clicked=c.clicked,
        hard_bounced=c.hard_bounced,
        soft_bounced=c.soft_bounced,
        blocked=c.blocked,
        spam=c.spam,
        unsubscribed=c.unsubscribed,
        open_events=c.open_events,
        click_events=c.click_events,
        mailjet_list_id=campaign.list_id,
        fetched_at=fetched_at,
    )


def _detail(client: MailjetClient, campaign_id: int, sent_at: str) -> Detail:
    start = _unix(sent_at) if sent_at else 0
    end = start + int(DETAIL_WINDOW.total_seconds())
    hours = ms.counters(
        client,
        "Campaign",
        source_id=campaign_id,
        timing="Event",
        resolution="Hour",
        from_ts=start,
        to_ts=min(end, int(time.time())),
    )
    links = ms.link_clicks(client, campaign_id)
    providers = ms.mailbox_providers(client, campaign_id)

    def number(row: dict[str, object], name: str) -> int:
        return int(str(row.get(name) or 0))

    return Detail(
        campaign_id,
        [
            HourCounts(_hour_key(h.timeslice), h.opened, h.clicked, h.open_events, h.click_events)
            for h in hours
            if h.opened or h.clicked or h.open_events or h.click_events
        ],
        [
            LinkClicks(
                number(row, "PositionIndex"),
                str(row.get("URL") or ""),
                number(row, "ClickedMessagesCount"),
                number(row, "ClickedEventsCount"),
            )
            for row in links
        ],
        [
            ProviderFigures(
                str(row.get("ESPName") or ""),
                number(row, "AttemptedMessagesCount"),
                number(row, "DeliveredMessagesCount"),
                number(row, "OpenedMessagesCount"),
                number(row, "ClickedMessagesCount"),
                number(row, "SoftBouncedMessagesCount"),
                number(row, "HardBouncedMessagesCount"),
                number(row, "SpamReportsCount"),
                number(row, "UnsubscribedMessagesCount"),
            )
            for row in providers
        ],
    )


def _list_snapshot(client: MailjetClient, list_id: int, name: str) -> ListSnapshot:
    joined: dict[str, int] = {}
    left: dict[str, int] = {}
    subscribed = unsubscribed = 0
    for member in list_memberships(client, list_id=list_id):
        if member.subscribed_at:
            joined[member.subscribed_at[:10]] = joined.get(member.subscribed_at[:10], 0) + 1
        if member.is_unsubscribed:
            unsubscribed += 1
            if member.unsubscribed_at:
                day = member.unsubscribed_at[:10]
                left[day] = left.get(day, 0) + 1
        else:
            subscribed += 1
    days = sorted(set(joined) | set(left))
    return ListSnapshot(
        list_id,
        name,
        subscribed,
        unsubscribed,
        [(d, joined.get(d, 0), left.get(d, 0)) for d in days],
    )


def fetch_statistics(
    client: MailjetClient,
    workspace: Workspace,
    *,
    full: bool,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> FetchSummary:
    """Fetch (``full``) or refresh the statistics cache; the client's cancel token stops it
    (`Cancelled`, the cache unchanged)."""
    from mjdesk.core.stats.cache import campaigns as cached_campaigns

    began = time.monotonic()
    moment = now or datetime.now(UTC)
    fetched_at = to_iso(moment)
    before = client.requests  # (a client may have been used before this fetch)
    names = {item.id: item.name for item in list_lists(client)}
    sent = list_campaigns(client)
    if full:
        wanted = sent
    else:
        with workspace.reading() as con:
            known = {row.campaign_id for row in cached_campaigns(con)}
        recent = to_iso(moment - RECENT)
        wanted = [c for c in sent if c.id not in known or c.send_start_at >= recent]
    calls: list[Callable[[MailjetClient], object]] = []
    for campaign in wanted:
        name = names.get(campaign.list_id, "")
        calls.append(partial(_figures, campaign=campaign, list_name=name, fetched_at=fetched_at))
        if full:
            calls.append(partial(_detail, campaign_id=campaign.id, sent_at=campaign.send_start_at))
    for list_id, name in names.items():
        calls.append(partial(_list_snapshot, list_id=list_id, name=name))
    results = each(client, calls, finished=_told(progress, len(calls)))
    requests = client.requests - before
    figures = [r for r in results if isinstance(r, CampaignFigures)]
    details = [r for r in results if isinstance(r, Detail)]
    snapshots = [r for r in results if isinstance(r, ListSnapshot)]
    with workspace.transaction() as con:
        save_figures(con, figures)
        for item in details:
            save_detail(con, item, fetched_at)
        save_lists(con, snapshots, fetched_at)
        record_fetch(
            con,
            "full" if full else "refresh",
            fetched_at,
            to_iso(datetime.now(UTC)),
            campaigns=len(figures),
            requests=requests,
        )
    return FetchSummary(
        "full" if full else "refresh",
        len(figures),
        len(details),
        len(snapshots),
        requests,
        time.monotonic() - began,
    )


def fetch_details(
    client: MailjetClient,
    workspace: Workspace,
    campaign_ids: Sequence[int],
    *,
    progress: Progress | None = None,
) -> FetchSummary:
    """Fetch cached campaigns' detail (the page does this when one is opened)."""
    from mjdesk.core.stats.cache import campaign as cached_campaign

    began = time.monotonic()
    fetched_at = to_iso(datetime.now(UTC))
    with workspace.reading() as con:
        known = [f for f in (cached_campaign(con, cid) for cid in campaign_ids) if f is not None]
    before = client.requests
    calls = [partial(_detail, campaign_id=f.campaign_id, sent_at=f.sent_at) for f in known]
    details = each(client, calls, finished=_told(progress, len(calls)))
    with workspace.transaction() as con:
        for item in details:
            save_detail(con, item, fetched_at)
    requests = client.requests - before
    return FetchSummary("details", 0, len(details), 0, requests, time.monotonic() - began)


def _told(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    """``progress`` told (calls done, ``total``) as the calls finish."""
    return None if progress is None else (lambda done: progress(done, total))
