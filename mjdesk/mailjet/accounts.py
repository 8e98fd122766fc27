"""Which Mailjet accounts this run of mjdesk works with: the profile list, where their keys are
kept (the keyring, opened on first use), the ``--api-url`` override and, in practice mode, the
running sandbox. Built by the composition root (``app.py``) for the window, and usable by any
job below the window (a sync, the command line) to get a client for a profile.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from mjdesk.core.paths import AppPaths
from mjdesk.core.profiles import PRACTICE_PROFILE, ProfileBook

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.credentials import Credentials, CredentialStore


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
    """What the window needs from a running practice sandbox (``mjdesk.ui.shell.practice``)."""

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
