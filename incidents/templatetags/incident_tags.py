from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils.safestring import mark_safe

from incidents import display
from incidents.markdown import link_href, render_markdown
from incidents.models import IncidentRole, Status, TimelineEvent

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308  (sanitised by nh3)


@register.filter(name="link_href")
def link_href_filter(url: object) -> str:
    """The URL if it may be a link (http, https, mailto), else "": for links that senders
    and people give (an alert's source, an action item's link)."""
    return link_href(url)


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


@register.filter
def when(value: datetime | None) -> str:
    """The one way pages show a moment: a <time> in the viewer's zone, marked with it,
    with the date when it is not today ("15:12 CET", "Nov 21, 15:12 CET")."""
    return display.time_element(value)


@register.filter
def utc_key(value: datetime) -> str:
    return display.utc_key(value)


@register.filter
def back_dated(event: TimelineEvent) -> bool:
    return display.is_back_dated(event)
