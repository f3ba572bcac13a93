"""Turning what people and scripts send into ids, people, services, text and times.

Every entry point (API serializers and query parameters, page filters and forms,
lifecycle's last checks) parses through these helpers, so one rule decides what is a
valid id or storable text everywhere. They raise `BadValue` with a message a person can
act on; callers turn it into their own kind of validation error naming the field.

Why strict: `str.isdigit()` is True for "²" and "٣", which `int()` then refuses or reads
as another number; PostgreSQL refuses NUL in text and json; lone surrogates (valid in
JSON's \\ud800 escapes) cannot be encoded as UTF-8. Each of those used to be a 500.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User

from .models import Service

# Ids are bigints: 18 ASCII digits always fit, and nothing else is an id.
_ID = re.compile(r"[0-9]{1,18}")
MAX_ID = 2**63 - 1
MAX_EMAIL = 254
# NUL, and surrogates (in a Python str every one left is alone: JSON's pairs are joined).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A back-dated time may reach this far before the incident was declared.
EARLIEST_BACKDATE = timedelta(days=366)
# How far in the future a time may be, to forgive clock skew.
CLOCK_SKEW = timedelta(minutes=5)
# The one window of dates and instants Keel accepts from anyone (schedules, overrides,
# maintenance, due dates, queries): far enough for any real plan, near enough that date
# arithmetic in any zone never overflows. PostgreSQL stores year 10000 (9999-12-31 at
# -12:00 is 10000-01-01 in UTC), which Python then cannot read back: every page showing
# the row would fail.
EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2199, 12, 31)
# No zone is further from UTC than this (Kiribati +14:00, Baker Island -12:00).
MAX_OFFSET = timedelta(hours=14)


class BadValue(ValueError):
    """A value that cannot be used; `message` says why, in words for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_id(raw: Any) -> int | None:
    """A positive database id from an int or a string of ASCII digits, else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    if isinstance(raw, str) and _ID.fullmatch(raw.strip()):
        value = int(raw.strip())
        return value if value > 0 else None
    return None


def parse_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """A whole number from a query parameter, within [low, high]; `default` when absent."""
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not re.fullmatch(r"-?[0-9]{1,18}", text):
        raise BadValue(f"{name} must be a whole number from {low} to {high}.")
    value = int(text)
    if not low <= value <= high:
        raise BadValue(f"{name} must be a whole number from {low} to {high}.")
    return value


def is_storable(text: str) -> bool:
    """Can PostgreSQL store this text (and this JSON string)?"""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def clean_text(text: str) -> str:
    """A sender's text made storable: NUL and lone surrogates become U+FFFD, as a UTF-8
    decoder shows bytes it cannot read. For senders whose alert must not be lost."""
    if is_storable(text):
        return text
    return _UNSTORABLE.sub("\ufffd", text)


def cleaned(data: Any) -> Any:
    """Parsed JSON with every string (keys too) made storable by `clean_text`."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_text(key): cleaned(value) for key, value in data.items()}
    if isinstance(data, list):
        return [cleaned(item) for item in data]
    return data


