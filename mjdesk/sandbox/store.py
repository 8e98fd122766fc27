"""The sandbox's state: accounts (one per API key pair) and the records each one holds.

Records are flat dataclasses of JSON values so the whole state can be written to and read from a
JSON file without a per-type codec. Handlers hold ``Store.lock`` while they read or write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

Json = Any


def rfc3339(moment: datetime) -> str:
    """Mailjet's date form: ``2018-01-01T00:01:02Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Contact:
    """A contact (``/contact``)."""

    id: int
    email: str
    name: str = ""
    created_at: str = ""
    delivered_count: int = 0
    is_excluded: bool = False
    excluded_updated_at: str = ""
    is_opt_in_pending: bool = False
    is_spam_complaining: bool = False
    last_activity_at: str = ""
    last_update_at: str = ""
    unsubscribed_at: str = ""
    unsubscribed_by: str = ""
    anonymized: bool = False


@dataclass
class PropertyDef:
    """A contact property definition (``/contactmetadata``)."""

    id: int
    name: str
    datatype: str
    namespace: str = "static"


@dataclass
class ContactsList:
    """A contact list (``/contactslist``)."""

    id: int
    name: str
    address: str
    created_at: str = ""
    is_deleted: bool = False


@dataclass
class Membership:
    """A contact in a list (``/listrecipient``)."""

    id: int
    contact_id: int
    list_id: int
    is_unsubscribed: bool = False
    subscribed_at: str = ""
    unsubscribed_at: str = ""
    is_active: bool = True


@dataclass
class BulkJob:
    """An asynchronous ``managemanycontacts`` job; it runs on the store's clock from ``started``
    for ``seconds``, whether or not anyone polls it (resources/jobs.py)."""

    id: int
    list_id: int  # 0 for the /contact/managemanycontacts form
    payload: dict[str, Json]  # its Contacts already de-duplicated
    status: str = "Allocated"
    outcome: str = "ok"  # ok | error | noop, chosen by the faults at creation
    started: float = 0.0  # POSIX seconds on the store's clock
    seconds: float = 0.0
    job_start: str = ""
    job_end: str = ""
    count: int = 0
    error: str = ""
    error_file: str = ""
    errors: list[dict[str, Json]] = field(default_factory=list)


@dataclass
class CsvUpload:
    """CSV text uploaded with ``DATA/contactslist/{id}/CSVData/text:plain``."""

    id: int
    list_id: int
    text: str


@dataclass
class CsvImport:
    """A ``/csvimport`` job; like ``BulkJob``, it runs on the store's clock."""

    id: int
    list_id: int
    data_id: int
    method: str
    err_threshold: int = 1
    import_options: str = ""
    status: str = "Upload"
    outcome: str = "ok"
    started: float = 0.0
    seconds: float = 0.0
    count: int = 0
    current: int = 0
    errcount: int = 0
    job_start: str = ""
    job_end: str = ""
    request_at: str = ""
    alive_at: str = ""
    error_rows: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)


@dataclass
class Content:
    """The content of a draft or template (``detailcontent``)."""

    html: str = ""
    text: str = ""
    mjml: str = ""
    headers: dict[str, Json] = field(default_factory=dict)


@dataclass
class Draft:
    """A campaign draft (``/campaigndraft``)."""

    id: int
    locale: str
    sender: str
    sender_email: str
    subject: str
    list_id: int
    title: str = ""
    sender_name: str = ""
    reply_email: str = ""
    segmentation_id: int = 0
    template_id: int = 0
    edit_mode: str = "html2"
    status: int = 0
    campaign_id: int = 0
    created_at: str = ""
    modified_at: str = ""
    delivered_at: str = ""
    scheduled_at: str = ""
    used: bool = False
    content: Content = field(default_factory=Content)


@dataclass
class Template:
    """A template (``/template``)."""

    id: int
    name: str
    author: str = ""
    description: str = ""
    edit_mode: int = 2
    locale: str = "en_US"
    purposes: list[str] = field(default_factory=list)
    owner_type: str = "apikey"
    created_at: str = ""
    content: Content = field(default_factory=Content)


