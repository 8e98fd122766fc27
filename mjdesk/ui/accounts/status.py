"""An honest "Connected / Offline" label for the window's Mailjet account.

``ConnectionStatus`` checks the open profile's keys in the background when the window
opens (and after the accounts change) and says what it found in the status bar.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from mjdesk.core.profiles import PRACTICE_PROFILE
from mjdesk.ui.common.tasks import Pool, TaskRunner

if TYPE_CHECKING:
    from mjdesk.core.work import CancelToken
    from mjdesk.mailjet.account import User
    from mjdesk.mailjet.accounts import Accounts

log = logging.getLogger(__name__)

OFFLINE_TEXT = "Offline: working locally"
OFFLINE_TIP = "No Mailjet account is connected. Everything you do is saved on this computer."


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