def unstorable_place(data: Any) -> tuple[Any, ...] | None:
    """Where in parsed JSON the first string (or key) PostgreSQL cannot store is, as the
    keys and indexes leading to it (a bad key: its dict's path, then the key), or None.
    Iterative: the data may be deep."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if not is_storable(value):
                return where
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(key, str) and not is_storable(key):
                    return (*where, key)
                stack.append((inner, (*where, key)))
        elif isinstance(value, list):
            stack.extend((inner, (*where, index)) for index, inner in enumerate(value))
    return None


def storable_text(raw: Any, name: str, max_length: int) -> str:
    """Text that can be stored and looked up: a string, no NUL, no lone surrogates."""
    if not isinstance(raw, str):
        raise BadValue(f"{name} must be text.")
    if not is_storable(raw):
        raise BadValue(f"{name} contains characters that cannot be stored (NUL or invalid).")
    if len(raw) > max_length:
        raise BadValue(f"{name} is {len(raw)} characters long; the limit is {max_length}.")
    return raw


def _shown(raw: Any) -> str:
    """A value quoted in an error message: short, and safe to encode."""
    text = raw if isinstance(raw, str) else repr(raw)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return repr(text[:60] + "…" if len(text) > 60 else text)


def find_person(raw: Any, people: QuerySet[User]) -> User:
    """One of `people` (already narrowed to who the viewer may name), by email or id."""
    unknown = BadValue(f"No active user {_shown(raw)}: give an email address or a user id.")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise unknown
    pk = parse_id(raw)
    if pk is not None:
        user = people.filter(pk=pk).first()
    elif isinstance(raw, str) and len(raw) <= MAX_EMAIL and is_storable(raw) and raw.strip():
        user = people.filter(email__iexact=raw.strip()).first()
    else:
        user = None
    if user is None:
        raise unknown
    return user


def find_service(raw: Any) -> Service:
    """A service by id or name."""
    unknown = BadValue(f"No service {_shown(raw)}: give a service id or name.")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise unknown
    pk = parse_id(raw)
    if pk is not None:
        service = Service.objects.filter(pk=pk).first()
    elif isinstance(raw, str) and len(raw) <= 100 and is_storable(raw) and raw.strip():
        service = Service.objects.filter(name__iexact=raw.strip()).first()
    else:
        service = None
    if service is None:
        raise unknown
    return service


def check_time(value: datetime, name: str, *, declared_at: datetime | None = None) -> datetime:
    """A time something happened: not in the future, and not more than a year before the
    incident was declared (or, before it exists, a year before now). Such a time is a
    typo, and year 1 cannot even be shown to people west of UTC."""
    now = timezone.now()
    if value > now + CLOCK_SKEW:
        raise BadValue(f"{name} cannot be in the future.")
    earliest = (declared_at or now) - EARLIEST_BACKDATE
    if value < earliest:
        raise BadValue(
            f"{name} cannot be more than a year before the incident was declared "
            f"(earliest {earliest:%Y-%m-%d %H:%M} UTC)."
        )
    return value


def parse_time_zone(raw: Any) -> str:
    """An IANA time zone name, exactly as tzdata spells it (the schedule form and the
    schedules API both read zones here)."""
    if isinstance(raw, str) and len(raw) <= 64 and raw.strip() in zoneinfo.available_timezones():
        return raw.strip()
    raise BadValue(
        f"{_shown(raw)} is not a known time zone: give an IANA name such as Europe/London."
    )


def check_instant(value: datetime, name: str) -> datetime:
    """An instant inside Keel's one window, with an offset some zone really has."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise BadValue(f"{name} has a UTC offset beyond ±14:00, which no time zone has.")
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE or (
        offset is not None and not EARLIEST_DATE <= (value - offset).date() <= LATEST_DATE
    ):
        raise BadValue(f"{name} must be between {EARLIEST_DATE} and {LATEST_DATE}.")
    return value


def check_date(value: date, name: str) -> date:
    """A calendar date inside Keel's one window."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise BadValue(f"{name} must be between {EARLIEST_DATE} and {LATEST_DATE}.")
    return value


def parse_instant(raw: Any, name: str) -> datetime:
    """An ISO 8601 instant with its UTC offset ("2026-06-01T09:00:00+02:00"), checked."""
    problem = BadValue(f"{name} must be a date and time with its offset, like 2026-06-01T09:00Z.")
    if not isinstance(raw, str) or len(raw) > 64 or not is_storable(raw):
        raise problem
    try:
        value = parse_datetime(raw.strip())
    except ValueError:  # well formed but impossible: 2026-02-30, +99:00
        raise BadValue(f"{name}: {_shown(raw)} is not a real date and time.") from None
    if value is None or value.tzinfo is None:
        raise problem
    return check_instant(value, name)