@dataclass
class Campaign:
    """A sent campaign (``/campaign``), created by sending a draft."""

    id: int
    subject: str
    from_email: str
    from_name: str
    list_id: int
    newsletter_id: int
    send_start_at: str = ""
    send_end_at: str = ""
    status: int = 2
    campaign_type: int = 2
    custom_value: str = ""
    created_at: str = ""
    is_deleted: bool = False
    is_starred: bool = False


@dataclass
class DayStats:
    """One campaign's counters for one hour of one day, by the time each thing happened (feeds
    ``/statcounters``: ``CounterTiming=Event`` reads them as they are, ``Message`` moves each
    campaign's counts to the hour it was sent)."""

    campaign_id: int
    day: str  # YYYY-MM-DD
    total: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    spam: int = 0
    hard_bounced: int = 0
    soft_bounced: int = 0
    blocked: int = 0
    deferred: int = 0
    queued: int = 0
    event_opened: int = 0
    event_clicked: int = 0
    hour: int = 0  # 0-23, UTC (state files from before hours were kept have everything at 0)


@dataclass
class LinkStats:
    """Clicks on one link of a campaign."""

    campaign_id: int
    url: str
    position: int
    clicked_messages: int
    clicked_events: int


@dataclass
class EspStats:
    """A campaign's results at one mailbox provider."""

    campaign_id: int
    esp: str
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    bounced: int = 0  # soft plus hard
    spam: int = 0
    unsubscribed: int = 0
    soft_bounced: int = 0
    hard_bounced: int = 0

    @property
    def attempted(self) -> int:
        """Messages handed to the provider at least once (Mailjet: blocked ones excluded)."""
        return self.delivered + self.bounced


@dataclass
class Event:
    """An open, click or bounce, as the event-log endpoints list them."""

    id: int
    kind: str  # open | click | bounce
    campaign_id: int
    contact_id: int
    message_id: int
    at: str
    user_agent: str = ""
    url: str = ""
    delay: int = 0
    permanent: bool = False


@dataclass
class Outcome:
    """Something that will happen to one message of a sent campaign at ``at`` (RFC 3339): it is
    counted (statistics, event logs) once the sandbox clock reaches it (resources/outcomes.py).

    ``kind``: sent | hard | soft | blocked | open | click (a message's first clicked link) |
    click-more (another link of it) | unsub | spam. ``count`` is the
    number of open or click events (a reader opens twice); ``url`` the link clicked.
    """

    campaign_id: int
    contact_id: int
    message_id: int
    kind: str
    at: str
    esp: str = ""
    url: str = ""
    count: int = 1
    user_agent: str = ""


@dataclass
class SentMessage:
    """A message accepted by ``/v3.1/send`` (kept for tests and the practice log)."""

    id: int
    to: str
    subject: str
    sandbox_mode: bool
    custom_id: str = ""


@dataclass
class Sender:
    """A sender address (``/sender``): one address, or ``*@domain`` for a whole domain.

    Only an ``Active`` sender (Mailjet validated it: an activation e-mail answered, or the
    domain's DNS) may send a campaign; a new one is ``Inactive`` until then.
    """

    id: int
    email: str
    name: str = ""
    status: str = "Inactive"  # Active | Inactive | Deleted
    email_type: str = "unknown"  # transactional | bulk | unknown
    is_default_sender: bool = False
    created_at: str = ""
    dns_id: int = 0

    def covers(self, address: str) -> bool:
        """Whether this sender stands for ``address`` (its own, or any at its domain)."""
        mine, wanted = self.email.lower(), address.strip().lower()
        if mine.startswith("*@"):
            return wanted.rpartition("@")[2] == mine[2:]
        return wanted == mine


@dataclass
class SentTest:
    """A draft's test sent with ``campaigndraft/{id}/test``, kept so tests can see what went."""

    draft_id: int
    recipients: list[str]
    subject: str
    sender_email: str
    html: str
    text: str
    sent_at: str


# Every new account may send from these domains, as if validated when it was set up; the seed
# adds single addresses, validated and not.
DEFAULT_SENDER_DOMAINS = ("dept.example.ac.uk", "example.org")


