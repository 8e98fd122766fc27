"""Header words that name each column role, in the languages university lists arrive in.

Matched against a header after `headers.clean_header`, case-insensitively, as whole names:
"E-mail address" is an address column, "Email opt-in" is not.
"""

from __future__ import annotations

import re


def _names(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_MAIL = r"e[-_ ]?mail|mail|courriel|correo|correo electr[oó]nico|posta elettronica|e[-_ ]?post"
EMAIL_HEADER = _names(
    rf"(?:primary |work |personal |contact |your |student |university |uni )?(?:{_MAIL})"
    r"(?:[-_ ]?(?:address|addr|adresse|id|1|\(primary\)))?",
    r"(?:adresse )?(?:e-?mail|mail|courriel)(?:[-_ ]?adresse)?",
    r"address",  # Mailgun and Mailjet's own contact-list CSV call the address column this
    r"mail[-_ ]?adres|sähköposti|e-?posta|email_address",
    r"電子メール|メールアドレス|电子邮件|邮箱|이메일",
)
FIRST_NAME_HEADER = _names(
    r"first[-_ ]?name|firstname|given[-_ ]?names?|forenames?|first",
    r"pr[ée]nom|vorname|nombre|nome|voornaam|fornavn|förnamn|imi[eę]|名|名前|名字",
)
LAST_NAME_HEADER = _names(
    r"last[-_ ]?name|lastname|surname|family[-_ ]?name|second[-_ ]?name|last",
    r"nom(?: de famille)?|nachname|familienname|apellidos?|cognome|achternaam|efternamn",
    r"etternavn|nazwisko|姓",
)
FULL_NAME_HEADER = _names(
    r"(?:full |display |contact |your )?name|full[-_ ]?name|display[-_ ]?name|nom complet",
    r"name des kontakts|nombre completo|nome completo|naam|氏名|姓名",
)
CONSENT_HEADER = _names(
    r"(?:gdpr |marketing |newsletter |mailing )?(?:consent|opt[-_ ]?in|subscribed|subscribe)"
    r"(?: given| status| to (?:marketing|newsletter|emails?))?",
    r"consentement|einwilligung|zustimmung|consentimiento|consenso|toestemming",
    r"accepts?[-_ ]?(?:marketing|emails?|newsletter)|agreed|i agree.*|permission|newsletter",
    r"(?:yes[, ]+)?(?:please )?(?:keep me|send me).*",
)
CONSENT_DATE_HEADER = _names(
    r"(?:consent|opt[-_ ]?in|subscri(?:bed|ption)|sign[-_ ]?up|signed up|agreed)[-_ ]?"
    r"(?:date|time|at|on|timestamp)",
    r"date (?:of )?(?:consent|opt[-_ ]?in|subscription|sign[-_ ]?up)",
    r"date du consentement|einwilligungsdatum|fecha (?:de )?consentimiento|timestamp",
    r"submitted(?: at| on)?|submission date|date submitted|horodateur|zeitstempel",
)
