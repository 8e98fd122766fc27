"""The mailing cache: drafts and templates kept in the workspace and read back as `Mail`,
the senders' validation, and local ``.html`` files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.preview import cache
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

DRAFT = Mail(
    MailKind.DRAFT,
    "41",
    "Spring open day",
    "Come to our open day",
    "Department",
    "news@dept.example.ac.uk",
    "office@dept.example.ac.uk",
    7,
    '<p>Hello {{data:firstname:"there"}}, [[UNSUB_LINK_EN]]</p>',
    "Hello",
    "<mjml></mjml>",
    {"X-Campaign": "spring", "Reply-To": "office@dept.example.ac.uk"},
)
TEMPLATE = Mail(MailKind.TEMPLATE, "9", "Welcome", "Welcome!", html="<p>Hi</p>")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws.sqlite3") as opened:
        yield opened


def test_a_stored_mailing_loads_back_as_it_was(workspace: Workspace) -> None:
    with workspace.transaction() as con:
        cache.store_mailing(
            con, DRAFT, status=0, modified_at="2025-05-31T12:00:00Z", fetched_at="now"
        )
        cache.store_mailing(
            con, TEMPLATE, status=0, modified_at="2025-01-01T00:00:00Z", fetched_at="now"
        )
    with workspace.reading() as con:
        assert cache.load_mailing(con, MailKind.DRAFT, 41) == DRAFT
        assert cache.load_mailing(con, MailKind.TEMPLATE, 9) == TEMPLATE
        listed = cache.list_mailings(con)
    assert [(m.kind, m.mailjet_id, m.list_id) for m in listed] == [
        (MailKind.DRAFT, 41, 7),
        (MailKind.TEMPLATE, 9, 0),
    ]


def test_storing_again_replaces_and_forget_drops_what_mailjet_lost(workspace: Workspace) -> None:
    changed = Mail(MailKind.DRAFT, "41", "Spring open day", "New subject")
    with workspace.transaction() as con:
        cache.store_mailing(con, DRAFT, status=0, modified_at="a", fetched_at="now")
        cache.store_mailing(con, changed, status=1, modified_at="b", fetched_at="later")
        cache.store_mailing(con, TEMPLATE, status=0, modified_at="", fetched_at="now")
        assert cache.mailing_versions(con)[(MailKind.DRAFT, 41)] == cache.MailingVersion(1, "b")
        assert cache.forget_mailings(con, MailKind.DRAFT, []) == 1
        assert cache.forget_mailings(con, MailKind.TEMPLATE, [9]) == 0
    with workspace.reading() as con:
        assert [m.kind for m in cache.list_mailings(con)] == [MailKind.TEMPLATE]
        with pytest.raises(UserError, match="Fetch the drafts"):
            cache.load_mailing(con, MailKind.DRAFT, 41)


def test_a_file_is_never_cached(workspace: Workspace) -> None:
    with workspace.transaction() as con, pytest.raises(ValueError, match="file"):
        cache.store_mailing(
            con, Mail(MailKind.FILE, "/x.html", "x.html"), status=0, modified_at="", fetched_at=""
        )


def test_sender_status_by_address_or_whole_domain(workspace: Workspace) -> None:
    with workspace.transaction() as con:
        cache.store_senders(
            con,
            {
                "*@dept.example.ac.uk": "Active",
                "Events@Partner.example.net": "Inactive",
                "old@gone.example.net": "Deleted",
            },
            "now",
        )
    with workspace.reading() as con:
        states = cache.sender_states(con)
    assert cache.sender_status(states, "news@DEPT.example.ac.uk") == "Active"
    assert cache.sender_status(states, "events@partner.example.net") == "Inactive"
    assert cache.sender_status(states, "old@gone.example.net") == "Deleted"
    assert cache.sender_status(states, "someone@elsewhere.test") == ""
    assert cache.sender_status({"a@b.test": "Inactive", "*@b.test": "Active"}, "a@b.test") == (
        "Active"
    )


def test_a_utf8_file_with_its_title_as_subject(tmp_path: Path) -> None:
    page = tmp_path / "letter.html"
    page.write_text(
        "<html><head><title>Caf\u00e9 &amp;\n news</title></head><body>\u05e9\u05dc\u05d5\u05dd"
        "</body></html>",
        encoding="utf-8",
    )
    mail = cache.load_html_file(page)
    assert mail.kind == MailKind.FILE
    assert mail.source_id == str(page)
    assert (mail.title, mail.subject) == ("letter.html", "Caf\u00e9 & news")
    assert "\u05e9\u05dc\u05d5\u05dd" in mail.html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('<meta charset="iso-8859-1"><p>Ann\xe9e \x80</p>'.encode("latin-1"), "Ann\u00e9e \u20ac"),
        (b"<p>Ann\xe9e</p>", "Ann\u00e9e"),  # no declaration: not UTF-8, so Windows-1252
        ("\ufeff<p>Ann\u00e9e</p>".encode("utf-16-le"), "Ann\u00e9e"),
        ("\ufeff<p>Ann\u00e9e</p>".encode(), "Ann\u00e9e"),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            "<p>\u041f\u0440\u0438\u0432\u0435\u0442</p>".encode("cp1251"),
            "\u041f\u0440\u0438\u0432\u0435\u0442",
        ),
    ],
)
def test_the_encoding_is_found(tmp_path: Path, raw: bytes, expected: str) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(raw)
    mail = cache.load_html_file(page)
    assert expected in mail.html
    assert "\ufeff" not in mail.html


def test_files_that_are_not_mails_are_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UserError, match=r"There is no file missing\.html"):
        cache.load_html_file(tmp_path / "missing.html")
    with pytest.raises(UserError, match="is a folder"):
        cache.load_html_file(tmp_path)
    picture = tmp_path / "picture.html"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UserError, match="not a text file"):
        cache.load_html_file(picture)
    monkeypatch.setattr(cache, "MAX_FILE_BYTES", 100)
    huge = tmp_path / "huge.html"
    huge.write_text("<p>" + "x" * 200 + "</p>", encoding="utf-8")
    with pytest.raises(UserError, match="too big for a mail"):
        cache.load_html_file(huge)
