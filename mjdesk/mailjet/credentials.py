"""API keys and secret keys in the OS keyring: one entry per profile, never a file.

The entry is service ``mjdesk``, user name the profile's name, and a small JSON value holding the
API key and the secret key together. When the computer has no usable keyring (Linux without a
Secret Service, or only a plain-text store), the keys are kept in memory for this run only and
``CredentialStore.problem`` says so in words for the user. There is no plain-text fallback.

Every secret is registered with the log redactor (with its Basic-auth form) as soon as it is
known, so no log line, crash report or error dialog can show it.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from mjdesk.core.logs import register_secret
from mjdesk.core.work import UserError

if TYPE_CHECKING:
    from mjdesk.mailjet.account import User

log = logging.getLogger(__name__)

SERVICE = "mjdesk"
API_URLS = {"default": "https://api.mailjet.com/", "us": "https://api.us.mailjet.com/"}
REGION_NAMES = {"default": "Default (api.mailjet.com)", "us": "US (api.us.mailjet.com)"}


def api_host(region: str) -> str:
    """The Mailjet API server of a region ("api.mailjet.com")."""
    return "api.us.mailjet.com" if region == "us" else "api.mailjet.com"


NO_KEYRING = (
    "This computer has no password store (keyring) that mjdesk can use, so the secret key is "
    "kept only until mjdesk closes and you will be asked for it again next time. mjdesk never "
    "writes it to a file. On Linux, install and unlock GNOME Keyring or KWallet."
)
KEYRING_FAILED = (
    "The computer's password store (keyring) did not answer ({reason}), so the secret key is "
    "kept only until mjdesk closes. mjdesk never writes it to a file."
)


class CredentialsError(UserError):
    """The keyring refused an operation the user asked for; the message is for the user."""


class Credentials:
    """One Mailjet key pair. Its repr never shows the secret.

    A plain class, not a dataclass: the window builds one at start-up, and importing the
    dataclasses machinery would cost more than everything else here.
    """

    __slots__ = ("api_key", "secret_key")
    api_key: str
    secret_key: str

    def __init__(self, api_key: str, secret_key: str) -> None:
        object.__setattr__(self, "api_key", api_key)
        object.__setattr__(self, "secret_key", secret_key)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Credentials are read-only")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credentials) and (self.api_key, self.secret_key) == (
            other.api_key,
            other.secret_key,
        )

    def __hash__(self) -> int:
        return hash((self.api_key, self.secret_key))

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key!r})"

    def basic_token(self) -> str:
        """The Basic-auth value (base64 of ``key:secret``), as it travels in headers."""
        return base64.b64encode(f"{self.api_key}:{self.secret_key}".encode()).decode("ascii")

    def to_json(self) -> str:
        return json.dumps({"format": 1, "api_key": self.api_key, "secret_key": self.secret_key})

    @classmethod
    def from_json(cls, text: str) -> Credentials | None:
        try:
            raw = json.loads(text)
        except ValueError:
            return None
        if not isinstance(raw, dict):
            return None
        key, secret = raw.get("api_key"), raw.get("secret_key")
        if not isinstance(key, str) or not isinstance(secret, str) or not key or not secret:
            return None
        return cls(key, secret)


def protect(credentials: Credentials) -> None:
    """Register the secret and its Basic-auth forms with the log redactor."""
    token = credentials.basic_token()
    register_secret(credentials.secret_key)
    register_secret(token)
    # Without its padding too: some tools strip it, and this form is a part of the padded one.
    register_secret(token.rstrip("="))


def api_url_for(region: str, override: str | None = None) -> str:
    """The API base for a profile's region, unless ``--api-url`` (or practice) overrides it."""
    if override:
        return override
    return API_URLS.get(region, API_URLS["default"])


