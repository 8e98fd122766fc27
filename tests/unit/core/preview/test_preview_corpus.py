"""Every real-world mail of the shared corpus renders and goes through every check without
crashing, with the variables the corpus gives where it has them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mjdesk.core.preview.checks import run_checks
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.preview.renderer import ProblemKind, render_mail

from support.corpus import CORPUS

EMAILS = (
    sorted(p for p in (CORPUS / "emails").glob("*") if p.suffix in (".html", ".mjml", ".txt"))
    if CORPUS.is_dir()
    else []
)

pytestmark = pytest.mark.skipif(not EMAILS, reason="the shared corpus is not beside the repository")


def _variables(path: Path) -> dict[str, object]:
    """The sample variables the corpus keeps beside a template (``<name>_variables.json``
    or ``<name>_data.json``), if any."""
    for suffix in ("_variables.json", "_data.json"):
        candidate = path.with_name(path.stem + suffix)
        if candidate.exists():
            value = json.loads(candidate.read_text(encoding="utf-8"))
            return value if isinstance(value, dict) else {}
    return {}


@pytest.mark.parametrize("path", EMAILS, ids=lambda p: p.name)
def test_every_corpus_mail_renders_and_checks(path: Path) -> None:
    content = path.read_text(encoding="utf-8", errors="replace")
    mail = Mail(
        MailKind.FILE,
        str(path),
        path.stem,
        subject="Preview of [[data:firstname]]",
        html=content,
        text=content if path.suffix == ".txt" else "",
    )
    rendered = render_mail(mail, {"firstname": "Zoë"}, _variables(path))
    results = run_checks(mail, rendered)
    assert rendered.subject == "Preview of Zoë"
    assert len(results) == 10
    assert all(r.reason for r in results)


def test_the_mailjet_welcome_template_renders_its_sample_variables() -> None:
    path = CORPUS / "emails" / "mailjet__welcome.html"
    mail = Mail(MailKind.FILE, str(path), "welcome", html=path.read_text(encoding="utf-8"))
    rendered = render_mail(mail, {}, _variables(path))
    blocking = [p for p in rendered.problems if p.blocking or p.kind is ProblemKind.RUNTIME]
    assert blocking == []
    assert "{%" not in rendered.html
    assert "{{" not in rendered.html
    assert "http://bit.ly/mj-tpl-tuto-hero)" in rendered.html  # the "male" branch of its set


def test_foreign_template_languages_are_reported_not_rendered_silently() -> None:
    path = CORPUS / "emails" / "sendgrid__news_feed.html"
    mail = Mail(MailKind.FILE, str(path), "sendgrid", html=path.read_text(encoding="utf-8"))
    problems = render_mail(mail, {}).problems
    assert any(p.blocking and "#" in p.message for p in problems)
