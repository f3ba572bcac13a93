"""Calendar feeds, read back with icalendar the way a calendar app reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import icalendar
import time_machine

from incidents.oncall import services
from incidents.oncall.models import Layer, Override, PersonalCalendar

from .helpers import make_schedule

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


def events(body: bytes) -> list[tuple[str, datetime, datetime]]:
    calendar = icalendar.Calendar.from_ical(body)
    found = [
        (str(e["x-keel-user"]), e.decoded("dtstart"), e.decoded("dtend"))
        for e in calendar.walk("VEVENT")
    ]
    return sorted(found, key=lambda item: item[1])


def london_schedule(cast):
    """A weekly London rotation across the 29 March 2026 change, with an override."""
    schedule = make_schedule(
        cast.team,
        [cast.responder, cast.admin],
        zone="Europe/London",
        shift_unit="weeks",
        start_date=date(2026, 3, 16),
    )
    Override.objects.create(
        schedule=schedule,
        user=cast.viewer,
        start=datetime(2026, 3, 25, 10, tzinfo=UTC),
        end=datetime(2026, 3, 25, 14, tzinfo=UTC),
    )
    return schedule


def test_the_schedule_feed_parsed_back_equals_shifts(cast, client):
    schedule = london_schedule(cast)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/calendars/schedule/{schedule.calendar_token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    # Two weeks back to 90 days ahead, from midnight UTC.
    expected = services.final_shifts(schedule, datetime(2026, 3, 6, tzinfo=UTC),
                                     datetime(2026, 6, 18, tzinfo=UTC))  # fmt: skip
    assert events(response.content) == [(s.user.email, s.start, s.end) for s in expected]
    # Spot-check by hand: the admin's week runs Mon 23 Mar 09:00 GMT (09:00Z) to Mon 30 Mar
    # 09:00 BST (08:00Z), around the viewer's override on Wed 25 Mar 10:00-14:00Z.
    assert ("viewer@example.com", datetime(2026, 3, 25, 10, tzinfo=UTC),
            datetime(2026, 3, 25, 14, tzinfo=UTC)) in events(response.content)  # fmt: skip
    assert ("admin@example.com", datetime(2026, 3, 25, 14, tzinfo=UTC),
            datetime(2026, 3, 30, 8, tzinfo=UTC)) in events(response.content)  # fmt: skip


def test_refreshing_the_feed_the_same_day_gives_the_same_events(cast, client):
    """Calendar apps match events by UID: the shifts cut at the feed's edges must not look
    new at every refresh."""
    schedule = london_schedule(cast)
    url = f"/calendars/schedule/{schedule.calendar_token}.ics"
    with time_machine.travel(NOW, tick=False):
        first = icalendar.Calendar.from_ical(client.get(url).content)
    with time_machine.travel(NOW.replace(hour=17, minute=42), tick=False):
        later = icalendar.Calendar.from_ical(client.get(url).content)

    def uids(calendar):
        return [str(event["uid"]) for event in calendar.walk("VEVENT")]

    assert uids(first) == uids(later) and uids(first)


def test_the_personal_feed_holds_only_that_persons_shifts(cast, client):
    schedule = london_schedule(cast)
    Layer.objects.filter(schedule=schedule).update(handoff_time=time(9))
    calendar = PersonalCalendar.objects.create(user=cast.admin)
    with time_machine.travel(NOW, tick=False):
        body = client.get(f"/calendars/person/{calendar.token}.ics").content
    found = events(body)
    assert found and {who for who, _start, _end in found} == {"admin@example.com"}
    assert found[0] == (
        "admin@example.com",
        datetime(2026, 3, 23, 9, tzinfo=UTC),
        datetime(2026, 3, 25, 10, tzinfo=UTC),
    )


def test_an_unknown_or_revoked_calendar_address_is_a_404(cast, client):
    schedule = london_schedule(cast)
    old = schedule.calendar_token
    schedule.revoke_calendar()
    assert client.get(f"/calendars/schedule/{old}.ics").status_code == 404
    assert client.get("/calendars/person/guess.ics").status_code == 404