@dataclass
class Account:
    """The data behind one API key: a Mailjet account or sub-account."""

    api_key: str
    secret_key: str
    name: str
    key_id: int
    is_master: bool = True
    is_active: bool = True
    user_id: int = 1
    created_at: str = ""
    next_id: int = 1
    contacts: dict[int, Contact] = field(default_factory=dict)
    properties: dict[int, PropertyDef] = field(default_factory=dict)
    contact_data: dict[int, dict[str, Json]] = field(default_factory=dict)
    lists: dict[int, ContactsList] = field(default_factory=dict)
    memberships: dict[int, Membership] = field(default_factory=dict)
    bulk_jobs: dict[int, BulkJob] = field(default_factory=dict)
    csv_uploads: dict[int, CsvUpload] = field(default_factory=dict)
    csv_imports: dict[int, CsvImport] = field(default_factory=dict)
    drafts: dict[int, Draft] = field(default_factory=dict)
    templates: dict[int, Template] = field(default_factory=dict)
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    day_stats: list[DayStats] = field(default_factory=list)
    link_stats: list[LinkStats] = field(default_factory=list)
    esp_stats: list[EspStats] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sent_messages: list[SentMessage] = field(default_factory=list)
    senders: dict[int, Sender] = field(default_factory=dict)
    test_sends: list[SentTest] = field(default_factory=list)
    pending_outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Indexes, not fields: rebuilt on load, never saved.
        self._by_email: dict[str, int] = {}
        self._links: dict[tuple[int, int], int] = {}
        for contact in self.contacts.values():
            if not contact.anonymized:
                self._by_email[contact.email.lower()] = contact.id
        for link in self.memberships.values():
            self._links[(link.contact_id, link.list_id)] = link.id
        self._slices = {(s.campaign_id, s.day, s.hour): s for s in self.day_stats}
        self._esp = {(e.campaign_id, e.esp): e for e in self.esp_stats}
        self._link_stats = {(k.campaign_id, k.url): k for k in self.link_stats}

    def slice_at(self, campaign_id: int, moment: datetime) -> DayStats:
        """A campaign's counters for the hour holding ``moment`` (made when first needed)."""
        moment = moment.astimezone(UTC)
        key = (campaign_id, moment.strftime("%Y-%m-%d"), moment.hour)
        found = self._slices.get(key)
        if found is None:
            found = self._slices[key] = DayStats(campaign_id, key[1], hour=key[2])
            self.day_stats.append(found)
        return found

    def esp_for(self, campaign_id: int, esp: str) -> EspStats:
        """A campaign's counters at one mailbox provider (made when first needed)."""
        found = self._esp.get((campaign_id, esp))
        if found is None:
            found = self._esp[(campaign_id, esp)] = EspStats(campaign_id, esp)
            self.esp_stats.append(found)
        return found

    def link_for(self, campaign_id: int, url: str, position: int) -> LinkStats:
        """Clicks on one link of a campaign (made when first clicked)."""
        found = self._link_stats.get((campaign_id, url))
        if found is None:
            found = LinkStats(campaign_id, url, position, 0, 0)
            self._link_stats[(campaign_id, url)] = found
            self.link_stats.append(found)
        return found

    def new_id(self) -> int:
        """The next free ID; one counter for all of the account's objects keeps them distinct."""
        value = self.next_id
        self.next_id += 1
        return value

    def add_contact(self, contact: Contact) -> None:
        """Store a new contact."""
        self.contacts[contact.id] = contact
        self._by_email[contact.email.lower()] = contact.id

    def anonymize(self, contact: Contact, email: str) -> None:
        """Replace a contact's address (GDPR delete); the old address becomes free again."""
        self._by_email.pop(contact.email.lower(), None)
        contact.email = email
        contact.anonymized = True

    def find_contact(self, key: str) -> Contact | None:
        """A contact by numeric ID or (case-insensitive) email."""
        if key.isdigit():
            return self.contacts.get(int(key))
        found = self._by_email.get(key.strip().lower())
        return None if found is None else self.contacts.get(found)

    def find_list(self, key: str) -> ContactsList | None:
        """A list by numeric ID or name."""
        if key.isdigit():
            return self.lists.get(int(key))
        for item in self.lists.values():
            if item.name == key and not item.is_deleted:
                return item
        return None

    def membership(self, contact_id: int, list_id: int) -> Membership | None:
        """The link between a contact and a list, if any."""
        found = self._links.get((contact_id, list_id))
        return None if found is None else self.memberships.get(found)

    def add_membership(self, link: Membership) -> None:
        """Store a new contact-list link."""
        self.memberships[link.id] = link
        self._links[(link.contact_id, link.list_id)] = link.id

    def drop_membership(self, link: Membership) -> None:
        """Delete a contact-list link."""
        self.memberships.pop(link.id, None)
        self._links.pop((link.contact_id, link.list_id), None)

    def add_sender(self, email: str, status: str, *, name: str = "", stamp: str = "") -> Sender:
        """Store a new sender address (or ``*@domain``) with its validation status."""
        # Numbered apart from the shared counter, so the senders every account starts with
        # leave its lists' and contacts' IDs as they were.
        sender = Sender(max(self.senders, default=0) + 1, email, name, status, created_at=stamp)
        self.senders[sender.id] = sender
        return sender

    def sender_is_active(self, address: str) -> bool:
        """Whether a validated (``Active``) sender covers ``address``."""
        return any(s.status == "Active" and s.covers(address) for s in self.senders.values())

    def property_named(self, name: str) -> PropertyDef | None:
        """A property definition by name (case-insensitive, as Mailjet matches them)."""
        wanted = name.lower()
        for item in self.properties.values():
            if item.name.lower() == wanted:
                return item
        return None


