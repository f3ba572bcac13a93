"""On-call panels other pages include with one line: who is on call now and next (the
incident list), my shifts (the profile page); and times shown in a schedule's zone."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.permissions import visible_teams_q
from incidents.oncall import services
from incidents.oncall.models import PersonalCalendar, Schedule

register = template.Library()
MY_SHIFTS_AHEAD = timedelta(days=28)


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    """The time as read on a wall clock in `zone`, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return f"{date_format(local, 'D j M H:i')} {local.tzname()}"


@register.filter
def hours(delta: timedelta) -> str:
    total = int(delta.total_seconds() // 60)
    days, minutes = divmod(total, 24 * 60)
    parts = [f"{days}d"] if days else []
    if minutes // 60:
        parts.append(f"{minutes // 60}h")
    if minutes % 60:
        parts.append(f"{minutes % 60}m")
    return " ".join(parts) or "0m"


@register.filter
def every(layer) -> str:
    """How often a layer hands off: "every day", "every 2 days", "every hour", "every week"."""
    unit = str(layer.shift_unit).rstrip("s")
    if layer.shift_length == 1:
        return f"every {unit}"
    return f"every {layer.shift_length} {unit}s"


@register.simple_tag
def viewer_zone() -> str:
    return timezone.get_current_timezone_name()


@register.inclusion_tag("oncall/_now_and_next.html", takes_context=True)
def oncall_now_and_next(context) -> dict:
    user = context["request"].user
    now = timezone.now()
    schedules = services.with_layers(
        Schedule.objects.filter(visible_teams_q(user)).select_related("team")
    )
    return {"rows": [services.now_and_next(s, now) for s in schedules], "now": now}


@register.inclusion_tag("oncall/_my_shifts.html", takes_context=True)
def my_shifts(context) -> dict:
    request = context["request"]
    now = timezone.now()
    calendar = PersonalCalendar.objects.filter(user=request.user).first()
    return {
        "shifts": services.shifts_of_person(request.user, now, now + MY_SHIFTS_AHEAD),
        "ical_url": calendar
        and request.build_absolute_uri(reverse("oncall:person-feed", args=[calendar.token])),
        "csrf_token": context.get("csrf_token"),
    }