def backend_problem(backend: Any) -> str:
    """Why ``backend`` cannot keep secrets for mjdesk; empty when it can."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return NO_KEYRING
    if isinstance(backend, chainer.ChainerBackend) and not chainer.ChainerBackend.backends:
        return NO_KEYRING
    kind = type(backend)
    if "plaintext" in kind.__name__.lower() or kind.__module__.startswith("keyrings.alt.file"):
        # keyrings.alt's file backends: a password in a file is what we promise never to do.
        return NO_KEYRING
    return ""


class CredentialStore:
    """Reads, writes and deletes profiles' key pairs; thread-safe (used from network tasks).

    ``backend`` is a keyring backend object; by default keyring's own choice for this computer.
    """

    def __init__(self, backend: Any = None, service: str = SERVICE) -> None:
        self.service = service
        self._backend = backend
        self._resolved = False
        self._usable = False
        self._memory: dict[str, Credentials] = {}
        self._lock = threading.RLock()
        #: why secrets are (at the moment) kept for this run only; empty when the keyring works
        self.problem = ""

    def _keyring(self) -> Any | None:
        """The backend, or None when it cannot be used (decided once per store)."""
        with self._lock:
            if not self._resolved:
                self._resolved = True
                try:
                    if self._backend is None:
                        import keyring

                        self._backend = keyring.get_keyring()
                    reason = backend_problem(self._backend)
                except Exception as exc:  # noqa: BLE001 - any failure to find one means "none"
                    log.warning("No keyring backend: %s", type(exc).__name__)
                    reason = NO_KEYRING
                if reason:
                    log.warning("Keyring not usable (%s): secrets kept for this run only", reason)
                    self.problem = reason
                else:
                    log.info("Keyring backend: %s", type(self._backend).__name__)
                self._usable = not reason
            return self._backend if self._usable else None

    @property
    def persistent(self) -> bool:
        """Whether secrets are kept in the OS keyring (else only for this run)."""
        return self._keyring() is not None and not self.problem

    def _failed(self, action: str, exc: Exception) -> None:
        log.warning("Keyring %s failed: %s: %s", action, type(exc).__name__, exc)
        reason = type(exc).__name__
        self.problem = KEYRING_FAILED.format(reason=reason)

    def save(self, profile: str, credentials: Credentials) -> bool:
        """Keep a profile's key pair; True if in the OS keyring, False if for this run only."""
        protect(credentials)
        with self._lock:
            backend = self._keyring()
            if backend is not None:
                try:
                    backend.set_password(self.service, profile, credentials.to_json())
                except Exception as exc:  # noqa: BLE001 - dbus/keychain errors vary by platform
                    self._failed("write", exc)
                else:
                    self._memory.pop(profile, None)
                    self.problem = ""
                    return True
            self._memory[profile] = credentials
            return False

    def load(self, profile: str) -> Credentials | None:
        """A profile's key pair, or None when none is stored (or the keyring failed)."""
        with self._lock:
            if profile in self._memory:
                return self._memory[profile]
            backend = self._keyring()
            if backend is None:
                return None
            try:
                text = backend.get_password(self.service, profile)
            except Exception as exc:  # noqa: BLE001 - dbus/keychain errors vary by platform
                self._failed("read", exc)
                return None
        if text is None:
            return None
        credentials = Credentials.from_json(text)
        if credentials is None:
            log.warning("The keyring entry for profile %r is not one mjdesk wrote", profile)
            return None
        protect(credentials)
        return credentials

    def delete(self, profile: str) -> None:
        """Forget a profile's key pair (a missing entry is fine); ``CredentialsError`` if the
        keyring refuses, so the user knows the secret is still there."""
        with self._lock:
            self._memory.pop(profile, None)
            backend = self._keyring()
            if backend is None:
                return
            from keyring.errors import PasswordDeleteError

            try:
                if backend.get_password(self.service, profile) is None:
                    return
                backend.delete_password(self.service, profile)
            except PasswordDeleteError:
                return
            except Exception as exc:  # noqa: BLE001 - dbus/keychain errors vary by platform
                self._failed("delete", exc)
                raise CredentialsError(
                    "The keys of this profile could not be removed from the computer's password "
                    f"store ({type(exc).__name__}). Remove the entry “{self.service}” / "
                    f"“{profile}” there by hand."
                ) from None


def verify(credentials: Credentials, api_url: str, *, read_timeout: float = 20.0) -> User:
    """Check a key pair on the spot: who it belongs to (``GET /user``) and that it may read
    contact lists. Raises the typed errors of ``mjdesk.mailjet.errors`` (``WrongCredentials``,
    ``NotAllowed``, ``Offline``, ``Timeout``...) at once, without retries: the user is waiting."""
    from mjdesk.mailjet.account import check_list_access, verify_credentials
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.retry import RetryPolicy

    protect(credentials)
    with MailjetClient(
        credentials.api_key,
        credentials.secret_key,
        api_url=api_url,
        read_timeout=read_timeout,
        retry=RetryPolicy(retries=0),
    ) as client:
        user = verify_credentials(client)
        check_list_access(client)
    return user
