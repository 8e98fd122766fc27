"""resources/NOTICES.txt: the licence notices the About box and the Windows installer show."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution

from packaging.markers import Marker

from mjdesk.core.about import FROM_SOURCE, build_date, notices_text


def test_the_notices_name_every_bundled_distribution() -> None:
    """NOTICES.txt names each distribution mjdesk's dependencies pull in (as installed here,
    so a new dependency, direct or not, fails this until its licence is listed)."""

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    listed = {norm(word) for word in re.findall(r"[\w.-]+", notices_text())}
    seen: set[str] = set()
    todo = [distribution("mjdesk")]
    while todo:
        dist = todo.pop()
        for requirement in dist.requires or []:
            name, _, marker = requirement.partition(";")
            if marker and not Marker(marker).evaluate({"extra": ""}):
                continue
            key = norm(re.split(r"[\s<>=!~\[(]", name.strip(), maxsplit=1)[0])
            if key in seen:
                continue
            seen.add(key)
            try:
                todo.append(distribution(key))
            except PackageNotFoundError:
                continue
    assert seen >= {"pyside6", "mailjet-rest", "pandas"}
    assert sorted(seen - listed) == []


def test_qt_is_named_under_the_lgpl_with_where_its_source_is() -> None:
    text = notices_text()
    assert "(LGPL-3.0-only)" in text
    assert "https://download.qt.io/official_releases/qt/" in text
    assert "replace them with your own build" in text


def test_a_checkout_says_it_runs_from_source() -> None:
    assert build_date() == FROM_SOURCE
