"""Statistics: counters per campaign, list or key, links, mailbox providers, overview, events.

Only Mailjet's current statistics resources are used (mailjet-api.md §8): ``statcounters``,
``statistics/link-click``, ``statistics/recipient-esp``, ``campaignoverview`` and the event
logs. The legacy ones (``campaignstatistics``, ``liststatistics``, ``toplinkclicked``,
``apikeytotals``, ``graphstatistics``...) are never called, so the sandbox leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mjdesk.mailjet.replies import JsonObject

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

Source = Literal["APIKey", "Campaign", "List"]
Timing = Literal["Message", "Event"]
Resolution = Literal["Lifetime", "Day", "Hour", "Highest"]


@dataclass(frozen=True)
class Counters:
    """One ``/statcounters`` row (one time slice)."""

    timeslice: str
    total: int
    sent: int
    opened: int
    clicked: int
    unsubscribed: int
    spam: int
    hard_bounced: int
    soft_bounced: int
    blocked: int
    open_events: int = 0
    click_events: int = 0

    @classmethod
    def from_api(cls, row: JsonObject) -> Counters:
        """From a ``/statcounters`` row."""

        def number(name: str) -> int:
            return int(row.get(name) or 0)

        return cls(
            str(row.get("Timeslice") or ""),
            number("Total"),
            number("MessageSentCount"),
            number("MessageOpenedCount"),
            number("MessageClickedCount"),
            number("MessageUnsubscribedCount"),
            number("MessageSpamCount"),
            number("MessageHardBouncedCount"),
            number("MessageSoftBouncedCount"),
            number("MessageBlockedCount"),
            number("EventOpenedCount"),
            number("EventClickedCount"),
        )


def counters(
    client: MailjetClient,
    source: Source,
    *,
    source_id: int | None = None,
    timing: Timing = "Message",
    resolution: Resolution = "Lifetime",
    from_ts: int | None = None,
    to_ts: int | None = None,
) -> list[Counters]:
    """``/statcounters`` rows; ``from_ts``/``to_ts`` (Unix) are refused with ``Lifetime``."""
    if resolution == "Lifetime" and (from_ts is not None or to_ts is not None):
        raise ValueError("FromTS/ToTS cannot be used with the Lifetime resolution")
    filters: JsonObject = {
        "CounterSource": source,
        "CounterTiming": timing,
        "CounterResolution": resolution,
    }
    for name, value in (("SourceID", source_id), ("FromTS", from_ts), ("ToTS", to_ts)):
        if value is not None:
            filters[name] = value
    return [Counters.from_api(row) for row in client.get_all("statcounters", filters=filters)]


def link_clicks(client: MailjetClient, campaign_id: int) -> list[JsonObject]:
    """Clicks per link (``URL``, ``PositionIndex``, ``ClickedMessagesCount``...)."""
    return list(client.get_all("statistics_linkClick", filters={"CampaignId": campaign_id}))


def mailbox_providers(client: MailjetClient, campaign_id: int) -> list[JsonObject]:
    """Results per mailbox provider (``ESPName``, delivered, opened, clicked, rates...)."""
    return list(client.get_all("statistics_recipientEsp", filters={"CampaignId": campaign_id}))


def campaign_overview(client: MailjetClient, *, sent_only: bool = False) -> list[JsonObject]:
    """One row per campaign or draft with its headline counts."""
    filters = {"Sent": "true"} if sent_only else {}
    return list(client.get_all("campaignoverview", filters=filters))


def _events(
    client: MailjetClient, resource: str, campaign_id: int | None, from_ts: int | None
) -> list[JsonObject]:
    filters: JsonObject = {}
    if campaign_id is not None:
        filters["CampaignID"] = campaign_id
    if from_ts is not None:
        filters["FromTS"] = from_ts
    return list(client.get_all(resource, filters=filters))


def opens(
    client: MailjetClient, *, campaign_id: int | None = None, from_ts: int | None = None
) -> list[JsonObject]:
    """Open events (today's by default)."""
    return _events(client, "openinformation", campaign_id, from_ts)


def clicks(
    client: MailjetClient, *, campaign_id: int | None = None, from_ts: int | None = None
) -> list[JsonObject]:
    """Click events (today's by default)."""
    return _events(client, "clickstatistics", campaign_id, from_ts)


def bounces(
    client: MailjetClient, *, campaign_id: int | None = None, from_ts: int | None = None
) -> list[JsonObject]:
    """Bounce events (today's by default)."""
    return _events(client, "bouncestatistics", campaign_id, from_ts)
