"""The sandbox's HTTPS mode (where mailjet-rest's own retries would apply), its state file, its
entry point, and sandbox conformance for statcounters and send."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.errors import ServerError
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.server import Sandbox

from support.sandbox_fixtures import Practice


def test_https_mode_and_post_is_still_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("cryptography")
    with Sandbox(tls=True) as sandbox:
        assert sandbox.url.startswith("https://127.0.0.1:")
        assert sandbox.ca_file is not None
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sandbox.ca_file))
        key, secret = sandbox.add_account("Secure")
        delays: list[float] = []
        with MailjetClient(
            key, secret, api_url=sandbox.url, retry=RetryPolicy(sleep=delays.append)
        ) as client:
            sandbox.faults.set("503", times=1)
            assert mj.list_lists(client) == []
            assert len(delays) == 1
            sandbox.faults.set("500", times=-1, method="POST")
            with pytest.raises(ServerError):
                mj.create_list(client, "Once")
            sandbox.faults.clear()
    assert sandbox.count("POST", "contactslist") == 1  # the SDK's POST retries are replaced


def test_state_file_round_trip(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    with Sandbox(state_file=state) as first:
        key, secret = first.add_account("Saved")
        answer = requests.post(
            first.url + "v3/REST/contact",
            json={"Email": "kept@example.org"},
            auth=(key, secret),
            timeout=5,
        )
        assert answer.status_code == 201
    assert state.exists()
    with Sandbox(state_file=state) as second:
        found = requests.get(
            second.url + "v3/REST/contact/kept@example.org", auth=(key, secret), timeout=5
        )
        assert found.status_code == 200
        again = requests.post(
            second.url + "v3/REST/contact",
            json={"Email": "kept@example.org"},
            auth=(key, secret),
            timeout=5,
        )
        assert again.status_code == 400  # the email index was rebuilt on load


def test_entry_point_prints_url_and_keys() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mjdesk.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Practice sandbox at http://127.0.0.1:")
        url = first.split()[3]
        process.stdout.readline()
        keys = process.stdout.readline().split(":")[1].split("/")
        key, secret = keys[0].strip(), keys[1].strip()
        answer = requests.get(url + "v3/REST/user", auth=(key, secret), timeout=5)
        assert answer.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_statcounters_requires_its_parameters(practice: Practice) -> None:
    missing = practice.rest("GET", "statcounters", params={"CounterSource": "APIKey"})
    assert missing.status_code == 400
    good = {"CounterSource": "APIKey", "CounterTiming": "Message", "CounterResolution": "Lifetime"}
    assert practice.rest("GET", "statcounters", params=good).status_code == 200
    refused = practice.rest("GET", "statcounters", params={**good, "FromTS": 1})
    assert refused.status_code == 400
    assert practice.rest("GET", "statistics/link-click").status_code == 400


def test_send_global_error_and_envelope(practice: Practice) -> None:
    answer = practice.call("POST", "v3.1/send", json={})
    assert answer.status_code == 400
    assert answer.json()["ErrorCode"] == "mj-0002"
    ok = practice.call(
        "POST",
        "v3.1/send",
        json={
            "Messages": [
                {
                    "From": {"Email": "a@example.org"},
                    "To": [{"Email": "b@example.org"}],
                    "Subject": "S",
                    "TextPart": "T",
                    "CustomID": "c1",
                }
            ]
        },
    )
    assert ok.status_code == 200
    message = ok.json()["Messages"][0]
    assert message["Status"] == "success"
    assert message["CustomID"] == "c1"
    assert message["To"][0]["MessageID"] > 0


def test_draft_create_requires_fields(practice: Practice) -> None:
    answer = practice.rest("POST", "campaigndraft", json={"Subject": "x"})
    assert answer.status_code == 400


def test_no_threads_survive_a_stopped_slow_request() -> None:
    before = set(threading.enumerate())
    with Sandbox() as sandbox:
        key, secret = sandbox.add_account("Slow")
        sandbox.faults.set("slow", delay=30)
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(sandbox.url + "v3/REST/user", auth=(key, secret), timeout=0.2)
    assert set(threading.enumerate()) <= before


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
def test_a_plain_kill_saves_the_state_as_ctrl_c_does(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with subprocess.Popen(
        [sys.executable, "-m", "mjdesk.sandbox", "--seed", "--state", str(state)],
        stdout=subprocess.PIPE,
        text=True,
    ) as running:
        assert running.stdout is not None
        try:
            assert running.stdout.readline().startswith("Practice sandbox at ")
            running.terminate()
            assert running.wait(timeout=30) == 0
        finally:
            running.kill()
    assert json.loads(state.read_text("utf-8"))["accounts"]
