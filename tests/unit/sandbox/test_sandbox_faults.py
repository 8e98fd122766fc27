"""Fault injection from the command line (``--faults``, ``--fault-seed``, ``--latency``) and the
``lost`` fault (issue #14 part 9), through mailjet-rest and our client."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import mailjet_rest
import pytest
import requests

from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.errors import Offline
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.__main__ import build, main
from mjdesk.sandbox.faults import Chance, parse_chances
from mjdesk.sandbox.server import Sandbox

from support.sandbox_fixtures import Practice

FAULTS = "429:0.1,503:0.05,drop:0.02,slow:0.05:0.01,lost:0.02"


def test_fault_specs_are_parsed_and_checked() -> None:
    assert parse_chances("429:0.1, drop:0.02,slow:0.05:30") == [
        Chance("429", 0.1),
        Chance("drop", 0.02),
        Chance("slow", 0.05, 30.0),
    ]
    assert parse_chances("slow:0.5") == [Chance("slow", 0.5, 5.0)]
    refused = {
        "teapot:0.1": "unknown fault",
        "429": "not KIND:PROBABILITY",
        "429:2": "not between 0 and 1",
        "429:0.6,500:0.6": "more than 1",
        "drop:0.1:3": "only slow takes a delay",
    }
    for bad, wording in refused.items():
        with pytest.raises(ValueError, match=wording):
            parse_chances(bad)


@pytest.fixture
def faulty() -> Iterator[tuple[Sandbox, tuple[str, str]]]:
    sandbox = build(["--faults", FAULTS, "--fault-seed", "7"])
    keys = next((a.api_key, a.secret_key) for a in sandbox.store.accounts.values())
    with sandbox:
        yield sandbox, keys


def _outcomes(sandbox: Sandbox, keys: tuple[str, str], count: int) -> list[str]:
    """What each of ``count`` GETs through mailjet-rest met (plain http: it never retries)."""
    seen = []
    with mailjet_rest.Client(auth=keys, api_url=sandbox.url, version="v3", timeout=5) as sdk:
        for _ in range(count):
            try:
                sdk.contactslist.get(filters={"Limit": 1})
            except mailjet_rest.ApiRateLimitError:
                seen.append("429")
            except mailjet_rest.CriticalApiError:
                seen.append("drop")
            except mailjet_rest.ApiError as error:
                seen.append(str(getattr(error, "status_code", None) or "5xx"))
            else:
                seen.append("ok")
    return seen


def test_faults_from_the_command_line_hit_requests_by_chance_repeatably(
    faulty: tuple[Sandbox, tuple[str, str]],
) -> None:
    sandbox, keys = faulty
    first = _outcomes(sandbox, keys, 400)
    counts = Counter(first)
    assert 20 <= counts["429"] <= 60  # about 10 %
    assert 5 <= counts["5xx"] <= 40  # about 5 %
    assert 1 <= counts["drop"] <= 20  # about 2 %
    assert counts["ok"] >= 280  # slow replies (10 ms) and lost (GETs are spared) still answer
    sandbox.faults.set_chances(parse_chances(FAULTS), seed=7)
    assert _outcomes(sandbox, keys, 400) == first


def test_fault_replies_look_like_mailjet_s(faulty: tuple[Sandbox, tuple[str, str]]) -> None:
    sandbox, keys = faulty
    statuses: dict[int, requests.Response] = {}
    with requests.Session() as session:
        session.auth = keys
        for _ in range(300):
            try:
                answer = session.get(sandbox.url + "v3/REST/user", timeout=5)
            except requests.ConnectionError:
                continue
            statuses.setdefault(answer.status_code, answer)
    too_many, unavailable = statuses[429], statuses[503]
    assert too_many.headers["Content-Type"].startswith("text/html")
    assert "<h1>429 Too Many Requests</h1>" in too_many.text
    assert "Retry-After" not in too_many.headers
    body = unavailable.json()
    assert body["StatusCode"] == 503
    assert body["ErrorIdentifier"]


def test_a_lost_write_is_applied_though_its_reply_never_comes(practice: Practice) -> None:
    with MailjetClient(
        practice.key, practice.secret, api_url=practice.url, retry=RetryPolicy(sleep=lambda s: None)
    ) as client:
        practice.sandbox.faults.set("lost")
        assert mj.list_lists(client) == []  # a GET is not a write: answered, fault kept
        with pytest.raises(Offline):
            mj.create_list(client, "Newsletter")
        assert [item.name for item in mj.list_lists(client)] == ["Newsletter"]


def test_latency_and_job_pace_options() -> None:
    sandbox = build(["--latency", "80", "--job-seconds", "0", "--job-rate", "0"])
    assert sandbox.store.options.job_duration(50_000) == 0.0
    keys = next((a.api_key, a.secret_key) for a in sandbox.store.accounts.values())
    with sandbox, requests.Session() as session:
        session.auth = keys
        for _ in range(3):
            started = time.monotonic()
            assert session.get(sandbox.url + "v3/REST/user", timeout=5).status_code == 200
            assert time.monotonic() - started >= 0.08


def test_help_documents_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for wording in ("--faults", "429:0.1,503:0.05,drop:0.02", "lost", "--fault-seed", "--latency"):
        assert wording in text
    with pytest.raises(SystemExit):
        build(["--faults", "teapot:1"])