@dataclass
class Options:
    """Behaviour switches where Mailjet's behaviour is unconfirmed (mailjet-api.md).

    A bulk job or CSV import takes ``job_seconds`` plus one second per ``job_rows_per_second``
    contacts or rows (0: no time per row); both 0 make jobs finish as they are created, which fast
    tests want. How fast Mailjet really is: UNCONFIRMED (mailjet-api.md §5 says a run can take
    hours), so the defaults only make the progress visible in practice.
    """

    gdpr_delete_leaves_lists: bool = True
    require_unsub_link: bool = False
    job_seconds: float = 1.0
    job_rows_per_second: float = 20_000.0

    def job_duration(self, rows: int) -> float:
        """How long a job over ``rows`` contacts or CSV rows runs."""
        per_row = rows / self.job_rows_per_second if self.job_rows_per_second > 0 else 0.0
        return max(0.0, self.job_seconds) + per_row

    def finish_jobs_at_once(self) -> None:
        """Make jobs complete as they are created (fast tests)."""
        self.job_seconds = 0.0
        self.job_rows_per_second = 0.0


_ACCOUNT_TABLES: dict[str, type[Any]] = {
    "contacts": Contact,
    "properties": PropertyDef,
    "lists": ContactsList,
    "memberships": Membership,
    "bulk_jobs": BulkJob,
    "csv_uploads": CsvUpload,
    "csv_imports": CsvImport,
    "drafts": Draft,
    "templates": Template,
    "campaigns": Campaign,
    "senders": Sender,
}
_ACCOUNT_LISTS: dict[str, type[Any]] = {
    "day_stats": DayStats,
    "link_stats": LinkStats,
    "esp_stats": EspStats,
    "events": Event,
    "sent_messages": SentMessage,
    "test_sends": SentTest,
    "pending_outcomes": Outcome,
}
_WITH_CONTENT = (Draft, Template)

T = TypeVar("T")


def _known_fields(cls: type[Any], raw: dict[str, Json]) -> dict[str, Json]:
    # State files from older sandboxes may carry fields that are gone (a job's pending_states).
    names = {item.name for item in dataclasses.fields(cls)}
    return {key: value for key, value in raw.items() if key in names}


