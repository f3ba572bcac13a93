"""The audit log's filters, shared by the page and the API:
?object_type=schedule&actor=ana&team=3&action=update&since=2026-06-01&until=...&q=primary"""

from __future__ import annotations

import django_filters
from django.db.models import Q

from incidents.filters import UtcDateTimeFilter

from .models import Action, AuditEntry
from .tracked import object_types


class AuditFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        choices=lambda: [(name, name.replace("_", " ")) for name in object_types()],
        empty_label="Any kind of object",
        help_text="What kind of object changed (user, team, schedule, ...).",
    )
    action = django_filters.ChoiceFilter(choices=Action.choices, empty_label="Any action")
    actor = django_filters.CharFilter(
        field_name="actor", lookup_expr="icontains", max_length=254,
        help_text="Part of the email of who did it ('system', 'anonymous').",
    )  # fmt: skip
    team = django_filters.NumberFilter(
        method="filter_team", min_value=1, max_value=2**63 - 1, help_text="A team id."
    )
    since = UtcDateTimeFilter(field_name="at", lookup_expr="gte", help_text="ISO 8601 time.")
    until = UtcDateTimeFilter(field_name="at", lookup_expr="lt", help_text="ISO 8601 time.")
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, help_text="Text in the object's name, id or actor."
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_team(self, queryset, name, value):
        return queryset.for_teams([int(value)])

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(object_name__icontains=value) | Q(object_id=value) | Q(actor__icontains=value)
        )
