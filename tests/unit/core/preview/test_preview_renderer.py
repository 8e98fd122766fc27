"""Mailjet's template language: every construct, and every class of syntax error reported
with its line and column (never an exception, whatever the input)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.preview.renderer import (
    Part,
    ProblemKind,
    Template,
    compile_template,
    lower_keys,
    render_mail,
)

PEOPLE = lower_keys({"firstname": "Zoë", "Department": "Chemistry", "empty": ""})


def render(source: str, data: dict[str, object] | None = None, **variables: object) -> str:
    return Template(source, Part.TEXT).render(lower_keys(data or PEOPLE), variables).text


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('Hi [[data:firstname:"you"]]', "Hi Zoë"),
        ("Hi [[data:firstname]]", "Hi Zoë"),
        ('Hi [[data:nickname:"you"]]', "Hi you"),
        ("Hi [[data:nickname]]!", "Hi !"),
        ('Hi {{data:firstname:"friend"}}', "Hi Zoë"),
        ('Hi {{data:empty:"friend"}}', "Hi friend"),
        ("Hi [[var:who]]", "Hi Ann"),
        ('Hi {{var:nobody:"there"}}', "Hi there"),
        ('{{var:level:""}}|', "|"),
        ("{{var:user.name}}", "Bo"),
        ("{{ Upper(var:user.name) }}", "BO"),
    ],
)
def test_merge_fields(source: str, expected: str) -> None:
    assert render(source, who="Ann", user={"name": "Bo"}) == expected


def test_contact_properties_match_without_case_and_vars_with_case() -> None:
    assert render("[[data:FIRSTNAME]] [[data:department]]") == "Zoë Chemistry"
    assert render('{{var:Who:"?"}}', who="Ann") == "?"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("registration", "R"), ("refund", "F"), ("other", "E"), ("", "E")],
)
def test_if_elseif_else(value: str, expected: str) -> None:
    source = (
        '{% if var:step == "registration" %}R'
        '{% elseif var:step = "confirmorder" or var:step === "refund" %}F'
        "{% else %}E{% endif %}"
    )
    assert render(source, step=value) == expected


@pytest.mark.parametrize(
    ("condition", "truth"),
    [
        ("var:n > 2", True),
        ("var:n < 2", False),
        ("var:n >= 3", True),
        ("var:n <= 2", False),
        ("var:n != 3", False),
        ("var:n <> 4", True),
        ("(var:n mod 2) = 1", True),
        ("(var:n div 2) = 1", True),
        ("var:n * 2 - 1 = 5", True),
        ("var:n / 2 = 1.5", True),
        ("var:n + 1 = 4", True),
        ("not var:n", False),
        ("var:n and var:missing", False),
        ("var:n xor var:missing", True),
        ("data:department", True),
        ("data:empty", False),
    ],
)
def test_operators(condition: str, truth: bool) -> None:
    assert render(f"{{% if {condition} %}}yes{{% else %}}no{{% endif %}}", n=3) == (
        "yes" if truth else "no"
    )


def test_for_over_a_list_with_set() -> None:
    source = (
        "{% for p in var:products %}{% if (p.id mod 2) = 1 %}odd{% else %}even{% endif %}"
        ":{{p.name}};{% endfor %}{% set total = 2 %}{{total}}"
    )
    products = [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]
    assert render(source, products=products) == "odd:A;even:B;2"
    assert render("{% for p in var:none %}x{% endfor %}") == ""


def test_values_are_escaped_in_html_only() -> None:
    data = {"firstname": "<b>Bo</b>"}
    assert Template("[[data:firstname]]", Part.HTML).render(data).text == "&lt;b&gt;Bo&lt;/b&gt;"
    assert Template("[[data:firstname]]", Part.TEXT).render(data).text == "<b>Bo</b>"


def test_placeholders_become_inert_links_that_say_what_they_are() -> None:
    source = '<a href="[[UNSUB_LINK_EN]]">Unsubscribe</a> [[PERMALINK]] [[POSTAL_ADDRESS]]'
    rendered = Template(source, Part.HTML).render({})
    assert '<a href="#" data-mj-placeholder="UNSUB_LINK_EN" title="unsubscribe link' in (
        rendered.text
    )
    assert '<a href="#" data-mj-placeholder="PERMALINK"' in rendered.text
    assert 'data-mj-placeholder="POSTAL_ADDRESS"' in rendered.text
    assert rendered.placeholders == {"UNSUB_LINK_EN", "PERMALINK", "POSTAL_ADDRESS"}
    share = Template('<a href="https://fb.com/s?u=[[SHORT_PERMALINK]]">x</a>', Part.HTML)
    assert share.render({}).text == '<a href="https://fb.com/s?u=#mj-SHORT_PERMALINK">x</a>'
    text = Template("Leave: [[UNSUB_LINK_FR]]", Part.TEXT).render({})
    assert text.text == "Leave: [unsubscribe link]"


def test_a_placeholder_inside_a_branch_counts_only_when_it_renders() -> None:
    template = Template("{% if var:x %}[[UNSUB_LINK_EN]]{% endif %}", Part.TEXT)
    assert template.render({}, {"x": 1}).placeholders == {"UNSUB_LINK_EN"}
    assert template.render({}, {}).placeholders == frozenset()


def _problem(source: str) -> tuple[int, int, ProblemKind, bool]:
    template = Template(source, Part.HTML)
    assert len(template.problems) == 1, template.problems
    p = template.problems[0]
    return p.line, p.column, p.kind, p.blocking


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a\n  [[ data:firstname ]]", (2, 3, ProblemKind.SPACE, True)),
        ("a\nb {{ data:firstname }}", (2, 3, ProblemKind.SPACE, False)),
        ("x\n{% if var:a %}open", (2, 1, ProblemKind.UNCLOSED, True)),
        ("{% for p in var:a %}open", (1, 1, ProblemKind.UNCLOSED, True)),
        ("ab{% endif %}", (1, 3, ProblemKind.SYNTAX, True)),
        ("{% else %}", (1, 1, ProblemKind.SYNTAX, True)),
        ("{% elseif var:a %}", (1, 1, ProblemKind.SYNTAX, True)),
        ("{% endfor %}", (1, 1, ProblemKind.SYNTAX, True)),
        ("{% if var:a %}{% endfor %}{% endif %}", (1, 15, ProblemKind.SYNTAX, True)),
        ("{% if %}{% endif %}", (1, 4, ProblemKind.SYNTAX, True)),
        ("{% for p of var:a %}{% endfor %}", (1, 1, ProblemKind.SYNTAX, True)),
        ("{% set = 1 %}", (1, 1, ProblemKind.SYNTAX, True)),
        ("{% include 'x' %}", (1, 1, ProblemKind.UNKNOWN_TAG, False)),
        ("{% if var:a %}{% elsif var:b %}{% endif %}", (1, 18, ProblemKind.UNKNOWN_TAG, True)),
        ("{{#each news}}", (1, 3, ProblemKind.SYNTAX, True)),
        ("{{ var:a + }}", (1, 12, ProblemKind.SYNTAX, True)),
        ("{{ (var:a }}", (1, 4, ProblemKind.SYNTAX, True)),
        ('{{ "open }}', (1, 4, ProblemKind.SYNTAX, True)),
        ("{{ }}", (1, 3, ProblemKind.SYNTAX, True)),
        ("line\n{{ name }}", (2, 4, ProblemKind.UNKNOWN_TAG, False)),
        ("[[NOT_A_PLACEHOLDER]]", (1, 1, ProblemKind.UNKNOWN_TAG, False)),
        ("[[data:first name]]", (1, 1, ProblemKind.SYNTAX, True)),
        ("{{ Shout(var:a) }}", (1, 4, ProblemKind.UNKNOWN_TAG, False)),
        ("text {{ var:a", (1, 6, ProblemKind.SYNTAX, True)),
        ("{% if var:a", (1, 1, ProblemKind.SYNTAX, True)),
        ("[[data:a", (1, 1, ProblemKind.SYNTAX, True)),
    ],
)
def test_syntax_errors_are_reported_where_they_are(
    source: str, expected: tuple[int, int, ProblemKind, bool]
) -> None:
    assert _problem(source) == expected


def test_a_text_kept_as_written_when_it_cannot_be_read() -> None:
    assert render("a [[ data:firstname ]] b") == "a [[ data:firstname ]] b"
    assert render("{% include 'x' %}") == "{% include 'x' %}"
    assert render("{{ var:a + }}") == "{{ var:a + }}"


def test_unknown_properties_when_the_account_is_known() -> None:
    template = Template("[[data:firstname]] {{data:Departement}}", Part.HTML)
    problems = template.unknown_properties(["FirstName", "department"])
    assert [(p.column, p.kind) for p in problems] == [(20, ProblemKind.UNKNOWN_PROPERTY)]


def test_runtime_problems_belong_to_the_recipient() -> None:
    template = Template("{% for x in var:n %}{{x}}{% endfor %}{{ var:n / 0 }}", Part.TEXT)
    rendered = template.render({}, {"n": 5})
    assert [p.kind for p in rendered.problems] == [ProblemKind.RUNTIME, ProblemKind.RUNTIME]
    assert template.render({}, {"n": [1, 2]}).problems[0].message.startswith("cannot work")


def test_fields_are_listed_with_their_defaults() -> None:
    template = Template(
        '[[data:firstname:"you"]] {{var:date}} {% if data:dept %}x{% endif %}', Part.HTML
    )
    assert [(f.namespace, f.name, f.default) for f in template.fields] == [
        ("data", "firstname", "you"),
        ("var", "date", None),
        ("data", "dept", None),
    ]


def test_compiled_templates_are_cached_by_text() -> None:
    assert compile_template("[[data:a]]", Part.HTML) is compile_template("[[data:a]]", Part.HTML)
    assert compile_template("[[data:a]]", Part.HTML) is not compile_template(
        "[[data:a]]", Part.TEXT
    )


def test_render_mail_puts_the_parts_together() -> None:
    mail = Mail(
        MailKind.DRAFT,
        "7",
        "Spring",
        subject='News for [[data:firstname:"you"]]',
        html="<p>Hi {{data:firstname}}</p>[[UNSUB_LINK_EN]]{% if x %}",
        text="Hi [[data:firstname]]",
    )
    rendered = render_mail(mail, {"FirstName": "Ann"}, known_properties=["firstname"])
    assert rendered.subject == "News for Ann"
    assert rendered.html.startswith("<p>Hi Ann</p><a href")
    assert rendered.text == "Hi Ann"
    assert rendered.html_placeholders == {"UNSUB_LINK_EN"}
    assert [(p.part, p.kind) for p in rendered.problems] == [
        ("html", ProblemKind.UNKNOWN_TAG),
        ("html", ProblemKind.UNCLOSED),
    ]


_PIECES = st.sampled_from(
    [
        "[[",
        "]]",
        "{{",
        "}}",
        "{%",
        "%}",
        "if ",
        "elseif ",
        "else",
        "endif",
        "for ",
        " in ",
        "endfor",
        "set ",
        "=",
        "==",
        "data:",
        "var:",
        "mj:",
        ":",
        '"',
        "'",
        "(",
        ")",
        "x",
        "p.id",
        " mod ",
        " and ",
        "not ",
        "1",
        "UNSUB_LINK_EN",
        "PERMALINK",
        "\n",
        " ",
        '<a href="',
        "\\",
        "é",
        "ﷺ",
        "-",
        "*",
        "/",
        "div",
        ",",
        "Upper(",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES | st.text(max_size=5), max_size=40).map("".join), st.sampled_from(Part))
def test_the_renderer_never_raises(source: str, part: Part) -> None:
    template = Template(source, part)
    rendered = template.render(lower_keys({"x": [1, 2], "p": {"id": 1}}), {"x": "a", "p": 3})
    assert isinstance(rendered.text, str)
    for problem in template.problems + rendered.problems:
        assert problem.line >= 1
        assert problem.column >= 1


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    deep = "{% if var:a %}" * 3000 + "x" + "{% endif %}" * 3000
    Template(deep, Part.HTML).render({}, {"a": 1})
    parens = Template("{{" + "(" * 5000 + "1" + ")" * 5000 + "}}", Part.HTML)
    assert parens.problems[0].kind is ProblemKind.SYNTAX
