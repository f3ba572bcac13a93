"""What every importer provides. One module per source tool: `pagerduty`, `opsgenie`,
`grafana_oncall`; each reads the tool's public API with a `SourceClient` and never writes
to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..client import SourceClient
from ..document import Document, Note, ScheduleShifts


@dataclass
class Account:
    """A source account read whole and turned into Keel's terms."""

    document: Document  # see document.py; every object carries its `source` id
    notes: list[Note] = field(default_factory=list)  # also in document["notes"]
    unmatched_people: list[str] = field(default_factory=list)  # emails Keel does not know


class Source(Protocol):
    name: str  # "pagerduty" | "opsgenie" | "grafana-oncall", as on the command line
    default_url: str  # the API's base URL when --url is not given

    def read(self, client: SourceClient, *, now: datetime) -> Account:
        """Read the whole account (people, teams, schedules with overrides from `now` for
        the coming weeks, policies, services, integrations, maintenance)."""
        ...

    def oncall(
        self, client: SourceClient, account: Account, *, start: datetime, end: datetime
    ) -> list[ScheduleShifts]:
        """Who the source says is on call in each schedule between start and end (its
        rendered final schedule / timeline / final shifts), for the comparison."""
        ...
