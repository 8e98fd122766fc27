"""The statistics cache in the workspace: what a fetch writes, and the queries the Statistics
page, the exports and the command line read, all offline.

Writers take a connection inside ``workspace.transaction()``; readers one from
``workspace.reading()`` (or the same transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from mjdesk.core.clock import parse_iso
from mjdesk.core.stats.figures import CampaignFigures, ratio

_FIGURE_COLUMNS = (
    "campaign_id",
    "subject",
    "sent_at",
    "list_name",
    "processed",
    "delivered",
    "opened",
    "clicked",
    "hard_bounced",
    "soft_bounced",
    "blocked",
    "spam",
    "unsubscribed",
    "open_events",
    "click_events",
    "mailjet_list_id",
    "fetched_at",
)


@dataclass(frozen=True)
class HourCounts:
    """Opens and clicks that happened in one hour (``hour``: ``YYYY-MM-DDTHH``, UTC)."""

    hour: str
    opened: int
    clicked: int
    open_events: int = 0
    click_events: int = 0


@dataclass(frozen=True)
class LinkClicks:
    """One link of a campaign: messages in which it was clicked, and clicks in all."""

    position: int
    url: str
    clicked_messages: int
    clicked_events: int
    share: float | None = None
    """Its part of all clicks on the campaign's links (``clicked_events``); shares add up to 1."""


@dataclass(frozen=True)
class ProviderFigures:
    """A campaign's results at one mailbox provider (Mailjet's ``recipient-esp``)."""

    provider: str
    attempted: int
    delivered: int
    opened: int
    clicked: int
    soft_bounced: int = 0
    hard_bounced: int = 0
    spam: int = 0
    unsubscribed: int = 0
    share: float | None = None
    """Its part of the campaign's delivered messages; shares add up to 1."""

    @property
    def open_rate(self) -> float | None:
        """Opened ÷ delivered at this provider (as the campaign's own Opened %)."""
        return ratio(self.opened, self.delivered)

    @property
    def click_to_open(self) -> float | None:
        """Clicked ÷ opened (Mailjet's click-through rate per provider)."""
        return ratio(self.clicked, self.opened)


@dataclass(frozen=True)
class Detail:
    """What a fetch brings for one campaign beyond its figures."""

    campaign_id: int
    hours: Sequence[HourCounts] = ()
    links: Sequence[LinkClicks] = ()
    providers: Sequence[ProviderFigures] = ()


@dataclass(frozen=True)
class CampaignDetail:
    """A campaign's figures and detail, as the detail view shows them."""

    figures: CampaignFigures
    fetched_at: str
    by_hour: list[HourCounts]
    by_day: list[HourCounts]
    links: list[LinkClicks]
    providers: list[ProviderFigures]

    @property
    def bounces(self) -> dict[str, int]:
        """Hard and soft bounces and blocked messages."""
        f = self.figures
        return {
            "Hard bounced": f.hard_bounced,
            "Soft bounced": f.soft_bounced,
            "Blocked": f.blocked,
        }


@dataclass(frozen=True)
class ListSnapshot:
    """A Mailjet list as a fetch saw it: members by state, and joins and leaves per day."""

    mailjet_list_id: int
    name: str
    subscribed: int
    unsubscribed: int
    days: Sequence[tuple[str, int, int]] = ()
    """``(YYYY-MM-DD, joined, left)``."""


@dataclass(frozen=True)
class ListStatistics:
    """A list for the Lists view: current counts, subscribers over time, unsubscribes per
    campaign sent to it."""

    mailjet_list_id: int
    name: str
    subscribed: int
    unsubscribed: int
    fetched_at: str
    subscribers_by_day: list[tuple[str, int]] = field(default_factory=list)
    unsubscribes_by_campaign: list[tuple[CampaignFigures, int]] = field(default_factory=list)

    @property
    def counts_by_state(self) -> dict[str, int]:
        return {"Subscribed": self.subscribed, "Unsubscribed": self.unsubscribed}


@dataclass(frozen=True)
class FetchInfo:
    """The newest completed fetch."""

    kind: str
    started_at: str
    finished_at: str
    campaigns: int
    requests: int


# -- writing ------------------------------------------------------------------------------------


