"""The `when` template filter, the one way pages show a moment: the viewer's zone, marked,
and never an error — a time that zone cannot express (year 1, west of UTC) shows in UTC."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django.template import Context, Template
from django.utils import timezone

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def render(value: datetime | None) -> str:
    return Template("{% load incident_tags %}{{ moment|when }}").render(Context({"moment": value}))


def test_times_are_shown_in_the_viewers_zone_and_marked():
    with timezone.override(NEW_YORK):
        html = render(datetime(2025, 3, 1, 15, 0, tzinfo=UTC))
    assert ">Mar 1 2025, 10:00 EST</time>" in html
    assert 'datetime="2025-03-01T15:00:00.000Z"' in html


def test_year_one_west_of_utc_is_shown_in_utc_not_an_error():
    with timezone.override(NEW_YORK):
        html = render(datetime(1, 1, 1, 0, 30, tzinfo=UTC))
    assert "00:30 UTC" in html and "Jan 1" in html


def test_nothing_to_show_is_a_dash():
    assert render(None) == "—"
