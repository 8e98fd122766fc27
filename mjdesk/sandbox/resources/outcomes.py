"""What happens to a sent campaign's messages, and when: delivery or bounce at sending, then opens,
clicks, unsubscribes and spam reports spread over the following days (the seed's campaigns) or
minutes (a draft sent in the sandbox).

A send draws every message's `Outcome` at once, each with its time; `settle_outcomes` counts
those the sandbox clock has reached, so statistics grow as time passes, as Mailjet's do. Every
counter (``/statcounters`` slices, link clicks, mailbox providers, the event logs) is moved by
the same outcomes, so they always add up.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from mjdesk.sandbox.store import Account, Campaign, Contact, Event, Outcome, rfc3339

PROVIDERS = {
    "gmail.com": "Gmail",
    "outlook.com": "Outlook",
    "hotmail.co.uk": "Outlook",
    "york.ac.uk": "York",
    "yahoo.co.uk": "Yahoo",
    "icloud.com": "Apple",
    "proton.me": "Proton",
}
USER_AGENTS = ["Mozilla/5.0 (iPhone)", "Mozilla/5.0 (Windows NT 10.0)", "Apple Mail", "Outlook"]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


LINK_PARTS = ("story", "events", "apply")


def campaign_links(campaign: Campaign) -> list[str]:
    """The links a campaign's message holds, in their order (the sandbox does not read its
    HTML)."""
    return [f"https://dept.example.ac.uk/news/{campaign.id}/{part}" for part in LINK_PARTS]


def _provider(email: str) -> str:
    return PROVIDERS.get(email.rpartition("@")[2], "Other")


def draw_outcomes(
    account: Account,
    rng: random.Random,
    campaign: Campaign,
    recipients: Sequence[Contact],
    *,
    spread: timedelta,
) -> list[Outcome]:
    """Every message's fate: delivered or bounced or blocked at sending, then (for about 38 %
    of the delivered) an open within ``spread`` of it, a click on 30 % of those, rarely an
    unsubscribe or a spam report. Opens thin out with time, as real ones do."""
    sent = _when(campaign.send_start_at)
    links = campaign_links(campaign)
    found: list[Outcome] = []
    stamp = rfc3339(sent)
    for contact in recipients:
        message = account.new_id()
        esp = _provider(contact.email)

        made = partial(Outcome, campaign.id, contact.id, message)
        roll = rng.random()
        if roll < 0.023:
            kind = "hard" if roll < 0.012 else "soft" if roll < 0.02 else "blocked"
            found.append(made(kind, stamp, esp))
            continue
        found.append(made("sent", stamp, esp))
        if rng.random() >= 0.38:
            continue
        # Exponential, mean spread / 8, cut at the spread: most opens come soon after sending.
        delay = min(rng.expovariate(8.0), 1.0) * spread + timedelta(minutes=1)
        opened = sent + delay
        found.append(
            made(
                "open",
                rfc3339(opened),
                esp,
                count=1 + (rng.random() < 0.3),
                user_agent=rng.choice(USER_AGENTS),
            )
        )
        if rng.random() < 0.3:
            clicked = rfc3339(opened + timedelta(minutes=2))
            for number, url in enumerate(rng.sample(links, rng.choice((1, 1, 1, 2)))):
                kind = "click" if number == 0 else "click-more"
                found.append(made(kind, clicked, esp, url=url, count=1 + (rng.random() < 0.2)))
        if rng.random() < 0.006:
            found.append(made("unsub", rfc3339(opened + timedelta(minutes=3)), esp))
        if rng.random() < 0.0008:
            found.append(made("spam", rfc3339(opened + timedelta(minutes=4)), esp))
    return found


def add_outcomes(account: Account, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Count what has happened by ``now``; keep the rest for `settle_outcomes`."""
    due = rfc3339(now)
    for item in outcomes:
        if item.at <= due:
            _count(account, item)
        else:
            account.pending_outcomes.append(item)