def save_figures(con: sqlite3.Connection, rows: Iterable[CampaignFigures]) -> int:
    """Store (or replace) campaigns' figures; how many."""
    names = ", ".join(_FIGURE_COLUMNS)
    marks = ", ".join("?" for _ in _FIGURE_COLUMNS)
    updates = ", ".join(f"{n} = excluded.{n}" for n in _FIGURE_COLUMNS[1:])
    values = [tuple(getattr(row, n) for n in _FIGURE_COLUMNS) for row in rows]
    con.executemany(
        f"INSERT INTO stats_campaigns ({names}) VALUES ({marks}) "
        f"ON CONFLICT (campaign_id) DO UPDATE SET {updates}",
        values,
    )
    return len(values)


def save_detail(con: sqlite3.Connection, detail: Detail, fetched_at: str) -> None:
    """Replace a campaign's detail (its figures must be stored first)."""
    cid = detail.campaign_id
    con.execute("DELETE FROM stats_details WHERE campaign_id = ?", (cid,))
    con.execute("INSERT INTO stats_details VALUES (?, ?)", (cid, fetched_at))
    con.executemany(
        "INSERT INTO stats_hours VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
        "opened = opened + excluded.opened, clicked = clicked + excluded.clicked, "
        "open_events = open_events + excluded.open_events, "
        "click_events = click_events + excluded.click_events",
        [(cid, h.hour, h.opened, h.clicked, h.open_events, h.click_events) for h in detail.hours],
    )
    con.executemany(
        "INSERT OR REPLACE INTO stats_links VALUES (?, ?, ?, ?, ?)",
        [(cid, k.position, k.url, k.clicked_messages, k.clicked_events) for k in detail.links],
    )
    con.executemany(
        "INSERT OR REPLACE INTO stats_providers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                cid,
                p.provider,
                p.attempted,
                p.delivered,
                p.opened,
                p.clicked,
                p.soft_bounced,
                p.hard_bounced,
                p.spam,
                p.unsubscribed,
            )
            for p in detail.providers
        ],
    )


def save_lists(con: sqlite3.Connection, lists: Iterable[ListSnapshot], fetched_at: str) -> None:
    """Replace every list's snapshot (lists gone from Mailjet go from the cache too)."""
    con.execute("DELETE FROM stats_lists")
    for item in lists:
        con.execute(
            "INSERT INTO stats_lists VALUES (?, ?, ?, ?, ?)",
            (item.mailjet_list_id, item.name, item.subscribed, item.unsubscribed, fetched_at),
        )
        con.executemany(
            "INSERT INTO stats_list_days VALUES (?, ?, ?, ?)",
            [(item.mailjet_list_id, day, joined, left) for day, joined, left in item.days],
        )


def record_fetch(
    con: sqlite3.Connection,
    kind: str,
    started_at: str,
    finished_at: str,
    *,
    campaigns: int,
    requests: int,
) -> None:
    """Note a completed fetch (the page's "figures from …" comes from the newest)."""
    con.execute(
        "INSERT INTO stats_fetches (kind, started_at, finished_at, campaigns, requests) "
        "VALUES (?, ?, ?, ?, ?)",
        (kind, started_at, finished_at, campaigns, requests),
    )


# -- reading ------------------------------------------------------------------------------------


def _figures(row: Sequence[object]) -> CampaignFigures:
    return CampaignFigures(**dict(zip(_FIGURE_COLUMNS, row, strict=True)))  # type: ignore[arg-type]


def campaigns(
    con: sqlite3.Connection,
    *,
    since: str | None = None,
    until: str | None = None,
    list_name: str | None = None,
) -> list[CampaignFigures]:
    """Cached campaigns, newest first; ``since``/``until`` (``YYYY-MM-DD``, both included) on
    the send date, ``list_name`` (any case) on the list it was sent to."""
    where, args = [], []
    if since:
        where.append("sent_at >= ?")
        args.append(since)
    if until:
        where.append("sent_at < ?")
        args.append(until + "T24")  # the whole of that day
    if list_name:
        where.append("list_name = ? COLLATE NOCASE")
        args.append(list_name)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = con.execute(
        f"SELECT {', '.join(_FIGURE_COLUMNS)} FROM stats_campaigns {clause} "
        "ORDER BY sent_at DESC, campaign_id DESC",
        args,
    )
    return [_figures(row) for row in rows]


def campaign(con: sqlite3.Connection, campaign_id: int) -> CampaignFigures | None:
    """One cached campaign's figures."""
    row = con.execute(
        f"SELECT {', '.join(_FIGURE_COLUMNS)} FROM stats_campaigns WHERE campaign_id = ?",
        (campaign_id,),
    ).fetchone()
    return None if row is None else _figures(row)


