"""Sync as a property (hypothesis): a handful of people in random local and Mailjet states,
a random sequence of faults, then pull, push (resumed after each stop), pull again, until a
push is verified; whatever the states and faults:

1. nobody unsubscribed from the list in Mailjet before is subscribed after, nobody
   excluded there is included again;
2. every consented, valid, unblocked member here is subscribed in the Mailjet list;
3. no contact, consent record or field here is lost (but the erased);
4. consent withdrawn here means not subscribed in Mailjet;
5. an erased person is anonymised in Mailjet and gone from here.

The sandbox runs once for the module; each example has an account and a workspace of its
own. Requests go through the real client, and no request body may carry ``addforce``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.edits import add_to_list, withdraw_consent
from mjdesk.core.erasure import erase_address
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.errors import MailjetError
from mjdesk.mailjet.pushing import Pace, PushStopped, push_list
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.mailjet.syncing import pull_list
from mjdesk.sandbox.faults import FaultKind
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import Account, Campaign, Contact, ContactsList, Event, Membership

LIST = "News"
STAMP = "2026-01-02T03:04:05Z"
ROUNDS = 8
"""Pushes (each a pull, then a push resumed after every stop) before giving up."""


@dataclass(frozen=True)
class Person:
    consent: str  # granted | withdrawn | none | stale
    on_list_here: bool
    remote: str  # absent | subscribed | unsubscribed (in the Mailjet list)
    excluded: bool
    spam: bool
    bounced: bool
    erased: bool

    def email(self, n: int) -> str:
        return f"person{n}@york.ac.uk"


people = st.builds(
    Person,
    consent=st.sampled_from(["granted", "withdrawn", "none", "stale"]),
    on_list_here=st.booleans(),
    remote=st.sampled_from(["absent", "subscribed", "unsubscribed"]),
    excluded=st.booleans(),
    spam=st.booleans(),
    bounced=st.booleans(),
    erased=st.booleans(),
)

WRITE_PATHS = ["managemanycontacts", "CSVData", "csvimport", "contactmetadata", "v4/contacts"]
faults = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["429", "503", "drop", "lost"]),
            st.sampled_from(["POST", "DELETE"]),
            st.sampled_from(WRITE_PATHS),
            st.integers(1, 5),
        ),
        st.tuples(
            st.just("500"),
            st.just("GET"),
            st.sampled_from(["contact", "listrecipient"]),
            st.integers(1, 2),
        ),
        st.tuples(st.sampled_from(["job_error", "job_noop"]), st.none(), st.none(), st.just(1)),
    ),
    max_size=4,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    made = Sandbox()
    made.store.options.finish_jobs_at_once()
    seen: list[bytes] = []
    dispatch = made.dispatch

    def recording(method: str, path: str, query: str, body: bytes, headers: Any) -> Any:
        seen.append(body)
        return dispatch(method, path, query, body, headers)

    made.dispatch = recording  # type: ignore[method-assign]
    with made:
        yield made
    assert not [b for b in seen if b"addforce" in b.lower()], "addforce was sent"


def _mailjet(account: Account, crowd: list[Person]) -> int:
    """Mailjet's side: the list, its members, exclusions, complaints, hard bounces."""
    listed = ContactsList(account.new_id(), LIST, "news@lists.mailjet.com", STAMP)
    account.lists[listed.id] = listed
    campaign = Campaign(account.new_id(), "Hello", "a@york.ac.uk", "A", listed.id, 0)
    account.campaigns[campaign.id] = campaign
    for n, person in enumerate(crowd):
        if person.remote == "absent" and not (person.excluded or person.spam):
            continue
        contact = Contact(account.new_id(), person.email(n), created_at=STAMP)
        contact.is_excluded, contact.is_spam_complaining = person.excluded, person.spam
        account.add_contact(contact)
        if person.remote != "absent":
            gone = person.remote == "unsubscribed"
            account.add_membership(
                Membership(
                    account.new_id(),
                    contact.id,
                    listed.id,
                    is_unsubscribed=gone,
                    subscribed_at=STAMP,
                    unsubscribed_at=STAMP if gone else "",
                )
            )
            if person.bounced:
                account.events.append(
                    Event(
                        account.new_id(),
                        "bounce",
                        campaign.id,
                        contact.id,
                        1,
                        STAMP,
                        permanent=True,
                    )
                )
    return listed.id


def _here(ws: Workspace, crowd: list[Person]) -> None:
    """This workspace's side: consent as drawn, the list as drawn."""

    def record(person: Person) -> ConsentRecord | None:
        if person.consent == "none":
            return None
        when = "2010-01-01T00:00:00Z" if person.consent == "stale" else "2026-05-01T00:00:00Z"
        return ConsentRecord("granted", when, "form.csv", wording="Yes to news")

    with ws.transaction() as con:
        add_contacts(
            con,
            [NewContact(p.email(n), consent=record(p)) for n, p in enumerate(crowd)],
            actor="seeder",
        )
    ids = {p.email(n): n + 1 for n, p in enumerate(crowd)}
    withdrawn = [ids[p.email(n)] for n, p in enumerate(crowd) if p.consent == "withdrawn"]
    if withdrawn:
        withdraw_consent(ws, withdrawn, "asked")
    on_list = [ids[p.email(n)] for n, p in enumerate(crowd) if p.on_list_here]
    if on_list:
        add_to_list(ws, on_list, LIST)


