"""The local_time template filter shows a time in the viewer's zone and never fails: a
time that zone cannot express (year 1, west of UTC) is shown in UTC, marked."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django.template import Context, Template
from django.utils import timezone

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def render(value: datetime, fmt: str = "M j, H:i") -> str:
    template = Template('{% load incident_tags %}{{ when|local_time:"' + fmt + '" }}')
    return template.render(Context({"when": value}))


def test_times_are_shown_in_the_viewers_zone():
    with timezone.override(NEW_YORK):
        assert render(datetime(2026, 3, 1, 15, 0, tzinfo=UTC)) == "Mar 1, 10:00"
        assert render(datetime(2026, 3, 1, 15, 0, tzinfo=UTC), "H:i T") == "10:00 EST"


def test_year_one_west_of_utc_is_shown_in_utc_not_an_error():
    year_one = datetime(1, 1, 1, 0, 30, tzinfo=UTC)
    with timezone.override(NEW_YORK):
        assert render(year_one) == "Jan 1, 00:30 UTC"
        assert render(year_one, "M j, H:i T") == "Jan 1, 00:30 UTC"


def test_nothing_to_show_is_empty():
    assert render(None) == ""