def list_names(con: sqlite3.Connection) -> list[str]:
    """The lists cached campaigns were sent to, by name."""
    rows = con.execute(
        "SELECT DISTINCT list_name FROM stats_campaigns WHERE list_name != '' "
        "ORDER BY list_name COLLATE NOCASE"
    )
    return [name for (name,) in rows]


def detail(con: sqlite3.Connection, campaign_id: int) -> CampaignDetail | None:
    """A campaign's detail, or None when it has not been fetched yet."""
    figures = campaign(con, campaign_id)
    fetched = con.execute(
        "SELECT fetched_at FROM stats_details WHERE campaign_id = ?", (campaign_id,)
    ).fetchone()
    if figures is None or fetched is None:
        return None
    hours = [
        HourCounts(*row)
        for row in con.execute(
            "SELECT hour, opened, clicked, open_events, click_events FROM stats_hours "
            "WHERE campaign_id = ? ORDER BY hour",
            (campaign_id,),
        )
    ]
    days: dict[str, list[int]] = {}
    for h in hours:
        sums = days.setdefault(h.hour[:10], [0, 0, 0, 0])
        for index, value in enumerate((h.opened, h.clicked, h.open_events, h.click_events)):
            sums[index] += value
    link_rows = con.execute(
        "SELECT position, url, clicked_messages, clicked_events FROM stats_links "
        "WHERE campaign_id = ? ORDER BY clicked_events DESC, position",
        (campaign_id,),
    ).fetchall()
    all_clicks = sum(row[3] for row in link_rows)
    links = [
        LinkClicks(row[0], row[1], row[2], row[3], ratio(row[3], all_clicks)) for row in link_rows
    ]
    provider_rows = con.execute(
        "SELECT provider, attempted, delivered, opened, clicked, soft_bounced, hard_bounced, "
        "spam, unsubscribed FROM stats_providers WHERE campaign_id = ? "
        "ORDER BY delivered DESC, provider",
        (campaign_id,),
    ).fetchall()
    delivered = sum(row[2] for row in provider_rows)
    providers = [
        replace(ProviderFigures(*row), share=ratio(row[2], delivered)) for row in provider_rows
    ]
    return CampaignDetail(
        figures,
        fetched[0],
        hours,
        [HourCounts(day, *sums) for day, sums in sorted(days.items())],
        links,
        providers,
    )


def lists(con: sqlite3.Connection) -> list[ListStatistics]:
    """Every cached list, by name."""
    found = []
    rows = con.execute(
        "SELECT mailjet_list_id, name, subscribed, unsubscribed, fetched_at FROM stats_lists "
        "ORDER BY name COLLATE NOCASE"
    ).fetchall()
    for list_id, name, subscribed, unsubscribed, fetched_at in rows:
        running = 0
        series = []
        for day, joined, left in con.execute(
            "SELECT day, joined, left_list FROM stats_list_days WHERE mailjet_list_id = ? "
            "ORDER BY day",
            (list_id,),
        ):
            running += joined - left
            series.append((day, running))
        sent = [
            (_figures(row), _figures(row).unsubscribed)
            for row in con.execute(
                f"SELECT {', '.join(_FIGURE_COLUMNS)} FROM stats_campaigns "
                "WHERE mailjet_list_id = ? ORDER BY sent_at",
                (list_id,),
            )
        ]
        found.append(
            ListStatistics(list_id, name, subscribed, unsubscribed, fetched_at, series, sent)
        )
    return found


def last_fetch(con: sqlite3.Connection) -> FetchInfo | None:
    """The newest completed fetch, or None before the first."""
    row = con.execute(
        "SELECT kind, started_at, finished_at, campaigns, requests FROM stats_fetches "
        "ORDER BY finished_at DESC, id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else FetchInfo(*row)


def cache_age(con: sqlite3.Connection, now: datetime) -> timedelta | None:
    """How old the cached figures are (since the newest fetch began: what changed during it
    may be missing), or None when nothing was fetched yet."""
    info = last_fetch(con)
    return None if info is None else max(timedelta(0), now - parse_iso(info.started_at))


def describe_age(age: timedelta | None) -> str:
    """The age in words for the page and the command line."""
    if age is None:
        return "No statistics fetched yet."
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "Figures fetched just now."
    if minutes < 60:
        return f"Figures fetched {minutes} min ago."
    hours = minutes // 60
    if hours < 48:
        return f"Figures fetched {hours} hour{'s' if hours != 1 else ''} ago."
    return f"Figures fetched {hours // 24} days ago."
