"""One import from start to end: read the source account, plan or apply it, and after an
apply prove it: the source's own rendering of who is on call over the coming weeks,
compared with Keel's.

The import page splits this in two (`read_source`, then `apply_reading` after the person
looked at the plan) so that the token is used once and never kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from accounts.models import User

from . import engine
from .client import SourceClient, SourceError
from .compare import Difference, compare
from .document import ScheduleShifts
from .report import Report
from .sources.base import Account, Source

# How each tool takes its token (their API references: PagerDuty "Authorization: Token
# token=...", Opsgenie "Authorization: GenieKey ...", Grafana OnCall the bare token). A
# source module may name its own with an `auth_headers(token)` function.
AUTH_HEADERS = {
    "pagerduty": lambda token: {
        "Authorization": f"Token token={token}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    },
    "opsgenie": lambda token: {"Authorization": f"GenieKey {token}"},
    "grafana-oncall": lambda token: {"Authorization": token},
}


# API tokens are printable ASCII without spaces; anything else cannot go in a header.
TOKEN = re.compile(r"^[\x21-\x7e]{1,500}$")


def client_for(source: Source, token: str, url: str | None = None, **options) -> SourceClient:
    """A client for the source's API at `url` (default: the source's own) with its token;
    SourceError for a token no API could have issued, or a URL it would leak over."""
    if not TOKEN.match(token):
        raise SourceError(
            "That is not an API token: a token is up to 500 letters, digits and punctuation, "
            "without spaces."
        )
    base = url or source.default_url
    if not base.startswith("https://") and not (
        base.startswith("http://") and settings.OUTBOUND_ALLOW_PRIVATE
    ):
        # Plain http only inside your own network (a self-hosted Grafana OnCall): the token
        # must not cross the internet in clear.
        raise SourceError(f"Give an https:// URL for the source's API (not {base[:100]!r}).")
    headers = getattr(source, "auth_headers", None) or AUTH_HEADERS.get(
        source.name, lambda token: {"Authorization": token}
    )
    return SourceClient(base, headers(token), **options)


@dataclass
class SourceReading:
    """What was read from the source: the account, and (when asked) the source's own
    on-call over [start, end) to compare with after applying. No secrets."""

    account: Account
    start: datetime
    end: datetime
    expected: list[ScheduleShifts] = field(default_factory=list)


@dataclass
class ImportResult:
    report: Report
    differences: list[Difference] = field(default_factory=list)
    compared: int = 0  # how many schedules were compared (0 for a plan)
    start: datetime | None = None
    end: datetime | None = None

    def text(self) -> str:
        lines = [self.report.text()]
        if self.report.applied:
            period = f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC"
            if not self.differences:
                lines.append(
                    f"On-call comparison, {period}: {self.compared} schedule(s), "
                    "no difference: the same people are on call at the same times."
                )
            else:
                lines.append(
                    f"On-call comparison, {period}: {len(self.differences)} difference(s):"
                )
                lines.extend(f"  - {d}" for d in self.differences)
        return "\n".join(lines)


def read_source(
    source: Source, client: SourceClient, *, now: datetime, weeks: int = 4, oncall: bool = True
) -> SourceReading:
    """Read the account (SourceError when it cannot be), and the source's on-call."""
    account = source.read(client, now=now)
    document = account.document
    notes = document.setdefault("notes", [])
    notes.extend(note for note in account.notes if note not in notes)
    end = now + timedelta(weeks=weeks)
    expected = source.oncall(client, account, start=now, end=end) if oncall else []
    return SourceReading(account, now, end, expected)


def apply_reading(
    reading: SourceReading, *, create_users: bool, actor: User | None = None
) -> ImportResult:
    report = engine.apply(
        reading.account.document, create_users=create_users, now=reading.start, actor=actor
    )
    differences = compare(reading.expected, start=reading.start, end=reading.end)
    return ImportResult(report, differences, len(reading.expected), reading.start, reading.end)


def run_import(
    source: Source,
    client: SourceClient,
    *,
    apply: bool,
    create_users: bool,
    now: datetime,
    weeks: int = 4,
) -> ImportResult:
    """Read the source; plan (changing nothing) or apply and compare the next `weeks`."""
    reading = read_source(source, client, now=now, weeks=weeks, oncall=apply)
    if not apply:
        report = engine.plan(reading.account.document, create_users=create_users, now=now)
        return ImportResult(report)
    return apply_reading(reading, create_users=create_users)
