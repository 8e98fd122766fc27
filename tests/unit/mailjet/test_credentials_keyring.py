"""A real OS keyring: keyring's Secret Service backend (gnome-keyring on a private D-Bus session,
set up by ``.ci/with-keyring``) stores, reads and deletes a profile's keys."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from mjdesk.mailjet.credentials import Credentials, CredentialStore, backend_problem

pytestmark = pytest.mark.keyring

KEYS = Credentials("0123456789abcdef0123456789abcdef", "real-keyring-secret-0123456789ab")


@pytest.fixture
def secret_service() -> Any:
    """The Secret Service backend, only inside .ci/with-keyring's throw-away session."""
    if os.environ.get("MJDESK_KEYRING_TESTS") != "secret-service":
        pytest.skip(
            "needs the throw-away Secret Service of .ci/with-keyring (dbus-run-session and "
            "gnome-keyring-daemon); `make test` runs these tests there when both are installed"
        )
    from keyring.backends import SecretService

    try:
        viable = SecretService.Keyring.priority > 0
    except Exception as problem:  # noqa: BLE001 - keyring reports "not viable" by raising
        pytest.fail(f"Secret Service not reachable inside .ci/with-keyring: {problem}")
    assert viable
    return SecretService.Keyring()  # type: ignore[no-untyped-call]


@pytest.fixture
def service() -> str:
    """A service name of its own, so nothing else in the keyring is touched."""
    return f"mjdesk-test-{uuid.uuid4().hex[:8]}"


def test_secret_service_stores_reads_and_deletes_a_profile(
    secret_service: Any, service: str
) -> None:
    store = CredentialStore(secret_service, service=service)
    assert store.load("Dept news") is None
    assert store.save("Dept news", KEYS) is True
    assert store.persistent
    assert store.problem == ""
    # What is in the keyring: one entry, service and profile name, the pair as JSON.
    raw = secret_service.get_password(service, "Dept news")
    assert Credentials.from_json(raw) == KEYS
    assert CredentialStore(secret_service, service=service).load("Dept news") == KEYS
    store.delete("Dept news")
    assert secret_service.get_password(service, "Dept news") is None
    assert CredentialStore(secret_service, service=service).load("Dept news") is None


def test_keyrings_own_choice_is_usable_here(secret_service: Any, service: str) -> None:
    import keyring

    chosen = keyring.get_keyring()
    assert backend_problem(chosen) == ""
    store = CredentialStore(service=service)  # keyring's choice, as the app makes it
    assert store.save("Events", KEYS) is True
    assert secret_service.get_password(service, "Events") is not None
    store.delete("Events")
    assert secret_service.get_password(service, "Events") is None
