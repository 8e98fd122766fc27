"""Deterministic practice data: a department account with lists, ~5,000 contacts, most of a year
of sent campaigns whose statistics add up, drafts and templates; and an empty events sub-account.

Everything is dated relative to the sandbox clock's today: the newest campaigns were sent in the
last 30 days, and their opens and clicks keep arriving over the following days. Every counter is
derived from per-message outcomes (resources/outcomes.py), so statcounters, link clicks,
mailbox providers and the event logs agree with each other.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from mjdesk.sandbox.resources.lists import apply_action, create_list
from mjdesk.sandbox.resources.outcomes import add_outcomes, draw_outcomes
from mjdesk.sandbox.resources.properties import define_property
from mjdesk.sandbox.store import (
    Account,
    Campaign,
    Contact,
    Content,
    Draft,
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
CAMPAIGNS = 12
CAMPAIGN_EVERY_DAYS = 25.0
"""The seed's campaigns: the newest 3 days before today, one every 25 days before it (so two
fall in the last 30 days, which a statistics refresh reads again)."""
LONG_HISTORY_EVERY_DAYS = 1.4
"""Campaigns this many days apart put 20 in the last 30 days (``--campaigns 500``: the
statistics benchmarks' history)."""
OPENS_SPREAD = timedelta(days=14)
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


def seed_department(
    store: Store,
    account: Account,
    now: datetime,
    *,
    campaigns: int = CAMPAIGNS,
    every_days: float = CAMPAIGN_EVERY_DAYS,
    contacts: int = 5000,
) -> None:
    """Fill an account with the practice data (deterministic for a given ``now``): ``campaigns``
    sent ones, the newest 3 days before ``now``, one every ``every_days`` days before it."""
    rng = random.Random(20240901)
    start = now - timedelta(days=400)
    stamp = rfc3339(start)
    for name, kind in (("firstname", "str"), ("lastname", "str"), ("department", "str")):
        define_property(account, name, kind, "static")
    lists = [
        create_list(account, name, stamp)
        for name in ("Department newsletter", "Seminar series", "Alumni")
    ]
    people = _contacts(account, rng, start, contacts)
    shares = (0.8, 0.3, 0.25)
    for contact in people:
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
    members = {
        item.id: [
            account.contacts[m.contact_id]
            for m in account.memberships.values()
            if m.list_id == item.id
            and not m.is_unsubscribed
            and not account.contacts[m.contact_id].is_excluded
        ]
        for item in lists
    }
    for number in range(campaigns):
        back = timedelta(days=3 + (campaigns - 1 - number) * every_days)
        sent = (now - back).replace(hour=9, minute=0, second=0, microsecond=0)
        target = lists[0] if number % 3 else lists[number % 2 + 1]
        subject = f"{sent:%d %B %Y}: news from the department"
        draft = Draft(
            account.new_id(),
            "en_GB",
            "Department of Example Studies",
            SENDER,
            subject,
            target.id,
            title=f"Newsletter {sent:%Y-%m-%d}",
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
        outcomes = draw_outcomes(account, rng, campaign, members[target.id], spread=OPENS_SPREAD)
        add_outcomes(account, outcomes, now)
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


def seeded_store(
    now: datetime | None = None,
    *,
    campaigns: int = CAMPAIGNS,
    every_days: float = CAMPAIGN_EVERY_DAYS,
    contacts: int = 5000,
) -> Store:
    """A store with the practice accounts: the seeded department and an empty sub-account,
    dated relative to ``now`` (by default the store's clock: today)."""
    store = Store()
    moment = now or store.now()
    key, secret = practice_key("department")
    department = store.add_account("Department (practice)", key, secret)
    department.created_at = rfc3339(moment - timedelta(days=800))
    seed_department(
        store, department, moment, campaigns=campaigns, every_days=every_days, contacts=contacts
    )
    sub_key, sub_secret = practice_key("events")
    store.add_account("Events sub-account (practice)", sub_key, sub_secret, is_master=False)
    return store
