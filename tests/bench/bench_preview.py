"""Mailing preview, the core (no Qt): rendering and checking a draft, and merge-field coverage.

Run with ``make bench`` (or ``python tests/bench/bench_preview.py [--recipients N]``).
Targets (issue #15), on a 2-core machine:
- render plus every check of one draft for one recipient: at most 50 ms, with the biggest
  mail of the shared corpus (Mailjet's 135 KB e-commerce template), parsed afresh (the
  first preview of a draft) and from the compiled form (every recipient after it);
- merge-field coverage over 100,000 recipients: at most 1 s.

The coverage workspace is generated once (kept beside the other benchmarks' data): the
generated contacts, the first list linked to Mailjet with about 100,000 recipients, half of
them pulled from Mailjet with properties (some empty), the others with local properties.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mjdesk.core.preview.checks import run_checks  # noqa: E402
from mjdesk.core.preview.coverage import merge_coverage  # noqa: E402
from mjdesk.core.preview.mail import Mail, MailKind  # noqa: E402
from mjdesk.core.preview.renderer import (  # noqa: E402
    compile_template,
    mail_templates,
    render_mail,
)
from mjdesk.core.workspace import Workspace  # noqa: E402

from support.corpus import CORPUS  # noqa: E402
from support.generate import generate  # noqa: E402

RENDER_TARGET_MS = 50
COVERAGE_TARGET_MS = 1000
MAILJET_LIST = 900_001


def biggest_mail() -> Mail:
    """The biggest HTML mail of the corpus, as a draft with merge fields in every part."""
    path = max((CORPUS / "emails").glob("*.html"), key=lambda p: p.stat().st_size)
    html = path.read_text(encoding="utf-8").replace(
        "</body>",
        '<p>[[data:firstname:"friend"]] of {{data:department}}'
        ' <a href="[[UNSUB_LINK_EN]]">Leave</a></p></body>',
    )
    return Mail(
        MailKind.DRAFT,
        "1",
        path.name,
        subject='News for [[data:firstname:"you"]]',
        sender_name="History",
        sender_email="news@uni.example",
        reply_to="office@uni.example",
        html=html,
        text='Hello {{data:firstname:"friend"}}\n[[UNSUB_LINK_EN]]',
    )


def coverage_workspace(recipients: int) -> Path:
    """A workspace whose list 1 (linked to Mailjet) has about ``recipients`` recipients."""
    target = HERE / ".data" / f"preview-{recipients}.sqlite3"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_suffix(".making")
    temp.unlink(missing_ok=True)
    print(f"generating a workspace for {recipients:,} recipients (once) ...", flush=True)
    generate(temp, int(recipients / 0.8 * 1.05))  # the generator puts 80% on list 1
    rng = random.Random(15)
    with Workspace.open(temp) as ws, ws.transaction() as con:
        con.execute("UPDATE lists SET mailjet_id = ? WHERE id = 1", (MAILJET_LIST,))
        rows = con.execute("SELECT id, email_key, email FROM contacts").fetchall()
        pulled = []
        local = []
        for ident, key, email in rows:
            props: dict[str, object] = {"firstname": "x"} if rng.random() < 0.9 else {}
            if rng.random() < 0.3:
                props["Department"] = rng.choice(["History", "Law", ""])
            if ident % 2:
                pulled.append((ident, key, email, json.dumps(props)))
            elif "Department" in props:
                local.append((json.dumps({"Department": props["Department"]}), ident))
        con.executemany(
            "INSERT INTO mailjet_contacts (mailjet_id, email_key, email, properties, pulled_at) "
            "VALUES (?, ?, ?, ?, 'bench')",
            pulled,
        )
        con.executemany("UPDATE contacts SET properties = ? WHERE id = ?", local)
    temp.rename(target)
    return target


def median_ms(work: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    failures = []

    mail = biggest_mail()
    person = {"FirstName": "Zoë", "department": "History"}

    def cold() -> None:
        compile_template.cache_clear()
        run_checks(mail, render_mail(mail, person), None, True)

    def warm() -> None:
        run_checks(mail, render_mail(mail, person), None, True)

    cold_ms = median_ms(cold, args.runs)
    warm()
    warm_ms = median_ms(warm, args.runs)
    size = len(mail.html.encode()) // 1024
    print(f"render + every check, {mail.title} ({size} KB), one recipient:")
    print(f"  parsed afresh     {cold_ms:6.1f} ms (≤{RENDER_TARGET_MS})")
    print(f"  compiled (cached) {warm_ms:6.1f} ms (≤{RENDER_TARGET_MS})")
    if cold_ms > RENDER_TARGET_MS:
        failures.append("render + checks over target")

    path = coverage_workspace(args.recipients)
    fields = [f for template in mail_templates(mail) for f in template.fields]
    with Workspace.open(path) as ws, ws.reading() as con:
        con.execute("SELECT count(*) FROM contacts").fetchone()  # warm the cache
        coverage = merge_coverage(con, 1, fields)
        took = median_ms(lambda: merge_coverage(con, 1, fields), args.runs)
    print(
        f"merge-field coverage over {coverage.recipients:,} recipients, "
        f"{len(coverage.fields)} fields:"
    )
    for f in coverage.fields:
        label = " ".join(f.label.split())[:32]
        print(f"  {label:32} empty {f.empty:7,}  default {f.defaulted:7,}  own {f.own_value:7,}")
    print(f"  {took:6.1f} ms (≤{COVERAGE_TARGET_MS})")
    if took > COVERAGE_TARGET_MS:
        failures.append("coverage over target")
    if failures:
        print("MISSED: " + "; ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
