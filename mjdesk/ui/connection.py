"""Which Mailjet account the window works with, and an honest "Connected / Offline" label.

``Accounts`` is built by the composition root (``app.py``) and handed to the main window: the
profile list, the keyring store, the ``--api-url`` override and, in practice mode, the running
sandbox. ``ConnectionStatus`` checks the open profile's keys in the background when the window
opens (and after the accounts change) and says what it found in the status bar.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from mjdesk.core.paths import AppPaths
from mjdesk.core.profiles import PRACTICE_PROFILE, ProfileBook
from mjdesk.ui.tasks import Pool, TaskRunner

if TYPE_CHECKING:
    from mjdesk.core.contacts import CancelToken
    from mjdesk.mailjet.account import User
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.credentials import Credentials, CredentialStore

log = logging.getLogger(__name__)

OFFLINE_TEXT = "Offline: working locally"
OFFLINE_TIP = "No Mailjet account is connected. Everything you do is saved on this computer."


class _LazyStore:
    """The credential store, made on first use (from whichever thread), shared by copies."""

    def __init__(self, store: CredentialStore | None = None) -> None:
        self._store = store
        self._lock = threading.Lock()

    def get(self) -> CredentialStore:
        with self._lock:
            if self._store is None:
                from mjdesk.mailjet.credentials import CredentialStore

                self._store = CredentialStore()
            return self._store


class PracticeLink:
    """What the window needs from a running practice sandbox (``mjdesk.ui.practice``)."""

    url: str
    credentials: Credentials


class Accounts:
    """The profiles, where their keys are kept, and where Mailjet is (for one run of the app)."""

    def __init__(
        self,
        book: ProfileBook,
        store: CredentialStore | _LazyStore | None = None,
        api_url: str | None = None,  # --api-url: every profile talks to this base instead
        practice: PracticeLink | None = None,
    ) -> None:
        self.book = book
        self._store = store if isinstance(store, _LazyStore) else _LazyStore(store)
        self.api_url = api_url
        self.practice = practice

    @classmethod
    def for_paths(cls, paths: AppPaths, api_url: str | None = None) -> Accounts:
        return cls(ProfileBook(paths.config / "profiles.json"), None, api_url)

    @property
    def store(self) -> CredentialStore:
        """Where the keys are kept (the keyring), opened on first use: after start-up."""
        return self._store.get()

    def practising(self, practice: PracticeLink | None) -> Accounts:
        """The same accounts, with (or without) the practice sandbox connected."""
        return Accounts(self.book, self._store, self.api_url, practice)

    def has_account(self, profile: str) -> bool:
        if profile == PRACTICE_PROFILE:
            return self.practice is not None
        return profile in self.book

    def api_url_for(self, profile: str) -> str:
        if profile == PRACTICE_PROFILE and self.practice is not None:
            return self.practice.url
        from mjdesk.mailjet.credentials import api_url_for

        entry = self.book.get(profile)
        return api_url_for(entry.region if entry else "default", self.api_url)

    def credentials_for(self, profile: str) -> Credentials | None:
        """The profile's key pair (reads the keyring: call it from a background task)."""
        if profile == PRACTICE_PROFILE:
            return self.practice.credentials if self.practice is not None else None
        if profile not in self.book:
            return None
        return self.store.load(profile)

    def client_for(self, profile: str) -> MailjetClient | None:
        """A client for the profile's account, or None without keys (background tasks only:
        one client per thread, closed by the caller)."""
        from mjdesk.mailjet.client import MailjetClient

        credentials = self.credentials_for(profile)
        if credentials is None:
            return None
        return MailjetClient(
            credentials.api_key, credentials.secret_key, api_url=self.api_url_for(profile)
        )


