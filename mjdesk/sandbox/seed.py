"""Deterministic practice data: a department account with lists, ~5,000 contacts, a year of sent
campaigns whose statistics add up, drafts and templates; and an empty events sub-account.

Every counter is derived from per-recipient outcomes, so statcounters, link clicks, mailbox
providers and the event logs agree with each other.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from mjdesk.sandbox.resources.lists import apply_action, create_list
from mjdesk.sandbox.resources.properties import define_property
from mjdesk.sandbox.store import (
    Account,
    Campaign,
    Contact,
    Content,
    DayStats,
    Draft,
    EspStats,
    Event,
    LinkStats,
    Store,
    Template,
    practice_key,
    rfc3339,
)

SENDER = "newsletter@dept.example.ac.uk"
UNVALIDATED_SENDER = "events@partner.example.net"
"""A sender the department added but never validated: its draft cannot be tested or sent."""
FIRST = [
    "Alex",
    "Sam",
    "Priya",
    "Chen",
    "Fatima",
    "Olu",
    "Maria",
    "Jonas",
    "Aoife",
    "Tomasz",
    "Yuki",
    "Leila",
    "Ben",
    "Hannah",
    "Kwame",
    "Zoë",
    "Mateo",
    "Ines",
    "Ravi",
    "Siobhan",
    "Amara",
    "Bilal",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farah",
    "Gabriel",
    "Hiro",
    "Isla",
    "Jamal",
    "Katya",
    "Liam",
    "Mei",
    "Nadia",
    "Omar",
    "Paula",
    "Quentin",
    "Rosa",
    "Saanvi",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Aaron",
    "Beatriz",
    "Callum",
    "Dalia",
    "Emeka",
    "Freya",
    "Gideon",
    "Hana",
    "Ibrahim",
    "Jana",
    "Kofi",
    "Lucia",
    "Marek",
    "Niamh",
    "Oscar",
    "Pilar",
    "Rahul",
    "Sofia",
    "Theo",
    "Ulla",
    "Vera",
    "Wojciech",
    "Yara",
    "Zain",
    "Anouk",
    "Bruno",
    "Carmen",
    "Dara",
]
# Enough names that every contact has a name of its own (namesakes are rare in a
# department), drawn without repeats; the practice workspace adds a few on purpose.
LAST = [
    "Smith",
    "Patel",
    "Wang",
    "Okafor",
    "García",
    "Müller",
    "Kowalski",
    "Murphy",
    "Tanaka",
    "Haddad",
    "Jones",
    "Nguyen",
    "Brown",
    "Ivanova",
    "Mensah",
    "O'Brien",
    "Rossi",
    "Khan",
    "Adeyemi",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Gallagher",
    "Horvat",
    "Ibáñez",
    "Jensen",
    "Kaur",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Ortega",
    "Petrov",
    "Quinn",
    "Reyes",
    "Sato",
    "Torres",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Abbott",
    "Bianchi",
    "Campbell",
    "Dimitrov",
    "Evans",
    "Fontaine",
    "Grant",
    "Hughes",
    "Iyer",
    "Jovanović",
    "Kim",
    "Lambert",
    "Martins",
    "Nowak",
    "Olsen",
    "Park",
    "Rahman",
    "Schmidt",
    "Takahashi",
    "Usman",
    "Vogel",
    "Wright",
    "Young",
    "Zielinski",
]
DOMAINS = [
    ("gmail.com", "Gmail", 30),
    ("outlook.com", "Outlook", 18),
    ("york.ac.uk", "York", 20),
    ("yahoo.co.uk", "Yahoo", 8),
    ("icloud.com", "Apple", 10),
    ("hotmail.co.uk", "Outlook", 8),
    ("proton.me", "Proton", 6),
]
USER_AGENTS = ["Mozilla/5.0 (iPhone)", "Mozilla/5.0 (Windows NT 10.0)", "Apple Mail", "Outlook"]
UNSUB = "[[UNSUB_LINK_EN]]"


def _html(body: str, unsub: bool = True) -> str:
    footer = f'<p><a href="{UNSUB}">Unsubscribe</a></p>' if unsub else ""
    return f'<html><body><p>Hello {{{{data:firstname:"there"}}}},</p>{body}{footer}</body></html>'


def _text(body: str, unsub: bool = True) -> str:
    return f'Hello {{{{data:firstname:"there"}}}},\n\n{body}\n' + (
        f"\nUnsubscribe: {UNSUB}\n" if unsub else ""
    )


def _contacts(account: Account, rng: random.Random, start: datetime, count: int) -> list[Contact]:
    names = [d for d, _, w in DOMAINS for _ in range(w)]
    made = []
    pairs = rng.sample(range(len(FIRST) * len(LAST)), count)
    for number in range(count):
        first, last = FIRST[pairs[number] % len(FIRST)], LAST[pairs[number] // len(FIRST)]
        plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        local = plain.decode().lower().replace("'", "")
        email = f"{local}{number}@{rng.choice(names)}"
        created = rfc3339(start + timedelta(minutes=number * 97))
        contact = Contact(
            account.new_id(), email, f"{first} {last}", created, last_update_at=created
        )
        contact.is_excluded = rng.random() < 0.01
        if contact.is_excluded:
            contact.excluded_updated_at = created
        account.add_contact(contact)
        data: dict[str, object] = {"firstname": first, "lastname": last}
        if rng.random() < 0.3:  # most contacts lack it: the draft that uses it shows the gap
            data["department"] = rng.choice(["History", "Chemistry", "Music", "Law"])
        account.contact_data[contact.id] = data
        made.append(contact)
    return made


def _campaign_stats(
    account: Account,
    rng: random.Random,
    campaign: Campaign,
    recipients: list[Contact],
    sent: datetime,
) -> None:
    links = [
        f"https://dept.example.ac.uk/news/{campaign.id}/{part}"
        for part in ("story", "events", "apply")
    ]
    days: dict[str, DayStats] = {}
    link_messages: Counter[str] = Counter()
    link_events: Counter[str] = Counter()
    esp: dict[str, Counter[str]] = defaultdict(Counter)
    provider = {d: name for d, name, _ in DOMAINS}

    def day(offset: int) -> DayStats:
        key = (sent + timedelta(days=offset)).strftime("%Y-%m-%d")
        if key not in days:
            days[key] = DayStats(campaign.id, key)
        return days[key]

    for contact in recipients:
        message_id = account.new_id()
        mailbox = provider.get(contact.email.rpartition("@")[2], "Other")
        first = day(0)
        first.total += 1
        roll = rng.random()
        if roll < 0.012:
            first.hard_bounced += 1
            esp[mailbox]["bounced"] += 1
            account.events.append(
                Event(
                    account.new_id(),
                    "bounce",
                    campaign.id,
                    contact.id,
                    message_id,
                    rfc3339(sent),
                    permanent=True,
                )
            )
            continue
        if roll < 0.02:
            first.soft_bounced += 1
            esp[mailbox]["bounced"] += 1
            account.events.append(
                Event(
                    account.new_id(), "bounce", campaign.id, contact.id, message_id, rfc3339(sent)
                )
            )
            continue
        if roll < 0.023:
            first.blocked += 1
            continue
        first.sent += 1
        contact.delivered_count += 1
        esp[mailbox]["delivered"] += 1
        if rng.random() < 0.38:
            offset = min(int(rng.expovariate(0.9)), 13)
            opened_at = sent + timedelta(days=offset, minutes=rng.randrange(1, 600))
            slot = day(offset)
            slot.opened += 1
            slot.event_opened += 1 + (rng.random() < 0.3)
            esp[mailbox]["opened"] += 1
            contact.last_activity_at = max(contact.last_activity_at, rfc3339(opened_at))
            account.events.append(
                Event(
                    account.new_id(),
                    "open",
                    campaign.id,
                    contact.id,
                    message_id,
                    rfc3339(opened_at),
                    user_agent=rng.choice(USER_AGENTS),
                )
            )
            if rng.random() < 0.3:
                slot.clicked += 1
                esp[mailbox]["clicked"] += 1
                chosen = rng.sample(links, rng.choice((1, 1, 1, 2)))
                for url in chosen:
                    link_messages[url] += 1
                    clicks = 1 + (rng.random() < 0.2)
                    link_events[url] += clicks
                    slot.event_clicked += clicks
                    account.events.append(
                        Event(
                            account.new_id(),
                            "click",
                            campaign.id,
                            contact.id,
                            message_id,
                            rfc3339(opened_at + timedelta(minutes=2)),
                            url=url,
                            delay=120,
                        )
                    )
            if rng.random() < 0.006:
                slot.unsubscribed += 1
                esp[mailbox]["unsubscribed"] += 1
            if rng.random() < 0.0008:
                slot.spam += 1
                esp[mailbox]["spam"] += 1
    account.day_stats.extend(days[key] for key in sorted(days))
    for position, url in enumerate(links):
        account.link_stats.append(
            LinkStats(campaign.id, url, position, link_messages[url], link_events[url])
        )
    for name in sorted(esp):
        counts = esp[name]
        account.esp_stats.append(
            EspStats(
                campaign.id,
                name,
                counts["delivered"],
                counts["opened"],
                counts["clicked"],
                counts["bounced"],
                counts["spam"],
                counts["unsubscribed"],
            )
        )


TEMPLATES = [
    (
        "Monthly newsletter",
        "Newsletter layout with a lead story",
        '<h1>{{var:headline:"This month"}}</h1>',
    ),
    (
        "Event invitation",
        "Invite with date and place",
        '<p>Join us on {{var:date:"a date to be announced"}}.</p>',
    ),
    (
        "Seminar reminder",
        "Reminder the day before",
        "{% if var:room %}<p>Room {{var:room}}</p>{% else %}<p>Room to follow.</p>{% endif %}",
    ),
    ("Alumni update", "Twice-yearly alumni letter", '<p>Dear [[data:firstname:"graduate"]],</p>'),
    (
        "Welcome",
        "Sent to new sign-ups",
        '<p>Thanks for signing up, {{data:firstname:"friend"}}.</p>',
    ),
    (
        "Reading list",
        "A list of books, one line each",
        "<ul>{% for book in var:books %}<li>{{book.title}}</li>{% endfor %}</ul>"
        "<p>Chosen by [[var:curator]].</p>",
    ),
]

# Drafts waiting to be sent, each showing something the preview must handle: the bracket
# styles, defaults, blocks, a property most contacts lack, a missing unsubscribe link, a
# syntax error, an unvalidated sender. (title, body, list index, unsubscribe link, sender)
WAITING_DRAFTS = [
    ("Spring open day", "<p>Come to our open day.</p>", 0, True, SENDER),
    ("Seminar: term programme", "<p>The seminar programme.</p>", 1, True, SENDER),
    ("Alumni reunion (no unsubscribe link)", "<p>Reunion news.</p>", 2, False, SENDER),
    (
        "News for your department",
        '<p>News for {{data:department:""}} colleagues.</p>',
        0,
        True,
        SENDER,
    ),
    (
        "Seminar series: this term",
        "{% if data:department %}<p>Talks for [[data:department]].</p>"
        "{% elseif data:lastname %}<p>Talks for the [[data:lastname]] family.</p>"
        "{% else %}<p>Talks for everyone.</p>{% endif %}"
        "<ul>{% for talk in var:talks %}<li>{{talk.title}}</li>{% endfor %}</ul>"
        '<p>Signed, [[var:organiser:"the seminar team"]]</p>',
        1,
        True,
        SENDER,
    ),
    (
        "Welcome back (syntax error)",
        "{% if data:department %}<p>Welcome back to {{data:department}}.</p>",
        0,
        True,
        SENDER,
    ),
    (
        "Partner event (sender not validated)",
        "<p>Our partner's event.</p>",
        0,
        True,
        UNVALIDATED_SENDER,
    ),
]


def _senders(account: Account, stamp: str) -> None:
    """Besides the validated domains every account has: the newsletter's own address, a
    partner's never validated, and one deleted."""
    account.add_sender(SENDER, "Active", name="Department of Example Studies", stamp=stamp)
    account.add_sender(UNVALIDATED_SENDER, "Inactive", name="Partner events", stamp=stamp)
    account.add_sender("old-news@archive.example.net", "Deleted", stamp=stamp)


