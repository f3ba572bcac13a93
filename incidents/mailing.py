"""Mail that Keel sends (pages, reminders, notices to admins), built so that no text can
stop it. Titles come from alerts, and alert descriptions carry line breaks, control
characters, even lone surrogates and 100 KB of text: Django refuses a header with a line
break (BadHeaderError) and cannot encode a surrogate, so a page built from such a title
never left. Every caller sends through `send`, which cleans the text and never raises: it
says how it went, as outbound.Result does for HTTP.
"""

from __future__ import annotations

import logging
import re
import smtplib
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage

log = logging.getLogger(__name__)

SUBJECT_LIMIT = 200  # characters; mail clients show far fewer anyway
BODY_LIMIT = 20_000
_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile("[\ud800-\udfff]")


def _valid_unicode(text: str) -> str:
    """Lone surrogates (which no encoding accepts) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def _breaks(c: str) -> bool:
    """A line break, a control or invisible format character (a bidi override could make a
    subject read backwards), or any space: each becomes one plain space. Emoji joiners stay."""
    return unicodedata.category(c)[0] in "CZ" and c not in "\u200c\u200d"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Text for a header or a headline: one line (every line break and control or format
    character becomes a space), valid Unicode, at most `limit` characters."""
    text = _valid_unicode(str(text)[: limit * 4])
    text = "".join(" " if _breaks(c) else c for c in text)
    return shorten(_SPACES.sub(" ", text).strip(), limit)


def plain(text: str, limit: int = BODY_LIMIT) -> str:
    """Text for a body: line breaks and tabs kept, other control characters dropped, valid
    Unicode, at most `limit` characters."""
    text = _valid_unicode(str(text)[: limit * 2]).replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    return shorten(kept, limit)


@dataclass(frozen=True)
class Sent:
    outcome: str  # "delivered", "retry" (the mail server may take it later) or "failed"
    detail: str


def send(subject: str, body: str, to: list[str], from_email: str | None = None) -> Sent:
    """Send one mail to `to`; never raises. Whatever the text, the subject goes as one line
    of at most SUBJECT_LIMIT characters and the body as valid text."""
    recipients = [address for address in to if address]
    if not recipients:
        return Sent("failed", "No address to send to.")
    try:
        message = EmailMessage(
            one_line(subject),
            plain(body),
            from_email or settings.DEFAULT_FROM_EMAIL,
            [one_line(address, 320) for address in recipients],
        )
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        said = "; ".join(
            f"{code} {answer.decode(errors='replace') if isinstance(answer, bytes) else answer}"
            for code, answer in exc.recipients.values()
        )
        return Sent("failed", one_line(f"The mail server refused {', '.join(to)} ({said}).", 300))
    except (smtplib.SMTPException, OSError) as exc:
        return Sent("retry", one_line(f"Could not hand the mail over ({exc}).", 300))
    except Exception as exc:  # a bad address or anything else: trying again will not help
        log.exception("mail to %s could not be built", recipients)
        reason = f"{type(exc).__name__}: {exc}"
        return Sent("failed", one_line(f"The mail could not be sent ({reason}).", 300))
    return Sent("delivered", "Handed to the mail server.")
