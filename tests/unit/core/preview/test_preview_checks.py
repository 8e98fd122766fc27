"""The pre-flight checklist: each check passes, warns or fails for the right cases."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mjdesk.core.preview.checks import (
    GMAIL_CLIP_BYTES,
    Status,
    check_alt_text,
    check_coverage,
    check_envelope,
    check_links,
    check_remote_images,
    check_sender,
    check_size,
    check_syntax,
    check_text_part,
    check_unsubscribe,
    overall,
    read_html,
    run_checks,
)
from mjdesk.core.preview.coverage import Coverage, FieldCoverage
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.preview.renderer import render_mail

UNSUB = '<a href="[[UNSUB_LINK_EN]]">Unsubscribe</a>'


def _mail(**fields: object) -> Mail:
    base: dict[str, object] = {
        "subject": "Spring news",
        "sender_name": "History",
        "sender_email": "news@uni.example",
        "reply_to": "office@uni.example",
        "html": f"<p>Hello</p>{UNSUB}",
        "text": "Hello\n[[UNSUB_LINK_EN]]",
    }
    base.update(fields)
    return Mail(MailKind.DRAFT, "1", "Spring", **base)  # type: ignore[arg-type]


def test_a_clean_mail_passes_everything_it_can_know() -> None:
    mail = _mail()
    results = run_checks(mail, render_mail(mail, {}), Coverage(1, 10, ()), sender_validated=True)
    assert {r.key: r.status for r in results} == {
        "unsubscribe": Status.PASS,
        "envelope": Status.PASS,
        "text_part": Status.PASS,
        "syntax": Status.PASS,
        "coverage": Status.PASS,
        "size": Status.PASS,
        "alt_text": Status.PASS,
        "links": Status.PASS,
        "remote_images": Status.PASS,
        "sender": Status.PASS,
    }
    assert overall(results) is Status.PASS


def test_unsubscribe_link_missing_from_a_part() -> None:
    mail = _mail(text="Hello")
    result = check_unsubscribe(mail, render_mail(mail, {}))
    assert (result.status, result.cases) == (Status.FAIL, ("text part",))
    assert result.reason == (
        "No Mailjet unsubscribe link ([[UNSUB_LINK_EN]] or another language's) in the text part."
    )
    hidden = _mail(html="<p>Hi</p>{% if data:department %}<p>x</p>" + UNSUB)
    swallowed = check_unsubscribe(hidden, render_mail(hidden, {}))
    assert swallowed.status is Status.FAIL
    assert "the broken tag at html line 1, column 10 may have swallowed it" in swallowed.reason
    hidden = _mail(html="{% if var:x %}" + UNSUB + "{% endif %}")
    assert check_unsubscribe(hidden, render_mail(hidden, {})).cases == ("HTML part",)
    assert (
        check_unsubscribe(_mail(html="", text=""), render_mail(_mail(), {})).status is Status.FAIL
    )


def test_envelope_and_text_part() -> None:
    assert check_envelope(_mail(subject=" ", sender_name="")).cases == ("subject", "sender name")
    assert check_envelope(_mail(reply_to="")).status is Status.WARN
    assert check_envelope(_mail(reply_to="", headers={"Reply-To": "a@b.c"})).status is Status.PASS
    assert check_text_part(_mail(text="")).status is Status.WARN


def test_syntax_fails_on_blocking_problems_and_warns_on_doubtful_ones() -> None:
    broken = _mail(html="{% if var:a %}" + UNSUB)
    result = check_syntax(render_mail(broken, {}).problems)
    assert result.status is Status.FAIL
    assert result.cases == ("html line 1, column 1: “{% if %}” is never closed",)
    doubtful = _mail(html="{{ data:firstname }}" + UNSUB)
    assert check_syntax(render_mail(doubtful, {}).problems).status is Status.WARN


def test_coverage_warns_on_gaps_and_lists_defaults() -> None:
    assert check_coverage(None).status is Status.WARN
    gap = FieldCoverage("data", "dept", None, 10, 3, 0, (1, 2, 3), ())
    default = FieldCoverage("data", "firstname", "friend", 10, 0, 4, (), (4,))
    assert check_coverage(Coverage(1, 10, (gap, default))).cases == (
        "data:dept: 3 of 10 recipients get nothing",
        'data:firstname:"friend": 4 of 10 recipients get the default',
    )
    only_defaults = check_coverage(Coverage(1, 10, (default,)))
    assert only_defaults.status is Status.PASS
    assert only_defaults.cases


def test_coverage_fails_a_field_empty_for_every_recipient_and_says_why() -> None:
    some = FieldCoverage("data", "dept", None, 10, 3, 0, (1, 2, 3), ())
    misspelt = FieldCoverage("data", "deprtment", None, 10, 10, 0, (1,), ())
    talks = FieldCoverage("var", "talks", None, 10, 10, 0, (1,), ())
    result = check_coverage(Coverage(1, 10, (some, misspelt, talks)))
    assert result.status is Status.FAIL
    assert result.reason == (
        "2 fields empty for every recipient (data:deprtment, var:talks), and 1 more for some."
    )
    assert result.cases[1:] == (
        "data:deprtment: empty for all 10 recipients: none of them has this property",
        "var:talks: empty for all 10 recipients: a campaign never fills var: fields "
        "(they come with each API message)",
    )
    with_default = FieldCoverage("var", "talks", "soon", 10, 0, 10, (), (1,))
    defaulted = check_coverage(Coverage(1, 10, (with_default,)))
    assert defaulted.status is Status.PASS
    assert "never fills var:" in defaulted.cases[0]
    nobody = check_coverage(Coverage(1, 0, (FieldCoverage("var", "t", None, 0, 0, 0, (), ()),)))
    assert nobody.status is Status.PASS


def test_size_against_gmails_clip() -> None:
    assert check_size("x" * (GMAIL_CLIP_BYTES + 1)).status is Status.FAIL
    assert check_size("é" * (GMAIL_CLIP_BYTES // 2 - 100)).status is Status.WARN
    assert check_size("<p>hi</p>").status is Status.PASS


def test_images_without_alt_and_remote_images() -> None:
    facts = read_html(
        '<img src="https://cdn.example/a.png"><img src="cid:logo" alt="">'
        '<td background="http://img.example/bg.jpg"></td>'
        "<style>@import url(https://fonts.example/css); .x{background:url('https://cdn.example/b.png')}</style>"
        '<div style="background-image: url(https://cdn.example/c.png)"></div>'
    )
    alt = check_alt_text(facts)
    assert (alt.status, alt.cases) == (Status.WARN, ("line 1: https://cdn.example/a.png",))
    remote = check_remote_images(facts)
    assert remote.reason.startswith("4 remote images from 2 hosts")
    assert remote.cases == ("cdn.example", "img.example")


def test_links_empty_insecure_and_misleading() -> None:
    facts = read_html(
        '<a href="">Read</a>'
        '<a href="http://uni.example/x">plain http</a>'
        '<a href="https://evil.example/login">https://www.uni.example/login</a>'
        '<a href="https://uni.example/a">uni.example</a>'
        '<a href="mailto:a@b.c">write</a>'
        '<a href="/jackets">relative</a>'
        '<a href="#" data-mj-placeholder="PERMALINK">[view]</a>'
    )
    result = check_links(facts)
    assert result.status is Status.FAIL
    assert result.cases == (
        "line 1: an empty link (“Read”)",
        "line 1: the text shows https://www.uni.example/login but it goes to "
        "https://evil.example/login",
        "line 1: not https: http://uni.example/x",
        "line 1: goes nowhere from an email: /jackets",
    )
    warn_only = check_links(read_html('<a href="http://uni.example">x</a>'))
    assert warn_only.status is Status.WARN


def test_sender_validation_as_given() -> None:
    sender = "news@dept.example.ac.uk"
    assert check_sender(sender, True).status is Status.PASS
    assert check_sender(sender, False).status is Status.FAIL
    assert check_sender(sender, None).status is Status.WARN


def test_a_mail_without_a_sender_has_nothing_to_validate() -> None:
    for validated in (True, False, None):
        result = check_sender("", validated)
        assert result.status is Status.PASS
        assert result.reason.startswith("Nothing to check: the mail has no sender address")


def test_read_html_survives_broken_markup() -> None:
    facts = read_html('<a href="https://x.example">open <img src=x <![CDATA[ <a href=')
    assert facts.links[0].href == "https://x.example"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"<>a/=\"' &#;!-[]", "href", "img", "src"])).map("".join))
def test_reading_any_html_never_raises(markup: str) -> None:
    mail = Mail(MailKind.FILE, "f", "f", html=markup)
    assert len(run_checks(mail, render_mail(mail, {}))) == 10