def settle_outcomes(account: Account, now: datetime) -> None:
    """Count the pending outcomes the clock has reached (hold the store's lock)."""
    if not account.pending_outcomes:
        return
    due = rfc3339(now)
    later = []
    for item in account.pending_outcomes:
        if item.at <= due:
            _count(account, item)
        else:
            later.append(item)
    account.pending_outcomes = later


def campaign_sent(account: Account, campaign: Campaign, now: datetime) -> None:
    """Statistics for a draft just sent in the sandbox: its list's subscribed members receive
    it, but those excluded from campaigns (not sent at all), and those who complained of
    spam or bounced for good before, whose message Mailjet blocks ("blocked": its help
    centre names a spam report and a hard bounce history as the usual reasons); deliveries
    count at once, opens and clicks over the following 30 minutes."""
    bounced = {e.contact_id for e in account.events if e.kind == "bounce" and e.permanent}
    members = [
        account.contacts[m.contact_id]
        for m in account.memberships.values()
        if m.list_id == campaign.list_id
        and not m.is_unsubscribed
        and not account.contacts[m.contact_id].is_excluded
    ]
    blocked = [c for c in members if c.is_spam_complaining or c.id in bounced]
    recipients = [c for c in members if not (c.is_spam_complaining or c.id in bounced)]
    rng = random.Random(campaign.id)
    outcomes = draw_outcomes(account, rng, campaign, recipients, spread=timedelta(minutes=30))
    stamp = rfc3339(_when(campaign.send_start_at))
    outcomes += [
        Outcome(campaign.id, c.id, account.new_id(), "blocked", stamp, _provider(c.email))
        for c in blocked
    ]
    add_outcomes(account, outcomes, now)


def _count(account: Account, item: Outcome) -> None:
    at = _when(item.at)
    counters = account.slice_at(item.campaign_id, at)
    esp = account.esp_for(item.campaign_id, item.esp)
    kind = item.kind
    if kind in ("sent", "hard", "soft", "blocked"):
        counters.total += 1
    if kind == "sent":
        counters.sent += 1
        esp.delivered += 1
        contact = account.contacts.get(item.contact_id)
        if contact is not None:
            contact.delivered_count += 1
    elif kind in ("hard", "soft"):
        permanent = kind == "hard"
        if permanent:
            counters.hard_bounced += 1
            esp.hard_bounced += 1
        else:
            counters.soft_bounced += 1
            esp.soft_bounced += 1
        esp.bounced += 1
        account.events.append(
            Event(
                account.new_id(),
                "bounce",
                item.campaign_id,
                item.contact_id,
                item.message_id,
                item.at,
                permanent=permanent,
            )
        )
    elif kind == "blocked":
        counters.blocked += 1
    elif kind == "open":
        counters.opened += 1
        counters.event_opened += item.count
        esp.opened += 1
        contact = account.contacts.get(item.contact_id)
        if contact is not None:
            contact.last_activity_at = max(contact.last_activity_at, item.at)
        account.events.append(
            Event(
                account.new_id(),
                "open",
                item.campaign_id,
                item.contact_id,
                item.message_id,
                item.at,
                user_agent=item.user_agent,
            )
        )
    elif kind in ("click", "click-more"):
        if kind == "click":  # a message counts as clicked once, however many links it had
            counters.clicked += 1
            esp.clicked += 1
        counters.event_clicked += item.count
        part = item.url.rpartition("/")[2]
        position = LINK_PARTS.index(part) if part in LINK_PARTS else len(LINK_PARTS)
        link = account.link_for(item.campaign_id, item.url, position)
        link.clicked_messages += 1
        link.clicked_events += item.count
        account.events.append(
            Event(
                account.new_id(),
                "click",
                item.campaign_id,
                item.contact_id,
                item.message_id,
                item.at,
                url=item.url,
                delay=120,
            )
        )
    elif kind == "unsub":
        counters.unsubscribed += 1
        esp.unsubscribed += 1
    elif kind == "spam":
        counters.spam += 1
        esp.spam += 1
