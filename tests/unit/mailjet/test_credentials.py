"""Keys in the keyring (a memory backend here), the no-keyring path, the profile list, and the
on-the-spot check against the sandbox through the real client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked

from mjdesk.core.logs import redact
from mjdesk.core.profiles import PRACTICE_PROFILE, ProfileBook, ProfileError
from mjdesk.mailjet import errors
from mjdesk.mailjet.credentials import (
    API_URLS,
    NO_KEYRING,
    SERVICE,
    Credentials,
    CredentialsError,
    CredentialStore,
    api_url_for,
    backend_problem,
    verify,
)

from support.memory_keyring import MemoryKeyring
from support.sandbox_fixtures import Practice

KEYS = Credentials("0123456789abcdef0123456789abcdef", "fedcba9876543210-unit-secret-key")


def test_credentials_never_show_the_secret() -> None:
    assert KEYS.secret_key not in repr(KEYS)
    assert KEYS.secret_key not in str(KEYS)
    assert Credentials.from_json(KEYS.to_json()) == KEYS
    assert Credentials.from_json("not json") is None
    assert Credentials.from_json(json.dumps({"api_key": "k"})) is None


def test_save_load_delete_one_entry_per_profile(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    assert store.load("Dept") is None
    assert store.save("Dept", KEYS) is True
    assert store.persistent
    assert list(memory_keyring.entries) == [(SERVICE, "Dept")]
    stored = json.loads(memory_keyring.entries[(SERVICE, "Dept")])
    assert stored["api_key"] == KEYS.api_key
    assert stored["secret_key"] == KEYS.secret_key
    assert CredentialStore().load("Dept") == KEYS  # a new run reads it back
    store.delete("Dept")
    assert memory_keyring.entries == {}
    assert store.load("Dept") is None
    store.delete("Dept")  # already gone: fine


def test_secrets_are_redacted_as_soon_as_known(memory_keyring: MemoryKeyring) -> None:
    keys = Credentials("k" * 32, "another-secret-for-redaction-42")
    memory_keyring.entries[(SERVICE, "Old")] = keys.to_json()
    assert CredentialStore().load("Old") == keys
    bare = keys.basic_token().rstrip("=")
    line = f"secret {keys.secret_key} header Basic {keys.basic_token()} bare {bare}"
    assert keys.secret_key not in redact(line)
    assert keys.basic_token().rstrip("=") not in redact(line)


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring], ids=["fail", "null"])
def test_no_usable_backend_keeps_secrets_for_this_run_only(backend: type) -> None:
    store = CredentialStore(backend())
    assert store.save("Dept", KEYS) is False
    assert not store.persistent
    assert store.problem == NO_KEYRING
    assert "only until mjdesk closes" in store.problem
    assert store.load("Dept") == KEYS  # in memory, this run
    assert CredentialStore(backend()).load("Dept") is None  # and gone next run
    store.delete("Dept")
    assert store.load("Dept") is None


def test_empty_chainer_and_plaintext_backends_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    assert backend_problem(chainer.ChainerBackend()) == NO_KEYRING  # type: ignore[no-untyped-call]

    class PlaintextKeyring(MemoryKeyring):
        pass

    assert backend_problem(PlaintextKeyring()) == NO_KEYRING
    assert backend_problem(MemoryKeyring()) == ""


def test_keyring_errors_fall_back_to_memory_and_say_so(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    memory_keyring.fail_with = KeyringLocked("locked")
    assert store.save("Dept", KEYS) is False
    assert "KeyringLocked" in store.problem
    assert store.load("Dept") == KEYS
    memory_keyring.fail_with = None
    assert store.save("Dept", KEYS) is True
    assert store.problem == ""
    memory_keyring.fail_with = KeyringLocked("locked")
    with pytest.raises(CredentialsError, match="could not be removed"):
        store.delete("Dept")


def test_region_urls() -> None:
    assert api_url_for("default") == "https://api.mailjet.com/"
    assert api_url_for("us") == API_URLS["us"] == "https://api.us.mailjet.com/"
    assert api_url_for("us", "http://127.0.0.1:9/") == "http://127.0.0.1:9/"


def test_profile_book_round_trip_without_secrets(tmp_path: Path) -> None:
    path = tmp_path / "config" / "profiles.json"
    book = ProfileBook(path)
    book.add("Dept news", "us")
    book.add("Events")
    with pytest.raises(ProfileError, match="already"):
        book.add("dept NEWS")
    with pytest.raises(ProfileError, match="practice"):
        book.add(PRACTICE_PROFILE)
    with pytest.raises(ProfileError):
        book.add("  ")
    again = ProfileBook(path)
    assert again.names() == ["Dept news", "Events"]
    entry = again.get("Dept news")
    assert entry is not None
    assert entry.region == "us"
    assert entry.created
    assert set(json.loads(path.read_text())["profiles"][0]) == {"name", "region", "created"}
    again.set_region("Dept news", "default")
    again.remove("Events")
    assert ProfileBook(path).names() == ["Dept news"]
    assert not list(path.parent.glob(".profiles-*"))  # no temp file left behind


def test_unreadable_profile_file_means_none(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text("{broken", encoding="utf-8")
    assert len(ProfileBook(path)) == 0


def test_verify_tells_wrong_keys_from_no_network(practice: Practice) -> None:
    user = verify(Credentials(practice.key, practice.secret), practice.url)
    assert user.id
    with pytest.raises(errors.WrongCredentials):
        verify(Credentials(practice.key, "not-the-secret"), practice.url)
    practice.sandbox.faults.set("drop", path="/user")
    with pytest.raises(errors.Offline):
        verify(Credentials(practice.key, practice.secret), practice.url)
    practice.sandbox.faults.set("500", path="/user")
    with pytest.raises(errors.ServerError):
        verify(Credentials(practice.key, practice.secret), practice.url)
    assert practice.sandbox.count("GET", "/user") == 4  # no retries while the user waits