def explain(error: BaseException) -> tuple[str, str]:
    """A short status and a sentence for the user about why keys could not be used."""
    from mjdesk.mailjet import errors
    from mjdesk.mailjet.credentials import CredentialsError

    if isinstance(error, errors.WrongCredentials):
        return "keys refused", (
            "Mailjet did not accept this API key and secret key. Copy both again from Mailjet "
            "(Account settings › REST API › API Key Management), without spaces, and check the "
            "region: a US account needs the US region."
        )
    if isinstance(error, errors.NotAllowed):
        return "key not allowed", (
            "The keys are right, but Mailjet does not let this key read your contact lists. "
            "Use a key with full access, or ask the person who owns the Mailjet account."
        )
    if isinstance(error, errors.Offline):
        return "Mailjet not reachable", (
            "Mailjet could not be reached. Check that this computer is connected to the "
            "internet (or the VPN), then try again."
        )
    if isinstance(error, errors.Timeout):
        return "no answer", (
            "Mailjet did not answer in time. The network may be slow; try again in a moment."
        )
    if isinstance(error, errors.MailjetError):
        return "Mailjet error", type(error).explanation
    if isinstance(error, CredentialsError):
        return "keyring error", str(error)
    return "error", (
        f"Something unexpected went wrong while checking the keys ({type(error).__name__}). "
        "The details are in the log."
    )


class ConnectionStatus(QObject):
    """Keeps the status bar's connection label true to what was last checked."""

    #: True when the open profile's keys were just checked and work
    changed = Signal(bool)

    def __init__(self, label: QLabel, accounts: Accounts, profile: str, runner: TaskRunner) -> None:
        super().__init__(label)
        self.label = label
        self.accounts = accounts
        self.profile = profile
        self.runner = runner
        self.connected = False
        self.user: User | None = None
        self.reason = ""
        self._token: CancelToken | None = None

    def show_pending(self) -> bool:
        """Say what is about to be checked; False when the profile has no account."""
        if not self.accounts.has_account(self.profile):
            self._show(OFFLINE_TEXT, OFFLINE_TIP)
            return False
        self._show(
            f"Connecting: {self.profile}…",
            "Checking this profile's Mailjet keys in the background.",
        )
        return True

    def refresh(self) -> None:
        """Check the open profile's keys again (in the background)."""
        if self._token is not None:
            self._token.cancel()
            self._token = None
        self.connected = False
        self.user = None
        if not self.show_pending():
            self.changed.emit(False)
            return
        accounts, profile = self.accounts, self.profile
        api_url = accounts.api_url_for(profile)

        def work(_cancel: CancelToken) -> User:
            from mjdesk.mailjet.credentials import verify

            credentials = accounts.credentials_for(profile)
            if credentials is None:
                raise _NoKeys
            return verify(credentials, api_url)

        self._token = self.runner.submit(work, self._on_done, self._on_error, pool=Pool.NETWORK)

    def _on_done(self, user: User) -> None:
        from mjdesk.mailjet.credentials import REGION_NAMES

        self._token = None
        self.connected, self.user, self.reason = True, user, ""
        if self.profile == PRACTICE_PROFILE:
            where = "the practice sandbox on this computer (nothing is sent)"
        else:
            entry = self.accounts.book.get(self.profile)
            region = REGION_NAMES.get(entry.region if entry else "default", "")
            kept = (
                "Keys kept in this computer's password store."
                if self.accounts.store.persistent
                else "Keys kept for this run only: no usable password store."
            )
            where = f"Mailjet, {region}. {kept}"
        self._show(
            f"Connected: {self.profile}",
            f"Mailjet account {user.email or user.username} on {where}",
        )
        self.changed.emit(True)

    def _on_error(self, error: Exception) -> None:
        self._token = None
        self.connected, self.user = False, None
        if isinstance(error, _NoKeys):
            short, sentence = (
                "no keys",
                (
                    "This profile's keys are not in this computer's password store. Open "
                    "Settings › Accounts and edit the profile to enter them again."
                ),
            )
        else:
            short, sentence = explain(error)
        self.reason = sentence
        log.info("Profile %r not connected: %s", self.profile, short)
        self._show(f"Offline: {short}", f"{sentence} Everything you do is saved on this computer.")
        self.changed.emit(False)

    def _show(self, text: str, tip: str) -> None:
        self.label.setText(text)
        self.label.setToolTip(tip)
        self.label.setAccessibleDescription(tip)


class _NoKeys(Exception):
    """The profile is listed but its keys are not (or no longer) in the keyring."""