def _subscribed(account: Account, list_id: int) -> set[str]:
    return {
        account.contacts[m.contact_id].email
        for m in account.memberships.values()
        if m.list_id == list_id and not m.is_unsubscribed
    }


def _kept(ws: Workspace) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    contacts = set(ws.fetch("SELECT id, email, first_name, last_name, properties FROM contacts"))
    ledger = set(
        ws.fetch(
            "SELECT c.email, l.status, l.given_at, l.source_file, l.wording FROM consent_ledger l "
            "JOIN contacts c ON c.id = l.contact_id"
        )
    )
    return contacts, ledger


class Crash(Exception):
    """The worker killed between two steps."""


def _push_until_verified(
    client: MailjetClient, ws: Workspace, pace: Pace, crash_after: int | None
) -> int:
    """Pull and push, resuming after each stop (and after a crash of the first push at
    its ``crash_after``-th word of progress: when a step starts or ends, while a job
    runs or the verification reads), until a push is verified; how many pushes."""
    told = 0

    def crash(_phase: str, _done: int, _total: int) -> None:
        nonlocal told
        told += 1
        if told == crash_after:
            raise Crash

    for pushes in range(1, ROUNDS + 1):
        try:
            pull_list(client, ws, LIST)
            progress = crash if pushes == 1 else None
            if push_list(client, ws, LIST, pace=pace, progress=progress).state in (
                "done",
                "nothing",
            ):
                return pushes
        except PushStopped:
            event("a push stopped, and was resumed")
        except MailjetError:  # (the retries of a read ran out: the job is run again)
            event("a pull stopped on Mailjet's errors, and was run again")
        except Crash:
            event("a push crashed between steps, and was resumed")
    raise AssertionError("the sync never finished")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    crowd=st.lists(people, min_size=1, max_size=5),
    armed=faults,
    csv=st.booleans(),
    crash_after=st.none() | st.integers(1, 6),
)
def test_sync_keeps_its_promises_whatever_the_states_and_faults(
    sandbox: Sandbox,
    crowd: list[Person],
    armed: list[tuple[Any, ...]],
    csv: bool,
    crash_after: int | None,
) -> None:
    key, secret = sandbox.add_account("Example")
    account = sandbox.account(key)
    list_id = _mailjet(account, crowd)
    emails = [p.email(n) for n, p in enumerate(crowd)]
    unsubscribed_before = {
        e for e, p in zip(emails, crowd, strict=True) if p.remote == "unsubscribed"
    }
    known = {e: c.id for e in emails if (c := account.find_contact(e)) is not None}
    excluded_before = {known[e] for e, p in zip(emails, crowd, strict=True) if p.excluded}
    retry = RetryPolicy(retries=4, base=0.001, cap=0.002)
    pace = Pace(
        csv_threshold=0 if csv else 1000,
        poll_interval=0.01,
        settle_seconds=0,
        sleep=lambda _s: None,
    )
    with (
        tempfile.TemporaryDirectory() as temp,
        Workspace.open(Path(temp) / "ws.sqlite3") as ws,
        MailjetClient(key, secret, api_url=sandbox.url, retry=retry) as client,
    ):
        _here(ws, crowd)
        pull_list(client, ws, LIST)
        erased = {e for e, p in zip(emails, crowd, strict=True) if p.erased}
        for email in erased:
            erase_address(ws, email, reason="asked")
        contacts_before, ledger_before = _kept(ws)
        for kind, method, path, times in armed:
            fault: FaultKind = kind
            sandbox.faults.set(fault, times=times, method=method, path=path)
        try:
            event(f"pushes until verified: {_push_until_verified(client, ws, pace, crash_after)}")
        finally:
            sandbox.faults.clear()
        pull_list(client, ws, LIST)
        sandbox.settle()

        subscribed = _subscribed(account, list_id)
        # (1) nobody unsubscribed before is subscribed after, nobody excluded is included
        assert not unsubscribed_before & subscribed
        assert all(account.contacts[ident].is_excluded for ident in excluded_before)
        # (2) every consented, valid, unblocked member here is subscribed there (what
        # Mailjet says of someone outside the list is not read: no promise for them)
        for email, p in zip(emails, crowd, strict=True):
            blocked = p.remote == "unsubscribed" or (
                p.remote != "absent" and (p.excluded or p.spam or p.bounced)
            )
            in_list = p.on_list_here or p.remote == "subscribed"
            unknown_flags = p.remote == "absent" and (p.excluded or p.spam)
            wanted = in_list and p.consent == "granted" and not (blocked or p.erased)
            if wanted and not unknown_flags:
                assert email in subscribed, (email, p)
            # (4) consent withdrawn here: not subscribed there
            if p.consent == "withdrawn":
                assert email not in subscribed, (email, p)
        # (3) nothing here lost but the erased
        contacts_after, ledger_after = _kept(ws)
        assert contacts_before <= contacts_after
        assert ledger_before <= ledger_after
        # (5) the erased: gone here, anonymised there (when the pull saw them in the list)
        for email, p in zip(emails, crowd, strict=True):
            if p.erased:
                assert not ws.fetch("SELECT 1 FROM contacts WHERE email = ?", (email,))
                if p.remote != "absent":
                    assert account.contacts[known[email]].anonymized, (email, p)
                    assert account.find_contact(email) is None
