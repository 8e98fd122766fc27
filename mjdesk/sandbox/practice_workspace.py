"""The practice profile's workspace, filled once when it is made: the sandbox's department
contacts with their lists, as a department would hold them locally, and every case the
consent review is for, so it can be tried without an account.

Most contacts have a current consent with its proof (a sign-up file, its wording). Some
withdrew, some consented so long ago that the consent is stale, some have no consent at
all, some have a record without its wording; and a few addresses are added beside the
sandbox's: the same Gmail mailbox written with dots or a +tag, an address one letter from
another, misspelt domains, role addresses and one that is not an address. Deterministic
for a given ``now`` (the consent dates are counted back from it, so staleness holds). No Qt.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import UTC, datetime, timedelta

from mjdesk.core.addresses import email_key
from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts, record_consent
from mjdesk.core.flags import refresh_flags
from mjdesk.core.journal import record_activity
from mjdesk.core.workspace import Workspace
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.store import Account

ACTOR = "practice data"
#: the organisation's own domains in the practice data (never typos of a popular one)
ORG_DOMAINS = ("york.ac.uk", "dept.example.ac.uk")
SIGN_UPS = (
    ("Open day sign-ups.xlsx", "Yes, send me the department newsletter."),
    ("Seminar registrations.csv", "Keep me posted about the seminar series."),
    ("Alumni reunion form.xlsx", "I would like to hear from the department as an alumnus."),
)
#: the share of the sandbox's contacts in each case (the rest consented recently)
SHARES = {"withdrawn": 0.04, "stale": 0.10, "none": 0.03, "no_wording": 0.03}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha(name: str) -> str:
    """A stand-in for the sign-up file's SHA-256 (the file itself is made up)."""
    return hashlib.sha256(f"mjdesk practice file: {name}".encode()).hexdigest()


def _granted(rng: random.Random, at: datetime, *, wording: bool = True) -> ConsentRecord:
    name, words = rng.choice(SIGN_UPS)
    return ConsentRecord(
        "granted",
        _stamp(at),
        name,
        _sha(name),
        "Sheet1" if name.endswith(".xlsx") else None,
        rng.randrange(2, 400),
        words if wording else None,
    )


def fill_practice_workspace(workspace: Workspace, *, now: datetime | None = None) -> int:
    """Fill a new, empty practice workspace (see the module notes) and compute its flags;
    returns how many contacts it holds."""
    now = now or datetime.now(UTC)
    rng = random.Random(1310)
    account = next(iter(seeded_store().accounts.values()))
    people: list[NewContact] = []
    cases: list[str] = []
    for contact in account.contacts.values():
        data = account.contact_data.get(contact.id, {})
        properties = {"department": str(data["department"])} if "department" in data else {}
        roll, case = rng.random(), "current"
        for name, share in SHARES.items():
            if roll < share:
                case = name
                break
            roll -= share
        months = rng.randrange(26, 48) if case == "stale" else rng.randrange(1, 20)
        given = now - timedelta(days=months * 30 + rng.randrange(0, 28))
        consent = None if case == "none" else _granted(rng, given, wording=case != "no_wording")
        people.append(
            NewContact(
                contact.email,
                str(data.get("firstname", "")),
                str(data.get("lastname", "")),
                properties,
                consent,
            )
        )
        cases.append(case)
    people += _look_alikes(rng, people, now)
    with workspace.transaction() as con:
        add_contacts(con, people, actor=ACTOR)
        con.execute(
            "INSERT OR IGNORE INTO property_types (name, datatype) VALUES ('department', 'str')"
        )
        for case, (contact_id,) in zip(
            cases, con.execute("SELECT id FROM contacts ORDER BY id").fetchall(), strict=False
        ):
            if case == "withdrawn":
                later = now - timedelta(days=rng.randrange(1, 25))
                record_consent(
                    con,
                    contact_id,
                    ConsentRecord(
                        "withdrawn", _stamp(later), wording="Asked by e-mail to be removed."
                    ),
                    ACTOR,
                )
        _lists(con, account, now)
        refresh_flags(con, org_domains=ORG_DOMAINS)
        total = int(con.execute("SELECT count(*) FROM contacts").fetchone()[0])
        record_activity(
            con,
            actor=ACTOR,
            action="practice",
            summary=f"Practice data: {total:,} made-up contacts",
            count=total,
        )
    return total


def _look_alikes(rng: random.Random, people: list[NewContact], now: datetime) -> list[NewContact]:
    """Addresses beside the sandbox's that the review must catch: the same Gmail mailbox
    (dots, a +tag), one letter off at the same domain, the same person at a second
    address, misspelt domains, role addresses, and one that is no address."""
    gmail = [p for p in people if p.email.endswith("@gmail.com")][:3]
    york = [p for p in people if p.email.endswith("@york.ac.uk")][:2]
    at = now - timedelta(days=90)

    def like(person: NewContact, email: str) -> NewContact:
        return NewContact(email, person.first_name, person.last_name, consent=_granted(rng, at))

    made = [
        like(gmail[0], gmail[0].email.split("@")[0].replace(".", "") + "@gmail.com"),
        like(gmail[1], gmail[1].email.replace("@", "+newsletter@")),
        like(gmail[2], gmail[2].email.replace("@gmail.com", "@googlemail.com")),
        like(york[0], york[0].email.replace(".", "", 1)),  # one letter (the dot) fewer
        like(york[1], york[1].email.replace("@york.ac.uk", "@outlook.com")),
    ]
    for local, domain in (("sam.okafor", "gmial.com"), ("leila.khan", "hotmial.co.uk")):
        first, last = (word.capitalize() for word in local.split("."))
        made.append(NewContact(f"{local}@{domain}", first, last, consent=_granted(rng, at)))
    for local in ("office", "info", "enquiries"):
        made.append(NewContact(f"{local}@dept.example.ac.uk", consent=_granted(rng, at)))
    made.append(NewContact("ravi.jones at york.ac.uk", "Ravi", "Jones", consent=_granted(rng, at)))
    return made


def _lists(con: sqlite3.Connection, account: Account, now: datetime) -> None:
    """The sandbox's lists as local lists, with the same members (unsubscribed ones
    marked so); never synced yet."""
    ids = dict(con.execute("SELECT email_key, id FROM contacts"))
    made = _stamp(now - timedelta(days=400))
    local: dict[int, int] = {}
    for item in account.lists.values():
        cursor = con.execute(
            "INSERT INTO lists (name, created_at) VALUES (?, ?)", (item.name, made)
        )
        local[item.id] = int(cursor.lastrowid or 0)
    con.executemany(
        "INSERT INTO memberships (contact_id, list_id, status, added_at) VALUES (?, ?, ?, ?)",
        [
            (
                ids[email_key(account.contacts[m.contact_id].email)],
                local[m.list_id],
                "unsubscribed" if m.is_unsubscribed else "subscribed",
                made,
            )
            for m in account.memberships.values()
            if m.list_id in local
        ],
    )
