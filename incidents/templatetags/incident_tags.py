from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import formats, timezone
from django.utils.safestring import mark_safe

from incidents.markdown import render_markdown
from incidents.models import IncidentRole, Status

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308  (sanitised by nh3)


@register.filter
def duration(delta: timedelta | None) -> str:
    """4d 3h, 2h 5m, 7m 12s: the two largest units, for metrics at a glance."""
    if delta is None:
        return "—"
    seconds = max(int(delta.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


@register.filter
def role_label(value: str) -> str:
    return IncidentRole(value).label if value in IncidentRole.values else value


@register.filter
def status_label(value: str) -> str:
    return Status(value).label if value in Status.values else value


@register.filter(expects_localtime=False)
def local_time(value: datetime | None, fmt: str = "M j, H:i") -> str:
    """A time in the viewer's zone, like |date, but never an error: a time that zone cannot
    express (year 1 seen from America/New_York overflows) is shown in UTC, marked."""
    if not isinstance(value, datetime):
        return ""
    if timezone.is_naive(value):
        return formats.date_format(value, fmt)
    try:
        return formats.date_format(timezone.localtime(value), fmt)
    except (OverflowError, ValueError):
        shown = formats.date_format(value.astimezone(UTC), fmt)
        return shown if "T" in fmt or "e" in fmt else f"{shown} UTC"
