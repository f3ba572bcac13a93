"""Query filters for the incident list: ?status=open&severity=SEV1,SEV2&service=api&q=db"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q

from incidents import parsing
from incidents.models import Incident, Service, Severity, Status
from incidents.parsing import parse_id

STATUS_WORDS = ["open", "closed", *Status.values]


def _values(raw: str) -> list[str]:
    return [v.strip() for v in raw.split(",") if v.strip()]


def _quoted(value: str) -> str:
    return repr(value[:50])


def validate_statuses(raw: str) -> None:
    for item in _values(raw):
        if item not in STATUS_WORDS:
            # Values go in params, never into the message itself: Django formats the
            # message with %, so a "%" typed into the filter would break it.
            raise ValidationError(
                "Unknown status %(item)s; use open, closed or one of: %(known)s.",
                params={"item": _quoted(item), "known": ", ".join(Status.values)},
            )


def validate_severities(raw: str) -> None:
    for item in _values(raw):
        if item not in Severity.values:
            raise ValidationError(
                "Unknown severity %(item)s; use SEV1, SEV2, SEV3 or SEV4.",
                params={"item": _quoted(item)},
            )


BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def validate_boolean(raw: str) -> None:
    if raw.strip().lower() not in BOOLEANS:
        raise ValidationError("%(value)s is not true or false.", params={"value": _quoted(raw)})


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, handed to the database in UTC: Python accepts offsets up to a day
    (-18:15) that PostgreSQL refuses, and a time near year 1 or 9999 may not convert."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:  # the one window every entry point uses
            parsing.check_instant(parsed, "That time")
        except parsing.BadValue as problem:
            raise ValidationError(problem.message, code="invalid") from None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("That time is out of range.", code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(
        method="filter_status",
        validators=[validate_statuses],
        help_text="One or more statuses, comma-separated, or 'open' / 'closed'.",
    )
    severity = django_filters.CharFilter(
        method="filter_severity",
        validators=[validate_severities],
        help_text="One or more of SEV1..SEV4, comma-separated.",
    )
    service = django_filters.CharFilter(method="filter_service", help_text="A service id or name.")
    team = django_filters.CharFilter(method="filter_team", help_text="A team id or slug.")
    open = django_filters.CharFilter(
        method="filter_open", validators=[validate_boolean], help_text="true or false."
    )
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, help_text="Text in the ref, title or summary."
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        wanted: set[str] = set()
        closed = False
        for item in _values(value):
            if item == "open":
                wanted.update(Status.open_values())
            elif item == "closed":
                closed = True
            else:
                wanted.add(item)
        condition = Q(status__in=sorted(wanted))
        if closed:
            condition |= ~Q(status__in=Status.open_values())
        return queryset.filter(condition)

    def filter_severity(self, queryset, name, value):
        return queryset.filter(severity__in=_values(value))

    def filter_service(self, queryset, name, value):
        value = value.strip()
        service_id = parse_id(value)
        if service_id is not None:
            return queryset.filter(services__id=service_id)
        service = Service.objects.filter(name__iexact=value).first()
        return queryset.filter(services=service) if service else queryset.none()

    def filter_team(self, queryset, name, value):
        value = value.strip()
        team_id = parse_id(value)
        if team_id is not None:
            return queryset.filter(team_id=team_id)
        return queryset.filter(team__slug=value)

    def filter_open(self, queryset, name, value):
        return queryset.open() if BOOLEANS[value.strip().lower()] else queryset.closed()

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        number = Incident.number_from_ref(value)
        condition = Q(title__icontains=value) | Q(summary__icontains=value)
        if number is not None:
            condition |= Q(number=number)
        return queryset.filter(condition)
