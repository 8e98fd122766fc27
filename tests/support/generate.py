"""Generate a realistic workspace of N contacts (names, domains, consent, lists) quickly.

Used by the Qt tests (10,000 contacts) and the benchmarks (1,000,000). Deterministic for
a given seed, so figures are comparable between runs.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mjdesk.core.clock import now_iso, to_iso
from mjdesk.core.flags import refresh_flags
from mjdesk.core.workspace import Workspace

FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Leo",
    "Freya",
    "Oscar",
    "Zoë",
    "Chloé",
    "Björn",
    "Siobhán",
    "Aoife",
    "Mateo",
    "Lucía",
    "Wei",
    "Hiroshi",
    "Aarav",
    "Priya",
    "Fatima",
    "Omar",
    "Olumide",
    "Kwame",
    "Ngozi",
    "Sven",
    "Ingrid",
    "Élodie",
    "François",
    "José",
    "María",
    "Łukasz",
    "Agnieszka",
    "Dmitri",
    "Olga",
    "Ahmed",
    "Leila",
    "Yusuf",
    "Chen",
    "Mei",
    "Sakura",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "O'Brien",
    "Müller",
    "Ólafsdóttir",
    "Nguyễn",
    "García",
    "Fernández",
    "Kowalski",
    "Novák",
    "Rossi",
    "Bianchi",
    "Dubois",
    "Lefèvre",
    "Andersson",
    "Nakamura",
    "Okafor",
    "Mensah",
    "Haddad",
    "Kaur",
    "Singh",
    "Zhang",
    "Wang",
    "Ivanova",
    "MacDonald",
    "Fitzgerald",
]
DOMAINS = (
    ["york.ac.uk"] * 6
    + ["student.york.ac.uk"] * 4
    + ["gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com", "btinternet.com"]
    + ["ox.ac.uk", "cam.ac.uk", "ed.ac.uk", "leeds.ac.uk", "manchester.ac.uk", "uni-heidelberg.de"]
)
SHEETS = ("Sign-ups", "Form responses 1", "Sheet1")
FILES = (
    "open-day-2025.xlsx",
    "newsletter-form.csv",
    "alumni-registry.ods",
    "seminar-series.xlsx",
    "careers-fair.csv",
)
LISTS = ("Newsletter", "Events", "Alumni")
_ASCII = str.maketrans("äöüéèëêçñóíáúåøýłőűễ", "aoueeeecnoiaaaoylouê", "'")


def _ascii(name: str) -> str:
    return name.translate(_ASCII).lower().encode("ascii", "ignore").decode()


def generate(path: Path, count: int, *, seed: int = 7, chunk: int = 50_000) -> Path:
    """Create a workspace at ``path`` holding ``count`` contacts (``path`` must not exist)."""
    if path.exists():
        raise FileExistsError(path)
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    ws = Workspace.open(path)
    now = now_iso()
    try:
        with ws.transaction() as con:
            for name in LISTS:
                con.execute("INSERT INTO lists (name, created_at) VALUES (?, ?)", (name, now))
            con.execute(
                "INSERT INTO import_batches (file_name, file_sha256, sheet, imported_by, "
                "imported_at) VALUES ('generated', '', NULL, 'generator', ?)",
                (now,),
            )
        made = 0
        while made < count:
            size = min(chunk, count - made)
            contacts: list[tuple[object, ...]] = []
            ledger: list[tuple[object, ...]] = []
            members: list[tuple[object, ...]] = []
            for n in range(made + 1, made + size + 1):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                domain = rng.choice(DOMAINS)
                local = f"{_ascii(first)}.{_ascii(last)}{n}"
                if rng.random() < 0.01:
                    local = rng.choice(("info", "office", "admin", "enquiries")) + str(n)
                email = f"{local}@{domain}"
                flags = (
                    "role address"
                    if local[0] in "ioae"
                    and local[:4].isalpha()
                    and not local.startswith(_ascii(first))
                    else ""
                )
                contacts.append((n, email.lower(), email, first, last, flags, now, now))
                roll = rng.random()
                if roll < 0.9:
                    when = to_iso(start + timedelta(minutes=rng.randrange(0, 1_000_000)))
                    file = rng.choice(FILES)
                    ledger.append(
                        (n, "granted", when, file, rng.choice(SHEETS), rng.randrange(2, 5000), now)
                    )
                    if roll < 0.05:
                        later = to_iso(
                            start + timedelta(minutes=rng.randrange(1_000_000, 1_400_000))
                        )
                        ledger.append((n, "withdrawn", later, None, None, None, now))
                for list_id in (1, 2, 3):
                    if rng.random() < (0.8, 0.35, 0.2)[list_id - 1]:
                        status = "unsubscribed" if rng.random() < 0.04 else "subscribed"
                        members.append((n, list_id, status, now))
            with ws.transaction() as con:
                con.executemany(
                    "INSERT INTO contacts (id, email_key, email, first_name, last_name, flags, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    contacts,
                )
                con.executemany(
                    "INSERT INTO consent_ledger (contact_id, status, given_at, source_file, "
                    "source_sheet, source_row, wording, recorded_by, recorded_at, batch_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'I agree to receive the department newsletter', "
                    "'generator', ?, 1)",
                    ledger,
                )
                con.executemany(
                    "INSERT INTO memberships (contact_id, list_id, status, added_at) "
                    "VALUES (?, ?, ?, ?)",
                    members,
                )
            made += size
        with ws.transaction() as con:
            refresh_flags(con)  # as the window leaves them: up to date
    finally:
        ws.close()
    return path


if __name__ == "__main__":  # python tests/support/generate.py PATH COUNT
    target, how_many = Path(sys.argv[1]), int(sys.argv[2])
    began = time.perf_counter()
    generate(target, how_many)
    took = time.perf_counter() - began
    print(f"generated {how_many:,} contacts in {took:.1f} s: {target}")  # noqa: T201
