"""The consent review's flags: computed from contacts and their consent records."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.details import contact_details, details_html
from mjdesk.core.flags import Flag, flags_of, mailbox_key, refresh_consent_flags, refresh_flags
from mjdesk.core.near_addresses import near_pairs, near_pairs_plain, one_edit_apart
from mjdesk.core.workspace import Workspace

PROOF = ConsentRecord("granted", "2025-01-01T00:00:00Z", "form.csv", wording="Yes please")


def _flags(ws: Workspace) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for flag, email in ws.fetch(
        "SELECT f.flag, c.email FROM contact_flags f JOIN contacts c ON c.id = f.contact_id"
    ):
        found.setdefault(flag, set()).add(email)
    return found


def test_each_flag_is_found_with_its_hint(tmp_path: Path) -> None:
    people = [
        NewContact("ann.smith@york.ac.uk", "Ann", "Smith", consent=PROOF),
        NewContact("ann.smyth@york.ac.uk", "Ann", "Smyth", consent=PROOF),  # one letter
        NewContact("a.smith@elsewhere.org", "ANN", "smith", consent=PROOF),  # same name
        NewContact("info@york.ac.uk", consent=PROOF),  # role
        NewContact("bob@gmial.com", "Bob", consent=PROOF),  # typo
        NewContact("Bo.B@gmail.com", "Bob", "B", consent=PROOF),
        NewContact("bob+news@googlemail.com", consent=PROOF),  # Bo.B's mailbox
        NewContact("nowording@x.org", consent=ConsentRecord("granted", "2025-01-01", "f.csv")),
        NewContact(
            "nosource@x.org", consent=ConsentRecord("granted", "2025-01-01", None, wording="w")
        ),
        NewContact("broken@@x.org"),  # invalid
        NewContact("withdrawn@x.org", consent=ConsentRecord("withdrawn", "2025-01-01")),
    ]
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        with ws.transaction() as con:
            add_contacts(con, people, actor="t")
            refresh_flags(con)
        found = _flags(ws)
        assert found[Flag.NEAR_ADDRESS.stored] == {"ann.smith@york.ac.uk", "ann.smyth@york.ac.uk"}
        assert found[Flag.SAME_NAME.stored] == {"ann.smith@york.ac.uk", "a.smith@elsewhere.org"}
        assert found[Flag.ROLE.stored] == {"info@york.ac.uk"}
        assert found[Flag.TYPO.stored] == {"bob@gmial.com"}
        assert found[Flag.DUPLICATE.stored] == {"Bo.B@gmail.com", "bob+news@googlemail.com"}
        assert found[Flag.NO_PROOF.stored] == {"nowording@x.org", "nosource@x.org"}
        assert found[Flag.INVALID.stored] == {"broken@@x.org"}
        [(typo_id,)] = ws.fetch("SELECT id FROM contacts WHERE email = 'bob@gmial.com'")
        with ws.reading() as con:
            assert flags_of(con, typo_id) == [(Flag.TYPO, "bob@gmail.com")]
            details = contact_details(con, typo_id)
            assert details is not None
            assert details.flags == [
                ("Possible typo", "Perhaps bob@gmail.com? (Actions › Accept Typo Fixes)")
            ]
            [(near,)] = ws.fetch("SELECT id FROM contacts WHERE email = 'ann.smyth@york.ac.uk'")
            near_details = contact_details(con, near)
            assert near_details is not None
            assert ("Similar address", "One letter away from ann.smith@york.ac.uk.") in (
                near_details.flags
            )
            assert "Possible typo" in details_html(details)


def test_a_later_consent_with_proof_clears_the_missing_proof_flag(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        with ws.transaction() as con:
            add_contacts(
                con,
                [NewContact("p@x.org", consent=ConsentRecord("granted", "2024-01-01"))],
                actor="t",
            )
            refresh_flags(con)
        assert _flags(ws) == {Flag.NO_PROOF.stored: {"p@x.org"}}
        with ws.transaction() as con:
            con.execute(
                "INSERT INTO consent_ledger (contact_id, status, given_at, source_file, "
                "wording, recorded_by, recorded_at) "
                "VALUES (1, 'granted', '2025-01-01', 'f.csv', 'w', 't', 'n')"
            )
            refresh_consent_flags(con)
        assert _flags(ws) == {}


def test_a_deleted_contact_takes_its_flags_along(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        with ws.transaction() as con:
            add_contacts(con, [NewContact("info@x.org")], actor="t")
            refresh_flags(con)
            con.execute("INSERT INTO ledger_release (kind, ref) VALUES ('contact', 1)")
            con.execute("DELETE FROM contacts WHERE id = 1")
        assert ws.fetch("SELECT count(*) FROM contact_flags") == [(0,)]


def test_a_mailbox_ignores_tags_and_gmail_dots() -> None:
    assert mailbox_key("j.smith+news@googlemail.com") == "jsmith@gmail.com"
    assert mailbox_key("j.smith+news@york.ac.uk") == "j.smith@york.ac.uk"
    assert mailbox_key("+x@york.ac.uk") == "+x@york.ac.uk"


def test_one_edit_apart() -> None:
    assert one_edit_apart("john", "jon")
    assert one_edit_apart("jon", "joan")
    assert one_edit_apart("smith", "smyth")
    assert not one_edit_apart("smith", "smith")
    assert not one_edit_apart("ab", "ba")
    assert not one_edit_apart("smith", "smiths2")


_LOCAL = st.text(alphabet="abcé.", min_size=3, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_LOCAL, st.sampled_from(["x.org", "y.org"])), max_size=30))
def test_the_fast_near_address_search_agrees_with_the_plain_one(
    parts: list[tuple[str, str]],
) -> None:
    keys = [(i * 7, f"{local}@{domain}") for i, (local, domain) in enumerate(dict.fromkeys(parts))]
    assert near_pairs(keys) == near_pairs_plain(keys)


def test_near_addresses_in_many_similar_addresses_agree_with_a_pairwise_check() -> None:
    rng = random.Random(5)
    addresses = set()
    for _ in range(400):
        first, last = rng.choice(["ann", "anne", "bob"]), rng.choice(["lee", "li", "le"])
        domain = rng.choice(["a.org", "b.org"])
        addresses.add(f"{first}.{last}{rng.randint(1, 30)}@{domain}")
    keys = list(enumerate(sorted(addresses)))
    brute = {
        (min(i, j), max(i, j))
        for (i, a), (j, b) in itertools.combinations(keys, 2)
        if a.rpartition("@")[2] == b.rpartition("@")[2]
        and len(a.rpartition("@")[0]) >= 4
        and len(b.rpartition("@")[0]) >= 4
        and one_edit_apart(a.rpartition("@")[0], b.rpartition("@")[0])
    }
    assert brute
    assert near_pairs(keys) == brute
