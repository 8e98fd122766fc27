"""Who the keys belong to: the credential check, the profile and the account's API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mjdesk.mailjet.replies import JsonObject, first_row

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient


@dataclass(frozen=True)
class User:
    """The Mailjet user behind the keys (``/user``)."""

    id: int
    email: str
    username: str
    locale: str
    timezone: str


@dataclass(frozen=True)
class ApiKey:
    """One API key of the account (``/apikey``); the secret is never read into it."""

    id: int
    api_key: str
    name: str
    is_active: bool
    is_master: bool


def verify_credentials(client: MailjetClient) -> User:
    """A cheap call that proves the keys work (as Mailjet's own tools do, ``GET /user``).

    Raises ``WrongCredentials``, ``Offline``, ``Timeout``... for the UI to tell apart.
    """
    row = client.get_one("user")
    return User(
        int(row.get("ID") or 0),
        str(row.get("Email", "")),
        str(row.get("Username", "")),
        str(row.get("Locale", "")),
        str(row.get("Timezone", "")),
    )


def check_list_access(client: MailjetClient) -> None:
    """A probe that needs the app's own rights: read one list (``NotAllowed`` if refused)."""
    client.get("contactslist", filters={"Limit": 1})


def profile(client: MailjetClient) -> JsonObject:
    """The account's profile (company, names, billing address)."""
    return client.get_one("myprofile")


def api_keys(client: MailjetClient) -> list[ApiKey]:
    """The account's API keys (main and sub-accounts)."""
    return [
        ApiKey(
            int(row["ID"]),
            str(row["APIKey"]),
            str(row.get("Name", "")),
            bool(row.get("IsActive", True)),
            bool(row.get("IsMaster", False)),
        )
        for row in client.get_all("apikey")
    ]


def create_sub_account_key(client: MailjetClient, name: str) -> tuple[str, str]:
    """A new sub-account key pair (the caller stores the secret in the keyring at once)."""
    row = first_row(client.create("apikey", {"Name": name}))
    return str(row["APIKey"]), str(row["SecretKey"])
