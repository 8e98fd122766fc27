"""A campaign's figures as Mailjet counts them, and every rate made from them, each with the
definition its tooltip shows.

The counts are Mailjet's ``/statcounters`` (``CounterTiming=Message``, ``Lifetime``): "sent"
is every message Mailjet processed (``Total``), "delivered" the ones the recipients' servers
accepted (``MessageSentCount``). Rates are fractions (0.25 is 25 %), None where the count they
divide by is 0 (a rate over nothing is not 0 %).

Where Mailjet's dashboard names a rate differently from common use the name says so: Mailjet's
"% Clicked" is clicked / opened, which elsewhere is called click-to-open; the common click rate
is clicked / delivered. Both are here, under names that cannot be mixed up, so a figure pasted
into a report matches what a colleague sees in Mailjet.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple


class Rate(NamedTuple):
    """One rate: the figure it divides, by which, and what it means in words."""

    key: str
    label: str
    part: str
    whole: str
    definition: str


RATES: tuple[Rate, ...] = (
    Rate(
        "delivery_rate",
        "Delivered %",
        "delivered",
        "processed",
        "Delivered ÷ sent: messages the recipients' mail servers accepted, of all Mailjet "
        "processed. Mailjet's dashboard shows the same figure as “% Delivered”.",
    ),
    Rate(
        "open_rate",
        "Opened %",
        "opened",
        "delivered",
        "Opened ÷ delivered: messages opened at least once, of those delivered (Mailjet's "
        "“% Opened”). Inflated: mail-privacy proxies and security scanners open messages "
        "nobody read.",
    ),
    Rate(
        "click_to_open",
        "Click-to-open % (Mailjet's “% Clicked”)",
        "clicked",
        "opened",
        "Clicked ÷ opened: messages with at least one click, of those opened. Mailjet's "
        "dashboard calls this “% Clicked”; elsewhere it is the click-to-open rate. It is not "
        "the click rate, which divides by delivered.",
    ),
    Rate(
        "click_rate",
        "Click rate % (of delivered)",
        "clicked",
        "delivered",
        "Clicked ÷ delivered: messages with at least one click, of those delivered (the common "
        "click rate). Mailjet's “% Clicked” divides by opened instead (see click-to-open).",
    ),
    Rate(
        "hard_bounce_rate",
        "Hard bounced %",
        "hard_bounced",
        "processed",
        "Hard bounced ÷ sent: addresses that do not exist or refuse mail for good (Mailjet's "
        "“% Hard-bounced”).",
    ),
    Rate(
        "soft_bounce_rate",
        "Soft bounced %",
        "soft_bounced",
        "processed",
        "Soft bounced ÷ sent: a full mailbox or a server that was down; Mailjet gave up after "
        "retrying (“% Soft-bounced”).",
    ),
    Rate(
        "blocked_rate",
        "Blocked %",
        "blocked",
        "processed",
        "Blocked ÷ sent: messages Mailjet did not send (an address that bounced or complained "
        "before, or is excluded; “% Blocked”).",
    ),
    Rate(
        "spam_rate",
        "Spam %",
        "spam",
        "delivered",
        "Spam complaints ÷ delivered: recipients who marked the message as spam (Mailjet's "
        "“% Marked as spam”).",
    ),
    Rate(
        "unsubscribe_rate",
        "Unsubscribed %",
        "unsubscribed",
        "delivered",
        "Unsubscribed ÷ delivered: recipients who left the list from this message (Mailjet's "
        "“% Unsubscribed”).",
    ),
)
RATE_BY_KEY = {rate.key: rate for rate in RATES}


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None when ``whole`` is 0."""
    return part / whole if whole else None


COUNTS: tuple[tuple[str, str, str], ...] = (
    ("processed", "Sent", "Messages Mailjet processed for the campaign (Mailjet's “Total”)."),
    ("delivered", "Delivered", "Messages the recipients' mail servers accepted."),
    ("opened", "Opened", "Messages opened at least once (not the number of opens)."),
    ("clicked", "Clicked", "Messages with at least one click (the unsubscribe link excluded)."),
    ("hard_bounced", "Hard bounced", "Messages refused for good."),
    ("soft_bounced", "Soft bounced", "Messages refused for now; Mailjet gave up retrying."),
    ("blocked", "Blocked", "Messages Mailjet did not send."),
    ("spam", "Spam", "Messages their recipient marked as spam."),
    ("unsubscribed", "Unsubscribed", "Recipients who unsubscribed from the message."),
)
"""The counts a table shows: attribute, column title, definition."""


@dataclass(frozen=True)
class CampaignFigures:
    """One sent campaign's counts (or a totals row's, ``campaign_id`` 0), with every rate."""

    campaign_id: int
    subject: str
    sent_at: str  # RFC 3339, UTC
    list_name: str
    processed: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    hard_bounced: int = 0
    soft_bounced: int = 0
    blocked: int = 0
    spam: int = 0
    unsubscribed: int = 0
    open_events: int = 0
    click_events: int = 0
    mailjet_list_id: int = 0
    fetched_at: str = ""

    def rate(self, key: str) -> float | None:
        """The rate ``key`` names (one of `RATES`)."""
        rule = RATE_BY_KEY[key]
        return ratio(getattr(self, rule.part), getattr(self, rule.whole))

    @property
    def delivery_rate(self) -> float | None:
        return self.rate("delivery_rate")

    @property
    def open_rate(self) -> float | None:
        return self.rate("open_rate")

    @property
    def click_to_open(self) -> float | None:
        return self.rate("click_to_open")

    @property
    def mailjet_clicked_percent(self) -> float | None:
        """Mailjet's “% Clicked”: the same figure as `click_to_open`, under Mailjet's name."""
        return self.click_to_open

    @property
    def click_rate(self) -> float | None:
        return self.rate("click_rate")

    @property
    def hard_bounce_rate(self) -> float | None:
        return self.rate("hard_bounce_rate")

    @property
    def soft_bounce_rate(self) -> float | None:
        return self.rate("soft_bounce_rate")

    @property
    def blocked_rate(self) -> float | None:
        return self.rate("blocked_rate")

    @property
    def spam_rate(self) -> float | None:
        return self.rate("spam_rate")

    @property
    def unsubscribe_rate(self) -> float | None:
        return self.rate("unsubscribe_rate")


SUMMED = tuple(
    item.name
    for item in fields(CampaignFigures)
    if item.type == "int" and item.name not in ("campaign_id", "mailjet_list_id")
)


def totals(rows: list[CampaignFigures]) -> CampaignFigures:
    """The totals row: counts added up, rates made from the sums (not averaged)."""
    sums = {name: sum(getattr(row, name) for row in rows) for name in SUMMED}
    oldest = min((row.fetched_at for row in rows if row.fetched_at), default="")
    return CampaignFigures(0, f"{len(rows):,} campaigns", "", "", **sums, fetched_at=oldest)
