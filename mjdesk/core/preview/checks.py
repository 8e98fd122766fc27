"""The pre-flight checklist: what to fix before anyone presses Send in Mailjet.

Each check is a pure function returning a `CheckResult`: pass, warn or fail, a one-line
reason, and the cases behind it (which links, which images, which fields). They read the
mail as one recipient gets it (`renderer.Rendered`), so a link or image that only appears
for some recipients is checked as that recipient sees it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser
from urllib.parse import urlsplit

from mjdesk.core.preview.coverage import Coverage, FieldCoverage
from mjdesk.core.preview.mail import Mail
from mjdesk.core.preview.renderer import Problem, Rendered, is_unsubscribe

GMAIL_CLIP_BYTES = 102 * 1024
"""Gmail cuts a message's HTML off ("[Message clipped]") beyond about 102 KB."""
NEAR_CLIP_BYTES = 90 * 1024

MAX_CASES = 50
"""How many cases a check lists (its reason gives the full count)."""


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class CheckResult:
    key: str
    title: str
    status: Status
    reason: str
    cases: tuple[str, ...] = ()


def _cases(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(items[:MAX_CASES])


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


# ---------------------------------------------------------------- reading the HTML once


@dataclass
class Image:
    src: str
    alt: str | None
    line: int


@dataclass
class Link:
    href: str
    text: str
    line: int
    placeholder: str = ""


@dataclass
class HtmlFacts:
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    css_urls: list[str] = field(default_factory=list)


_IMPORT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""", re.IGNORECASE)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = HtmlFacts()
        self._open: list[tuple[Link, list[str]]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line = self.getpos()[0]
        if tag == "img":
            self.facts.images.append(
                Image((values.get("src") or "").strip(), values.get("alt"), line)
            )
        elif tag == "a" and "href" in values:
            link = Link(
                (values.get("href") or "").strip(),
                "",
                line,
                values.get("data-mj-placeholder") or "",
            )
            self.facts.links.append(link)
            self._open.append((link, []))
        elif tag == "style":
            self._in_style = True
        style = values.get("style")
        if style and "url(" in style.lower():
            self.facts.css_urls.extend(_CSS_URL.findall(style))
        background = values.get("background")
        if background:
            self.facts.css_urls.append(background.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a" and self._open:
            self.handle_endtag("a")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            link, parts = self._open.pop()
            link.text = " ".join("".join(parts).split())
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:  # background images; an @import is a stylesheet, not an image
            self.facts.css_urls.extend(_CSS_URL.findall(_IMPORT.sub("", data)))
        for _link, parts in self._open:
            parts.append(data)


def read_html(html: str) -> HtmlFacts:
    """The images, links and CSS ``url()``s of a rendered HTML part (never raises)."""
    reader = _Reader()
    try:
        reader.feed(html)
        reader.close()
    except (AssertionError, ValueError):  # html.parser's rare complaints on broken markup
        pass
    for link, parts in reader._open:
        link.text = " ".join("".join(parts).split())
    return reader.facts


# ---------------------------------------------------------------- the checks


def check_unsubscribe(mail: Mail, rendered: Rendered) -> CheckResult:
    title = "Unsubscribe link"
    missing = []
    if mail.html.strip() and not any(is_unsubscribe(p) for p in rendered.html_placeholders):
        missing.append("HTML part")
    if mail.text.strip() and not any(is_unsubscribe(p) for p in rendered.text_placeholders):
        missing.append("text part")
    if not mail.html.strip() and not mail.text.strip():
        return CheckResult("unsubscribe", title, Status.FAIL, "The mail has no content.")
    if missing:
        where = " and ".join(missing)
        reason = (
            f"No Mailjet unsubscribe link ([[UNSUB_LINK_EN]] or another language's) in the {where}."
        )
        swallowed = _swallowing_problem(mail, rendered, missing)
        if swallowed is not None:
            reason += (
                f" The mail has one, but the broken tag at {swallowed} may have swallowed it:"
                " fix the template syntax first."
            )
        return CheckResult("unsubscribe", title, Status.FAIL, reason, tuple(missing))
    return CheckResult("unsubscribe", title, Status.PASS, "Every part has an unsubscribe link.")


def _swallowing_problem(mail: Mail, rendered: Rendered, missing: Sequence[str]) -> str | None:
    """Where a template error sits in a part whose source has an unsubscribe placeholder the
    rendering lost (an unclosed tag eats what follows it), or None."""
    sources = {"HTML part": ("html", mail.html), "text part": ("text", mail.text)}
    for label in missing:
        part, source = sources[label]
        if "unsub_link" not in source.lower():
            continue
        for problem in rendered.problems:
            if problem.blocking and problem.part == part:
                return f"{part} line {problem.line}, column {problem.column}"
    return None


def reply_to_of(mail: Mail) -> str:
    if mail.reply_to.strip():
        return mail.reply_to.strip()
    for key, value in mail.headers.items():
        if key.lower() == "reply-to":
            return str(value).strip()
    return ""


def check_envelope(mail: Mail) -> CheckResult:
    title = "Subject, sender and reply-to"
    missing = [
        label
        for label, value in (
            ("subject", mail.subject),
            ("sender address", mail.sender_email),
            ("sender name", mail.sender_name),
        )
        if not value.strip()
    ]
    if missing:
        return CheckResult(
            "envelope", title, Status.FAIL, f"Missing: {', '.join(missing)}.", tuple(missing)
        )
    if not reply_to_of(mail):
        return CheckResult(
            "envelope",
            title,
            Status.WARN,
            "No reply-to: replies go to the sender address.",
            ("reply-to",),
        )
    return CheckResult("envelope", title, Status.PASS, "Subject, sender and reply-to are filled.")


def check_text_part(mail: Mail) -> CheckResult:
    title = "Text part"
    if mail.text.strip():
        return CheckResult("text_part", title, Status.PASS, "The mail has a text part.")
    return CheckResult(
        "text_part",
        title,
        Status.WARN,
        "No text part: some readers and spam filters expect one.",
    )


def check_syntax(problems: Sequence[Problem]) -> CheckResult:
    title = "Template syntax"
    if not problems:
        return CheckResult("syntax", title, Status.PASS, "The template language reads cleanly.")
    blocking = [p for p in problems if p.blocking]
    status = Status.FAIL if blocking else Status.WARN
    first = (blocking or list(problems))[0]
    reason = f"{_n(len(problems), 'problem')}; the first: {first}."
    ordered = blocking + [p for p in problems if not p.blocking]
    return CheckResult("syntax", title, status, reason, _cases([str(p) for p in ordered]))


def _coverage_case(f: FieldCoverage, total: int) -> list[str]:
    """What one field's coverage means for the recipients, in plain words."""
    never_filled = "a campaign never fills var: fields (they come with each API message)"
    if f.empty == total:
        why = never_filled if f.namespace == "var" else "none of them has this property"
        return [f"{f.label}: empty for all {total:,} recipients: {why}"]
    if f.defaulted == total and f.namespace == "var":
        return [f"{f.label}: all {total:,} recipients get the default: {never_filled}"]
    cases = []
    if f.empty:
        cases.append(f"{f.label}: {f.empty:,} of {total:,} recipients get nothing")
    if f.defaulted:
        cases.append(f"{f.label}: {f.defaulted:,} of {total:,} recipients get the default")
    return cases


def check_coverage(coverage: Coverage | None) -> CheckResult:
    """A field empty for every recipient fails (a misspelt property, or a ``var:`` a
    campaign never fills: a visible gap in every copy sent); empty for some, it warns."""
    title = "Merge-field coverage"
    if coverage is None:
        return CheckResult(
            "coverage",
            title,
            Status.WARN,
            "Not worked out: the mail has no list in this workspace.",
        )
    if not coverage.fields:
        return CheckResult("coverage", title, Status.PASS, "The mail uses no merge fields.")
    total = coverage.recipients
    cases = [line for f in coverage.fields for line in _coverage_case(f, total)]
    everyone = [f for f in coverage.fields if f.empty and f.empty == total]
    some = [f for f in coverage.fields if f.empty and f.empty < total]
    if everyone:
        reason = f"{_n(len(everyone), 'field')} empty for every recipient"
        reason += f" ({', '.join(f.label for f in everyone[:3])})"
        if some:
            reason += f", and {_n(len(some), 'more')} for some"
        return CheckResult("coverage", title, Status.FAIL, reason + ".", _cases(cases))
    if some:
        return CheckResult(
            "coverage",
            title,
            Status.WARN,
            f"{_n(len(some), 'field')} would be empty for some recipients.",
            _cases(cases),
        )
    reason = (
        "Every recipient has a value or a default for every field."
        if cases
        else "Every recipient has their own value for every field."
    )
    return CheckResult("coverage", title, Status.PASS, reason, _cases(cases))


def check_size(html: str) -> CheckResult:
    title = "HTML size"
    size = len(html.encode("utf-8"))
    shown = f"{size / 1024:.0f} KB"
    if size > GMAIL_CLIP_BYTES:
        return CheckResult(
            "size", title, Status.FAIL, f"{shown}: Gmail clips messages over about 102 KB."
        )
    if size > NEAR_CLIP_BYTES:
        return CheckResult("size", title, Status.WARN, f"{shown}: close to Gmail's 102 KB clip.")
    return CheckResult("size", title, Status.PASS, f"{shown}, under Gmail's 102 KB clip.")


def check_alt_text(facts: HtmlFacts) -> CheckResult:
    title = "Image descriptions"
    missing = [f"line {i.line}: {i.src or '(no source)'}" for i in facts.images if i.alt is None]
    if missing:
        return CheckResult(
            "alt_text",
            title,
            Status.WARN,
            f"{_n(len(missing), 'image')} without alt text.",
            _cases(missing),
        )
    return CheckResult("alt_text", title, Status.PASS, "Every image has alt text.")


_URL_TEXT = re.compile(
    r"(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:[/?#]\S*)?\Z", re.I
)


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def check_links(facts: HtmlFacts) -> CheckResult:
    title = "Links"
    failing: list[str] = []
    warning: list[str] = []
    for link in facts.links:
        if link.placeholder:
            continue
        href = link.href
        where = f"line {link.line}"
        scheme = href.split(":", 1)[0].lower() if ":" in href else ""
        if not href or href == "#":
            failing.append(f"{where}: an empty link (“{link.text[:40]}”)")
        elif scheme in ("mailto", "tel", "sms"):
            continue
        elif scheme == "http":
            warning.append(f"{where}: not https: {href}")
        elif scheme not in ("https",):
            warning.append(f"{where}: goes nowhere from an email: {href[:80]}")
        shown_host = _host(link.text) if _URL_TEXT.match(link.text) else ""
        if href and shown_host and shown_host != _host(href):
            failing.append(f"{where}: the text shows {link.text[:60]} but it goes to {href}")
    if failing:
        reason = f"{_n(len(failing), 'link')} empty or showing another address than its target."
        return CheckResult("links", title, Status.FAIL, reason, _cases(failing + warning))
    if warning:
        reason = f"{_n(len(warning), 'link')} not https or not a web address."
        return CheckResult("links", title, Status.WARN, reason, _cases(warning))
    count = sum(1 for link in facts.links if not link.placeholder)
    return CheckResult("links", title, Status.PASS, f"{_n(count, 'link')}, all https.")


def check_remote_images(facts: HtmlFacts) -> CheckResult:
    title = "Remote images"
    remote = [i.src for i in facts.images if i.src.lower().startswith(("http://", "https://"))]
    remote += [u for u in facts.css_urls if u.lower().startswith(("http://", "https://"))]
    hosts = sorted({_host(u) for u in remote} - {""})
    if not remote:
        return CheckResult("remote_images", title, Status.PASS, "No remote images.")
    reason = (
        f"{_n(len(remote), 'remote image')} from {_n(len(hosts), 'host')}: most readers hide "
        "them until the reader allows it."
    )
    return CheckResult("remote_images", title, Status.PASS, reason, _cases(hosts))


def check_sender(address: str, validated: bool | None) -> CheckResult:
    """``validated``: the sender's state in Mailjet's ``/sender`` (None: not known, offline).
    A mail with no sender address (a local file) has nothing to validate: it passes with a
    note, whether or not the senders were read (the envelope check asks for the address)."""
    title = "Sender validated"
    if not address.strip():
        return CheckResult(
            "sender",
            title,
            Status.PASS,
            "Nothing to check: the mail has no sender address (the Mailjet draft sets it).",
        )
    if validated is None:
        return CheckResult(
            "sender", title, Status.WARN, "Not known offline: Mailjet's senders were not read."
        )
    if validated:
        return CheckResult("sender", title, Status.PASS, "Mailjet has validated the sender.")
    return CheckResult(
        "sender",
        title,
        Status.FAIL,
        "Mailjet has not validated the sender address: it will refuse to send.",
    )


def run_checks(
    mail: Mail,
    rendered: Rendered,
    coverage: Coverage | None = None,
    sender_validated: bool | None = None,
) -> list[CheckResult]:
    """Every check of the checklist, in the order it shows them."""
    facts = read_html(rendered.html)
    return [
        check_unsubscribe(mail, rendered),
        check_envelope(mail),
        check_text_part(mail),
        check_syntax(rendered.problems),
        check_coverage(coverage),
        check_size(rendered.html),
        check_alt_text(facts),
        check_links(facts),
        check_remote_images(facts),
        check_sender(mail.sender_email, sender_validated),
    ]


def overall(results: Sequence[CheckResult]) -> Status:
    """The worst status among the results."""
    statuses = {r.status for r in results}
    if Status.FAIL in statuses:
        return Status.FAIL
    return Status.WARN if Status.WARN in statuses else Status.PASS
