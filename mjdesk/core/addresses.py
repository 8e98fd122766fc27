"""The key an address is stored under, so that one person is one contact."""

from __future__ import annotations

import unicodedata


def clean_typed(email: str) -> str:
    """The address as typed, minus what nobody means: outer spaces, and Unicode in NFC form."""
    return unicodedata.normalize("NFC", email.strip())


def email_key(email: str) -> str:
    """Normalised address: NFC, trimmed, case-folded.

    The local part is case-sensitive in theory, but no mail system in use treats
    ``Ann@x.org`` and ``ann@x.org`` as two people, and two contacts for one person
    would break consent (an unsubscribe recorded on one would not stop the other).
    """
    return clean_typed(email).casefold()