def seed_department(store: Store, account: Account, now: datetime) -> None:
    """Fill an account with the practice data (deterministic for a given ``now``)."""
    rng = random.Random(20240901)
    start = now - timedelta(days=400)
    stamp = rfc3339(start)
    for name, kind in (("firstname", "str"), ("lastname", "str"), ("department", "str")):
        define_property(account, name, kind, "static")
    lists = [
        create_list(account, name, stamp)
        for name in ("Department newsletter", "Seminar series", "Alumni")
    ]
    contacts = _contacts(account, rng, start, 5000)
    shares = (0.8, 0.3, 0.25)
    for contact in contacts:
        for item, share in zip(lists, shares, strict=True):
            if rng.random() < share:
                apply_action(account, contact, item.id, "addnoforce", contact.created_at)
                if rng.random() < 0.06:
                    # Never before the subscription it ends (RFC 3339 in UTC sorts as text).
                    stamp_left = max(
                        rfc3339(now - timedelta(days=rng.randrange(1, 300))),
                        rfc3339(datetime.fromisoformat(contact.created_at) + timedelta(days=1)),
                    )
                    apply_action(account, contact, item.id, "unsub", stamp_left)
                    # The contact's own UnsubscribedAt/By go together: the latest time it left
                    # a list, and who did it. What Mailjet fills them with is UNCONFIRMED.
                    contact.unsubscribed_at = max(contact.unsubscribed_at, stamp_left)
                    contact.unsubscribed_by = "contact"
        if rng.random() < 0.004:
            contact.is_spam_complaining = True
    for month in range(12):
        sent = (now - timedelta(days=365 - month * 30)).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        target = lists[0] if month % 3 else lists[month % 2 + 1]
        subject = f"{sent:%B %Y}: news from the department"
        draft = Draft(
            account.new_id(),
            "en_GB",
            "Department of Example Studies",
            SENDER,
            subject,
            target.id,
            title=f"Newsletter {sent:%Y-%m}",
            sender_name="Department of Example Studies",
            created_at=rfc3339(sent - timedelta(days=3)),
            modified_at=rfc3339(sent - timedelta(days=1)),
            content=Content(_html("<p>Our news.</p>"), _text("Our news.")),
        )
        campaign = Campaign(
            account.new_id(),
            subject,
            SENDER,
            "Department of Example Studies",
            target.id,
            draft.id,
            send_start_at=rfc3339(sent),
            send_end_at=rfc3339(sent + timedelta(minutes=20)),
            custom_value=f"mj.nl={draft.id}",
            created_at=rfc3339(sent),
        )
        draft.status, draft.campaign_id, draft.delivered_at, draft.used = (
            2,
            campaign.id,
            rfc3339(sent),
            True,
        )
        account.drafts[draft.id] = draft
        account.campaigns[campaign.id] = campaign
        recipients = [
            account.contacts[m.contact_id]
            for m in account.memberships.values()
            if m.list_id == target.id
            and not m.is_unsubscribed
            and not account.contacts[m.contact_id].is_excluded
        ]
        _campaign_stats(account, rng, campaign, recipients, sent)
    for name, description, body in TEMPLATES:
        template = Template(
            account.new_id(),
            name,
            "Practice",
            description,
            2,
            "en_GB",
            ["marketing"],
            created_at=stamp,
            content=Content(
                _html(body),
                _text(name),
                headers={
                    "From": f'"Department" <{SENDER}>',
                    "Subject": name,
                    "Reply-To": "office@dept.example.ac.uk",
                },
            ),
        )
        account.templates[template.id] = template
    for title, body, list_index, unsub, sender in WAITING_DRAFTS:
        draft = Draft(
            account.new_id(),
            "en_GB",
            "Department of Example Studies",
            sender,
            title,
            lists[list_index].id,
            title=title,
            sender_name="Department of Example Studies",
            reply_email="office@dept.example.ac.uk" if list_index == 1 else "",
            created_at=rfc3339(now - timedelta(days=2)),
            modified_at=rfc3339(now - timedelta(days=1)),
            content=Content(_html(body, unsub), _text(title, unsub)),
        )
        account.drafts[draft.id] = draft
    _senders(account, stamp)


def seeded_store(now: datetime | None = None) -> Store:
    """A store with the practice accounts: the seeded department and an empty sub-account."""
    moment = now or datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    store = Store()
    key, secret = practice_key("department")
    department = store.add_account("Department (practice)", key, secret)
    department.created_at = rfc3339(moment - timedelta(days=800))
    seed_department(store, department, moment)
    sub_key, sub_secret = practice_key("events")
    store.add_account("Events sub-account (practice)", sub_key, sub_secret, is_master=False)
    return store