def _record(cls: type[T], raw: dict[str, Json]) -> T:
    raw = _known_fields(cls, raw)
    if cls in _WITH_CONTENT:
        raw["content"] = Content(**raw.get("content", {}))
    return cls(**raw)


def account_to_json(account: Account) -> dict[str, Json]:
    """An account as plain JSON values."""
    return dataclasses.asdict(account)


def account_from_json(raw: dict[str, Json]) -> Account:
    """The inverse of ``account_to_json``."""
    values = dict(raw)
    defaults_needed = "senders" not in values  # a state file from before /sender existed
    for name, cls in _ACCOUNT_TABLES.items():
        values[name] = {int(key): _record(cls, row) for key, row in values.get(name, {}).items()}
    for name, cls in _ACCOUNT_LISTS.items():
        values[name] = [_record(cls, row) for row in values.get(name, [])]
    values["contact_data"] = {int(key): row for key, row in values.get("contact_data", {}).items()}
    account = Account(**values)
    if defaults_needed:
        add_default_senders(account, account.created_at)
    return account


def add_default_senders(account: Account, stamp: str) -> None:
    """The validated domains every practice account starts with (``DEFAULT_SENDER_DOMAINS``)."""
    for domain in DEFAULT_SENDER_DOMAINS:
        account.add_sender(f"*@{domain}", "Active", stamp=stamp)


def practice_key(label: str) -> tuple[str, str]:
    """A deterministic practice key pair (32 hex characters each, like Mailjet's)."""
    key = hashlib.sha256(f"mjdesk-practice-key:{label}".encode()).hexdigest()[:32]
    secret = hashlib.sha256(f"mjdesk-practice-secret:{label}".encode()).hexdigest()[:32]
    return key, secret


class Store:
    """All accounts, keyed by API key, behind one lock."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.options = Options()
        self._now = now or (lambda: datetime.now(UTC))
        self._skipped = 0.0
        self.next_key_id = 1

    def now(self) -> datetime:
        """The sandbox clock (injectable for tests, and moved on by ``advance``)."""
        return self._now() + timedelta(seconds=self._skipped)

    def seconds(self) -> float:
        """The sandbox clock as POSIX seconds (jobs are timed with it)."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        """Move the clock on, as if that much time had passed (tests of running jobs)."""
        with self.lock:
            self._skipped += seconds

    def stamp(self) -> str:
        """The current time in Mailjet's form."""
        return rfc3339(self.now())

    def add_account(
        self, name: str, api_key: str, secret_key: str, *, is_master: bool = True
    ) -> Account:
        """Register a key pair with its own, empty data."""
        with self.lock:
            account = Account(
                api_key=api_key,
                secret_key=secret_key,
                name=name,
                key_id=self.next_key_id,
                is_master=is_master,
                created_at=self.stamp(),
            )
            add_default_senders(account, account.created_at)
            self.next_key_id += 1
            self.accounts[api_key] = account
            return account

    def authenticate(self, api_key: str, secret_key: str) -> Account | None:
        """The account for an active key pair, or None."""
        account = self.accounts.get(api_key)
        if account is None or not account.is_active or account.secret_key != secret_key:
            return None
        return account

    def to_json(self) -> dict[str, Json]:
        """The whole state as JSON values."""
        with self.lock:
            return {
                "format": 1,
                "next_key_id": self.next_key_id,
                "options": dataclasses.asdict(self.options),
                "accounts": [account_to_json(item) for item in self.accounts.values()],
            }

    def load_json(self, raw: dict[str, Json]) -> None:
        """Replace the state with one written by ``to_json``."""
        with self.lock:
            self.next_key_id = int(raw.get("next_key_id", 1))
            self.options = Options(**_known_fields(Options, raw.get("options", {})))
            self.accounts = {}
            for item in raw.get("accounts", []):
                account = account_from_json(item)
                self.accounts[account.api_key] = account

    def save(self, path: Path) -> None:
        """Write the state atomically (temp file, then replace)."""
        text = json.dumps(self.to_json())
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def load(self, path: Path) -> None:
        """Read a state file written by ``save``."""
        self.load_json(json.loads(path.read_text(encoding="utf-8")))
