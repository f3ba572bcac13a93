"""Calendar feeds at secret, revocable addresses: no login (calendar apps cannot log in);
the token in the URL is the key. A revoked or unknown token is a plain 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidents.parsing import is_storable

from . import ical, services
from .models import PersonalCalendar, Schedule

PAST, AHEAD = timedelta(days=14), timedelta(days=90)


def _calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def window(now: datetime) -> tuple[datetime, datetime]:
    """The feed's range, from midnight UTC: a shift cut at an edge keeps its start and end
    (and so its UID) all day, instead of looking new to a calendar app at every refresh."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - PAST, midnight + AHEAD


@require_GET
def schedule_feed(request: HttpRequest, token: str) -> HttpResponse:
    if not is_storable(token):  # a NUL cannot even be looked up (PostgreSQL refuses it)
        raise Http404("No such calendar.")
    schedule = services.with_layers(Schedule.objects.filter(calendar_token=token)).first()
    if schedule is None:
        raise Http404("No such calendar.")
    now = timezone.now()
    start, end = window(now)
    shifts = services.final_shifts(schedule, start, end)
    body = ical.build_calendar(
        f"On call: {schedule.name}", f"schedule-{schedule.pk}",
        ((schedule, shift) for shift in shifts), now,
    )  # fmt: skip
    return _calendar_response(body, f"oncall-{schedule.pk}.ics")


@require_GET
def person_feed(request: HttpRequest, token: str) -> HttpResponse:
    if not is_storable(token):
        raise Http404("No such calendar.")
    calendar = PersonalCalendar.objects.filter(token=token).select_related("user").first()
    if calendar is None or not calendar.user.is_active:
        raise Http404("No such calendar.")
    now = timezone.now()
    start, end = window(now)
    mine = services.shifts_of_person(calendar.user, start, end)
    body = ical.build_calendar(
        f"My on-call shifts ({calendar.user.name})", f"person-{calendar.user.pk}",
        mine, now,
    )  # fmt: skip
    return _calendar_response(body, "my-oncall.ics")
