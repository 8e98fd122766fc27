"""Statistics fetched from the seeded sandbox through the real client into the cache (issue #16):
each figure equals the sandbox's counters, each rate its definition, link and provider shares
add up, the cache answers offline with its age, a refresh reads only what can have changed."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mjdesk.core.stats import cache
from mjdesk.core.stats.export import HEADER, table_rows, write_table
from mjdesk.core.stats.figures import totals
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.mailjet.stats_fetch import fetch_statistics
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import Account


@pytest.fixture(scope="module")
def seeded() -> Iterator[Sandbox]:
    with Sandbox(seeded_store()) as sandbox:
        yield sandbox


def _department(sandbox: Sandbox) -> Account:
    return next(iter(sandbox.store.accounts.values()))


def _client(sandbox: Sandbox) -> MailjetClient:
    account = _department(sandbox)
    return MailjetClient(
        account.api_key,
        account.secret_key,
        api_url=sandbox.url,
        retry=RetryPolicy(sleep=lambda s: None),
    )


@pytest.fixture(scope="module")
def fetched(seeded: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats") / "ws.sqlite3"
    with _client(seeded) as client, Workspace.open(path) as ws:
        summary = fetch_statistics(client, ws, full=True)
    assert summary.campaigns == 12
    assert summary.details == 12
    assert summary.lists == 3
    return path


def test_each_figure_equals_the_sandbox_counters(seeded: Sandbox, fetched: Path) -> None:
    account = _department(seeded)
    with Workspace.open(fetched) as ws, ws.reading() as con:
        rows = cache.campaigns(con)
    assert len(rows) == len(account.campaigns) == 12
    for row in rows:
        slices = [d for d in account.day_stats if d.campaign_id == row.campaign_id]
        expected = {
            name: sum(getattr(d, source) for d in slices)
            for name, source in (
                ("processed", "total"),
                ("delivered", "sent"),
                ("opened", "opened"),
                ("clicked", "clicked"),
                ("hard_bounced", "hard_bounced"),
                ("soft_bounced", "soft_bounced"),
                ("blocked", "blocked"),
                ("spam", "spam"),
                ("unsubscribed", "unsubscribed"),
            )
        }
        assert {name: getattr(row, name) for name in expected} == expected
        campaign = account.campaigns[row.campaign_id]
        assert (row.subject, row.sent_at) == (campaign.subject, campaign.send_start_at)
        assert row.list_name == account.lists[campaign.list_id].name


def test_each_rate_is_its_definition(fetched: Path) -> None:
    with Workspace.open(fetched) as ws, ws.reading() as con:
        rows = cache.campaigns(con)
    for f in [*rows, totals(rows)]:
        assert f.delivery_rate == f.delivered / f.processed
        assert f.open_rate == f.opened / f.delivered
        assert f.click_to_open == f.clicked / f.opened
        assert f.mailjet_clicked_percent == f.clicked / f.opened  # Mailjet's "% Clicked"
        assert f.click_rate == f.clicked / f.delivered
        assert f.hard_bounce_rate == f.hard_bounced / f.processed
        assert f.soft_bounce_rate == f.soft_bounced / f.processed
        assert f.blocked_rate == f.blocked / f.processed
        assert f.spam_rate == f.spam / f.delivered
        assert f.unsubscribe_rate == f.unsubscribed / f.delivered
    empty = totals([])
    assert empty.open_rate is None
    assert empty.click_rate is None


def test_detail_shares_add_up_and_times_follow_sending(seeded: Sandbox, fetched: Path) -> None:
    account = _department(seeded)
    with Workspace.open(fetched) as ws, ws.reading() as con:
        for row in cache.campaigns(con):
            detail = cache.detail(con, row.campaign_id)
            assert detail is not None
            assert sum(link.share or 0 for link in detail.links) == pytest.approx(1)
            assert sum(p.share or 0 for p in detail.providers) == pytest.approx(1)
            assert sum(p.delivered for p in detail.providers) == row.delivered
            assert sum(p.opened for p in detail.providers) == row.opened
            assert sum(h.opened for h in detail.by_hour) == row.opened
            assert sum(d.clicked for d in detail.by_day) == row.clicked
            assert len(detail.by_day) > 1  # opens spread over the days after sending
            assert detail.by_hour[0].hour >= row.sent_at[:13]
            links = {k.url: k for k in account.link_stats if k.campaign_id == row.campaign_id}
            assert {k.url: k.clicked_events for k in detail.links} == {
                url: k.clicked_events for url, k in links.items()
            }


def test_recipient_esp_reports_rates_as_mailjet_does(seeded: Sandbox) -> None:
    from mjdesk.mailjet import statistics as ms

    campaign = max(_department(seeded).campaigns)
    with _client(seeded) as client:
        for row in ms.mailbox_providers(client, campaign):
            attempted = row["AttemptedMessagesCount"]
            assert attempted == (
                row["DeliveredMessagesCount"]
                + row["SoftBouncedMessagesCount"]
                + row["HardBouncedMessagesCount"]
            )
            # Fractions with four decimals; Mailjet's click-through is clicked / opened.
            assert row["OpenRate"] == round(row["OpenedMessagesCount"] / attempted, 4)
            if row["OpenedMessagesCount"]:
                clicked = row["ClickedMessagesCount"] / row["OpenedMessagesCount"]
                assert row["ClickThroughRate"] == round(clicked, 4)


def test_message_and_event_timing_differ(seeded: Sandbox) -> None:
    from mjdesk.mailjet import statistics as ms

    campaign = min(_department(seeded).campaigns)
    with _client(seeded) as client:
        by = {
            timing: ms.counters(
                client, "Campaign", source_id=campaign, timing=timing, resolution="Hour",
                from_ts=0,
            )
            for timing in ("Message", "Event")
        }  # fmt: skip
    assert len(by["Message"]) == 1  # everything at the hour the campaign was sent
    assert len(by["Event"]) > 10  # opens and clicks in the hours they happened
    assert sum(c.opened for c in by["Event"]) == by["Message"][0].opened
    assert all(c.timeslice[14:] == "00:00Z" for c in by["Event"])


def test_the_cache_answers_offline_with_its_age(tmp_path: Path) -> None:
    path = tmp_path / "ws.sqlite3"
    sandbox = Sandbox(seeded_store(contacts=600, campaigns=3))
    with sandbox, _client(sandbox) as client, Workspace.open(path) as ws:
        fetch_statistics(client, ws, full=True)
    # the sandbox is gone: the cache alone answers
    with Workspace.open(path) as ws, ws.reading() as con:
        rows = cache.campaigns(con)
        age = cache.cache_age(con, datetime.now(UTC) + timedelta(hours=3))
        lists = cache.lists(con)
    assert len(rows) == 3
    assert all(r.fetched_at for r in rows)
    assert age is not None
    assert cache.describe_age(age) == "Figures fetched 3 hours ago."
    assert {item.name for item in lists} == {"Department newsletter", "Seminar series", "Alumni"}
    for item in lists:
        assert item.subscribers_by_day[-1][1] == item.subscribed
        assert sum(n for _, n in item.unsubscribes_by_campaign) == sum(
            r.unsubscribed for r in rows if r.mailjet_list_id == item.mailjet_list_id
        )


def test_refresh_reads_only_recent_and_new_campaigns(tmp_path: Path) -> None:
    path = tmp_path / "ws.sqlite3"
    sandbox = Sandbox(seeded_store(contacts=600, campaigns=6))
    with sandbox, _client(sandbox) as client, Workspace.open(path) as ws:
        fetch_statistics(client, ws, full=True)
        refreshed = fetch_statistics(client, ws, full=False)
    assert refreshed.campaigns == 2  # sent 3 and 28 days ago
    assert refreshed.requests == 2 + 2 + 3  # lists and campaigns, 2 campaigns, 3 lists


def test_a_draft_sent_in_the_sandbox_gains_statistics_over_minutes(tmp_path: Path) -> None:
    from mjdesk.mailjet import campaigns as mc
    from mjdesk.mailjet import statistics as ms

    sandbox = Sandbox(seeded_store(contacts=600, campaigns=1))
    with sandbox, _client(sandbox) as client:
        draft = next(d for d in mc.list_drafts(client) if d.status == 0)
        mc.send_draft(client, draft.id)
        campaign = mc.get_draft(client, draft.id).campaign_id
        at_once = ms.counters(client, "Campaign", source_id=campaign)[0]
        sandbox.store.advance(45 * 60)
        later = ms.counters(client, "Campaign", source_id=campaign)[0]
    assert at_once.sent > 0
    assert at_once.opened < later.opened
    assert later.total == at_once.total  # every message was handed over at once


def test_table_exports_have_the_issue_columns(fetched: Path, tmp_path: Path) -> None:
    import csv

    with Workspace.open(fetched) as ws, ws.reading() as con:
        rows = cache.campaigns(con)
    assert HEADER[:13] == (
        "Campaign ID", "Subject", "Sent at", "List", "Sent", "Delivered", "Opened",
        "Clicked", "Hard bounced", "Soft bounced", "Blocked", "Spam", "Unsubscribed",
    )  # fmt: skip
    out = write_table(rows, tmp_path / "t.csv")
    with out.open(encoding="utf-8-sig") as handle:
        read = list(csv.reader(handle))
    assert tuple(read[0]) == HEADER
    assert len(read) == 1 + 12  # (the header, each campaign: no totals row for scripts)
    last = rows[-1]
    assert float(read[-1][HEADER.index("Click rate % (of delivered)")]) == round(
        100 * last.clicked / last.delivered, 2
    )
    assert read[1][:2] == [str(rows[0].campaign_id), rows[0].subject]
    assert float(read[1][HEADER.index("Opened %")]) == round(100 * (rows[0].open_rate or 0), 2)
    hostile = [rows[0].__class__(1, "=HYPERLINK(1)", "2026-01-01T00:00:00Z", "-list")]
    assert table_rows(hostile)[0][1] == "=HYPERLINK(1)"  # neutralised as it is written:
    write_table(hostile, tmp_path / "h.csv")
    assert "'=HYPERLINK(1)" in (tmp_path / "h.csv").read_text(encoding="utf-8-sig")
    book = write_table(rows, tmp_path / "t.xlsx")
    with zipfile.ZipFile(book) as parts:
        strings = parts.read("xl/sharedStrings.xml").decode()
        styles = parts.read("xl/styles.xml").decode()
        sheet = parts.read("xl/worksheets/sheet1.xml").decode()
    assert "Sent at (UTC)" in strings
    assert ">Total<" in strings
    assert 'formatCode="0.00%"' in styles  # (rates are numbers shown as percentages)
    assert 'formatCode="yyyy-mm-dd hh:mm"' in styles  # (send dates are dates)
    assert '<col min="2" max="2" width="48.7109375"' in sheet  # (the subject is readable)
    sent = datetime.fromisoformat(rows[0].sent_at.replace("Z", "+00:00"))
    serial = (sent.replace(tzinfo=None) - datetime(1899, 12, 30)).total_seconds() / 86400
    assert '<c r="C2" s="' in sheet
    assert f"<v>{serial:g}</v>" in sheet or f"<v>{serial}</v>" in sheet
    with pytest.raises(UserError, match=r"\.csv or \.xlsx"):
        write_table(rows, tmp_path / "t.xls")
