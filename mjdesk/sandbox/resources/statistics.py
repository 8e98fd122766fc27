"""Statistics: ``/statcounters``, link clicks, mailbox providers, the campaign overview and the
open, click and bounce event logs, all computed from the same stored counters so they add up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from mjdesk.sandbox.protocol import JsonObject, Reply, bad_request, page
from mjdesk.sandbox.resources.campaigns import unix
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Account, DayStats, Event

SOURCES = ("APIKey", "Campaign", "List")
TIMINGS = ("Message", "Event")
RESOLUTIONS = ("Lifetime", "Day", "Hour", "Highest")
_COUNTERS = (
    "total",
    "sent",
    "opened",
    "clicked",
    "unsubscribed",
    "spam",
    "hard_bounced",
    "soft_bounced",
    "blocked",
    "deferred",
    "queued",
    "event_opened",
    "event_clicked",
)


def _choice(call: Call, name: str, allowed: tuple[str, ...]) -> str:
    value = call.params.get(name)
    if not value:
        raise bad_request(f'Mandatory parameter "{name}" is missing')
    for option in allowed:
        if option.lower() == value.lower():
            return option
    raise bad_request(f'Invalid value "{value}" for {name}: one of {", ".join(allowed)}')


def _campaign_ids(account: Account, source: str, source_id: int | None) -> set[int]:
    if source == "APIKey":
        return set(account.campaigns)
    if source_id is None:
        raise bad_request('Mandatory parameter "SourceID" is missing')
    if source == "Campaign":
        return {source_id}
    return {c.id for c in account.campaigns.values() if c.list_id == source_id}


def _row(account: Account, source_id: int, timeslice: str, days: Iterable[DayStats]) -> JsonObject:
    sums = dict.fromkeys(_COUNTERS, 0)
    for day in days:
        for name in _COUNTERS:
            sums[name] += getattr(day, name)
    return {
        "APIKeyID": account.key_id,
        "SourceID": source_id,
        "Timeslice": timeslice,
        "Total": sums["total"],
        "MessageSentCount": sums["sent"],
        "MessageOpenedCount": sums["opened"],
        "MessageClickedCount": sums["clicked"],
        "MessageUnsubscribedCount": sums["unsubscribed"],
        "MessageSpamCount": sums["spam"],
        "MessageHardBouncedCount": sums["hard_bounced"],
        "MessageSoftBouncedCount": sums["soft_bounced"],
        "MessageBlockedCount": sums["blocked"],
        "MessageDeferredCount": sums["deferred"],
        "MessageQueuedCount": sums["queued"],
        "MessageWorkFlowExitedCount": 0,
        "EventOpenedCount": sums["event_opened"],
        "EventClickedCount": sums["event_clicked"],
        "EventUnsubscribedCount": sums["unsubscribed"],
        "EventSpamCount": sums["spam"],
        "EventOpenDelay": 0,
        "EventClickDelay": 0,
    }


def _slice_start(day: str, hour: int, resolution: str) -> datetime:
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    return start if resolution == "Day" else start + timedelta(hours=hour)


def _statcounters(call: Call) -> Reply:
    """Counters by time slice. ``CounterTiming=Event`` puts each open, click or bounce in the
    slice it happened in; ``Message`` puts everything that happened to a message in the slice
    it was sent in (Mailjet's guide: a campaign sent on day 1 and opened on days 2 and 3 shows
    all its opens on day 1). ``Hour`` and ``Highest`` give hourly slices (the sandbox keeps
    nothing finer); slices are kept between ``FromTS`` and ``ToTS`` (now by default)."""
    source = _choice(call, "CounterSource", SOURCES)
    timing = _choice(call, "CounterTiming", TIMINGS)
    resolution = _choice(call, "CounterResolution", RESOLUTIONS)
    params = call.params
    if resolution == "Lifetime" and (params.has("FromTS") or params.has("ToTS")):
        raise bad_request("FromTS and ToTS cannot be used with CounterResolution Lifetime")
    source_id = params.get_int("SourceID")
    account = call.account
    wanted = _campaign_ids(account, source, source_id)
    days = [d for d in account.day_stats if d.campaign_id in wanted]
    shown_id = source_id if source_id is not None else account.key_id
    if resolution == "Lifetime":
        return page([_row(account, shown_id, "", days)], params)
    start = params.get_int("FromTS")
    end = params.get_int("ToTS") or int(call.store.now().timestamp())
    by_slice: dict[datetime, list[DayStats]] = defaultdict(list)
    for day in days:
        if timing == "Message":
            moment = _sent_at(account, day.campaign_id)
            moment = _slice_start(moment.strftime("%Y-%m-%d"), moment.hour, resolution)
        else:
            moment = _slice_start(day.day, day.hour, resolution)
        stamp = int(moment.timestamp())
        if (start is None or stamp >= start) and stamp <= end:
            by_slice[moment].append(day)
    rows = [
        _row(account, shown_id, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), items)
        for moment, items in sorted(by_slice.items())
    ]
    return page(rows, params)


def _sent_at(account: Account, campaign_id: int) -> datetime:
    campaign = account.campaigns[campaign_id]
    return datetime.fromtimestamp(unix(campaign.send_start_at), UTC)


def _campaign_param(call: Call) -> int:
    value = call.params.get_int("CampaignId")
    if value is None:
        raise bad_request('Mandatory parameter "CampaignId" is missing')
    return value


def _link_click(call: Call) -> Reply:
    campaign_id = _campaign_param(call)
    rows = [
        {
            "URL": link.url,
            "PositionIndex": link.position,
            "ClickedMessagesCount": link.clicked_messages,
            "ClickedEventsCount": link.clicked_events,
        }
        for link in sorted(call.account.link_stats, key=lambda k: k.position)
        if link.campaign_id == campaign_id
    ]
    return page(rows, call.params)


def _rate(part: int, whole: int) -> float:
    # Mailjet gives these as fractions with four decimals (0.6667), not percentages.
    return round(part / whole, 4) if whole else 0.0


def _recipient_esp(call: Call) -> Reply:
    """Results per mailbox provider as Mailjet's guide shows them: ``AttemptedMessagesCount``
    (delivered plus bounced, blocked excluded); ``OpenRate`` = opened / attempted;
    ``ClickThroughRate`` = clicked / opened (Mailjet's click rate); bounce rates over attempted;
    unsubscribe and spam rates over delivered."""
    campaign_id = _campaign_param(call)
    rows = [
        {
            "ESPName": esp.esp,
            "AttemptedMessagesCount": esp.attempted,
            "DeliveredMessagesCount": esp.delivered,
            "OpenedMessagesCount": esp.opened,
            "ClickedMessagesCount": esp.clicked,
            "DeferredMessagesCount": 0,
            "SoftBouncedMessagesCount": esp.soft_bounced,
            "HardBouncedMessagesCount": esp.hard_bounced,
            "UnsubscribedMessagesCount": esp.unsubscribed,
            "SpamReportsCount": esp.spam,
            "OpenRate": _rate(esp.opened, esp.attempted),
            "ClickThroughRate": _rate(esp.clicked, esp.opened),
            "SoftBouncedRate": _rate(esp.soft_bounced, esp.attempted),
            "HardBouncedRate": _rate(esp.hard_bounced, esp.attempted),
            "UnsubscribedRate": _rate(esp.unsubscribed, esp.delivered),
            "SpamReportsRate": _rate(esp.spam, esp.delivered),
            "DeferredRate": 0.0,
        }
        for esp in sorted(call.account.esp_stats, key=lambda e: e.esp)
        if esp.campaign_id == campaign_id
    ]
    return page(rows, call.params)


def _overview(call: Call) -> Reply:
    account = call.account
    params = call.params
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day in account.day_stats:
        entry = totals[day.campaign_id]
        entry["processed"] += day.total
        entry["delivered"] += day.sent
        entry["opened"] += day.opened
        entry["clicked"] += day.clicked
    rows: list[JsonObject] = []
    for campaign in account.campaigns.values():
        entry = totals[campaign.id]
        draft = account.drafts.get(campaign.newsletter_id)
        rows.append(
            {
                "ID": campaign.id,
                "IDType": "Campaign",
                "Title": draft.title if draft else campaign.subject,
                "Subject": campaign.subject,
                "Status": campaign.status,
                "SendTimeStart": unix(campaign.send_start_at),
                "ProcessedCount": entry["processed"],
                "DeliveredCount": entry["delivered"],
                "OpenedCount": entry["opened"],
                "ClickedCount": entry["clicked"],
                "EditMode": draft.edit_mode if draft else "html2",
                "Starred": campaign.is_starred,
            }
        )
    for draft in account.drafts.values():
        if draft.status in (0, 1):
            rows.append(
                {
                    "ID": draft.id,
                    "IDType": "NL",
                    "Title": draft.title,
                    "Subject": draft.subject,
                    "Status": draft.status,
                    "SendTimeStart": 0,
                    "ProcessedCount": 0,
                    "DeliveredCount": 0,
                    "OpenedCount": 0,
                    "ClickedCount": 0,
                    "EditMode": draft.edit_mode,
                    "Starred": False,
                }
            )
    id_type = params.get("IDType")
    if id_type:
        rows = [r for r in rows if r["IDType"].lower() == id_type.lower()]
    for flag, status in (("Sent", 2), ("Drafts", 0), ("Programmed", 1)):
        if params.get_bool(flag) is True:
            rows = [r for r in rows if r["Status"] == status]
    if params.get_bool("Starred") is True:
        rows = [r for r in rows if r["Starred"]]
    return page(rows, params)


def _events(call: Call, kind: str) -> list[Event]:
    params = call.params
    campaign_id = params.get_int("CampaignID")
    list_id = params.get_int("ContactsList")
    start = params.get_int("FromTS")
    end = params.get_int("ToTS")
    if start is None:
        # The event logs default to today (O); a campaign filter alone shows its whole history.
        today = call.store.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start = 0 if campaign_id is not None else int(today.timestamp())
    if end is None:
        end = int((call.store.now() + timedelta(days=1)).timestamp())
    account = call.account
    lists = (
        None
        if list_id is None
        else {c.id for c in account.campaigns.values() if c.list_id == list_id}
    )
    found = []
    for event in account.events:
        if event.kind != kind or (campaign_id is not None and event.campaign_id != campaign_id):
            continue
        if lists is not None and event.campaign_id not in lists:
            continue
        if not start <= unix(event.at) <= end:
            continue
        found.append(event)
    return found


def _openinformation(call: Call) -> Reply:
    rows = [
        {
            "MessageID": e.message_id,
            "CampaignID": e.campaign_id,
            "ContactID": e.contact_id,
            "ArrivedAt": e.at,
            "OpenedAt": e.at,
            "UserAgent": e.user_agent,
        }
        for e in _events(call, "open")
    ]
    return page(rows, call.params)


def _clickstatistics(call: Call) -> Reply:
    rows = [
        {
            "MessageID": e.message_id,
            "ContactID": e.contact_id,
            "ClickedAt": e.at,
            "ClickedDelay": e.delay,
            "Url": e.url,
        }
        for e in _events(call, "click")
    ]
    return page(rows, call.params)


def _bouncestatistics(call: Call) -> Reply:
    rows = [
        {
            "CampaignID": e.campaign_id,
            "ContactID": e.contact_id,
            "BouncedAt": e.at,
            "IsStatePermanent": e.permanent,
        }
        for e in _events(call, "bounce")
    ]
    return page(rows, call.params)


ROUTES = [
    Route("GET", "v3/REST/statcounters", _statcounters),
    Route("GET", "v3/REST/statistics/link-click", _link_click),
    Route("GET", "v3/REST/statistics/recipient-esp", _recipient_esp),
    Route("GET", "v3/REST/campaignoverview", _overview),
    Route("GET", "v3/REST/openinformation", _openinformation),
    Route("GET", "v3/REST/clickstatistics", _clickstatistics),
    Route("GET", "v3/REST/bouncestatistics", _bouncestatistics),
]
