"""API shapes for schedules (DESIGN.md, Contracts: Schedules). Bad input is a 400 that
names the field: an unknown zone, "25:00", a restriction that ends when it starts, an
override that ends before it starts, an empty participant list, a range over 90 days."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from accounts.models import Membership, Team
from accounts.permissions import can_edit_schedules, team_role
from incidents.api.serializers import (
    BoundedDateField,
    InstantField,
    ModelSerializer,
    TextField,
    UserRefField,
    UserSummarySerializer,
    require_whole,
)
from incidents.parsing import BadValue, parse_time_zone

from . import rotation, services
from .models import Override, Schedule, ShiftUnit

CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"}
)
class ClockField(serializers.Field):
    """A local time of day, "HH:MM" (00:00 to 23:59); with allow_24, also "24:00"."""

    default_error_messages = {
        "invalid": "Give a time of day as HH:MM, 00:00 to 23:59 (not {value!r}).",
        "invalid_end": "Give a time of day as HH:MM, 00:00 to 23:59, or 24:00 for the end of "
        "the day (not {value!r}).",
    }

    def __init__(self, *, allow_24: bool = False, **kwargs) -> None:
        self.allow_24 = allow_24
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.allow_24 and data == "24:00":
            return data
        if not isinstance(data, str) or CLOCK.match(data) is None:
            self.fail("invalid_end" if self.allow_24 else "invalid", value=data)
        return data

    def to_representation(self, value):
        return value if isinstance(value, str) else value.strftime("%H:%M")


class RestrictionSerializer(serializers.Serializer):
    """When a layer has someone: on each of `days`, from `start` to `end` local time. An end
    before the start crosses midnight (nights: 18:00 to 08:00); 24:00 is the end of the day;
    an end equal to the start is refused."""

    days = serializers.ListField(
        child=serializers.ChoiceField(choices=rotation.DAY_NAMES), min_length=1, max_length=7
    )
    start = ClockField()
    end = ClockField(allow_24=True)

    def validate(self, attrs):
        require_whole(attrs, self)
        if attrs["end"] == attrs["start"]:
            raise serializers.ValidationError(
                {
                    "end": [
                        "The restriction ends when it starts. For a window across midnight give "
                        "an end before the start (18:00-08:00); for whole days, 00:00-24:00."
                    ]
                }
            )
        attrs["days"] = sorted(set(attrs["days"]), key=rotation.DAY_NAMES.index)
        return attrs


class LayerSerializer(serializers.Serializer):
    name = TextField(max_length=100, required=False, allow_blank=True, default="")
    participants = serializers.ListField(
        child=UserRefField(),
        min_length=1,
        max_length=100,
        error_messages={
            "min_length": "A layer needs at least one participant.",
            "empty": "A layer needs at least one participant.",
        },
        allow_empty=False,
        help_text="People by email or id, in the order they take turns.",
    )
    shift_length = serializers.IntegerField(min_value=1, max_value=1000)
    shift_unit = serializers.ChoiceField(choices=ShiftUnit.choices)
    handoff_time = ClockField(help_text="Local time of day of each handoff, HH:MM.")
    start_date = BoundedDateField(
        help_text="The first handoff is at handoff_time on this date, local time."
    )
    restrictions = RestrictionSerializer(many=True, required=False, default=list, max_length=14)

    def validate(self, attrs):
        require_whole(attrs, self)
        attrs["handoff_time"] = services.parse_clock(attrs["handoff_time"])
        return attrs

    def to_representation(self, layer):
        return {
            "id": layer.pk,
            "name": layer.name,
            "participants": [p.user.email for p in layer.participants.all()],
            "shift_length": layer.shift_length,
            "shift_unit": layer.shift_unit,
            "handoff_time": layer.handoff_time.strftime("%H:%M"),
            "start_date": layer.start_date.isoformat(),
            "restrictions": layer.restrictions,
        }


class ScheduleSerializer(ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    time_zone = TextField(max_length=64, help_text="An IANA time zone name, e.g. Europe/London.")
    layers = LayerSerializer(
        many=True, required=False, max_length=20, help_text="The last layer is on top."
    )
    ical_url = serializers.SerializerMethodField(
        help_text="The schedule's calendar feed: a secret address, no login needed."
    )

    class Meta:
        model = Schedule
        fields = ["id", "name", "team", "time_zone", "layers", "ical_url", "created_at"]
        read_only_fields = ["created_at"]

    def get_ical_url(self, schedule: Schedule) -> str:
        path = reverse("oncall:schedule-feed", args=[schedule.calendar_token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def validate_time_zone(self, value: str) -> str:
        try:
            return parse_time_zone(value)
        except BadValue as problem:
            raise serializers.ValidationError(problem.message) from problem

    def validate_team(self, team: Team) -> Team:
        user = self.context["request"].user
        if team_role(user, team.pk) is None:
            raise serializers.ValidationError(f'Invalid pk "{team.pk}" - object does not exist.')
        if not can_edit_schedules(user, team.pk):
            raise PermissionDenied(f"Only responders of {team} may change its schedules.")
        return team

    def validate(self, attrs):
        team = attrs.get("team") or getattr(self.instance, "team", None)
        members = set(Membership.objects.filter(team=team).values_list("user_id", flat=True))
        if self.instance is not None and "layers" not in attrs and team != self.instance.team:
            kept = self.instance.layers.values_list("participants__user_id", flat=True)
            if any(user_id not in members for user_id in kept if user_id is not None):
                raise serializers.ValidationError(
                    {"team": [f"Some participants are not in {team}: give new layers too."]}
                )
        for number, layer in enumerate(attrs.get("layers") or [], start=1):
            strangers = [u.email for u in layer["participants"] if u.pk not in members]
            if strangers:
                raise serializers.ValidationError(
                    {"layers": [f"Layer {number}: {', '.join(strangers)} is not in {team}."]}
                )
        return attrs

    def create(self, validated):
        layers = validated.pop("layers", [])
        schedule = Schedule.objects.create(**validated)
        services.replace_layers(schedule, layers)
        return schedule

    def update(self, schedule, validated):
        layers = validated.pop("layers", None)
        for field, value in validated.items():
            setattr(schedule, field, value)
        schedule.save()
        if layers is not None:
            services.replace_layers(schedule, layers)
        return schedule

    def to_representation(self, schedule):
        data = super().to_representation(schedule)
        data["layers"] = [
            LayerSerializer().to_representation(layer) for layer in schedule.layers.all()
        ]
        return data


class OverrideSerializer(ModelSerializer):
    user = UserRefField(help_text="The person who covers, by email or id.")

    class Meta:
        model = Override
        fields = ["id", "user", "start", "end", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The override ends before it starts."]})
        schedule = self.context["schedule"]
        if not Membership.objects.filter(team=schedule.team_id, user=attrs["user"]).exists():
            raise serializers.ValidationError(
                {"user": [f"{attrs['user'].email} is not in {schedule.team}."]}
            )
        return attrs


class OnCallQuerySerializer(serializers.Serializer):
    at = InstantField(required=False, help_text="ISO 8601; default now.")


class RangeQuerySerializer(serializers.Serializer):
    start = InstantField(required=False, help_text="ISO 8601; default now.")
    end = InstantField(
        required=False, help_text="ISO 8601; default start + 14 days; at most 90 days after start."
    )

    def validate(self, attrs):
        start = attrs.setdefault("start", self.context["now"])
        end = attrs.setdefault("end", start + timedelta(days=14))
        if end <= start:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        if end - start > services.MAX_RANGE:
            raise serializers.ValidationError({"end": ["Ask for at most 90 days at a time."]})
        return attrs


class OnCallSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    users = UserSummarySerializer(many=True)


class ShiftSerializer(serializers.Serializer):
    user = UserSummarySerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class GapSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ShiftsSerializer(serializers.Serializer):
    shifts = ShiftSerializer(many=True)
    gaps = GapSerializer(many=True)


def shifts_body(found, gaps) -> dict:
    """What ShiftsSerializer gives for these shifts and gaps, built with one person
    serialised once each and one time field: DRF's per-field machinery costs ~50 µs a
    shift, a good part of a second for a schedule at the limits (4,000 shifts in 90 days)."""
    instant = serializers.DateTimeField()
    instant.timezone = timezone.get_current_timezone()  # looked up once, not per value
    show = instant.to_representation
    distinct = list({shift.user.pk: shift.user for shift in found}.values())
    people = {
        person.pk: data
        for person, data in zip(
            distinct, UserSummarySerializer(distinct, many=True).data, strict=True
        )
    }
    return {
        "shifts": [
            {"user": people[f.user.pk], "start": show(f.start), "end": show(f.end)} for f in found
        ],
        "gaps": [{"start": show(g.start), "end": show(g.end)} for g in gaps],
    }


@extend_schema_field(OpenApiTypes.URI)
class _Url(serializers.CharField):
    pass


class CalendarSerializer(serializers.Serializer):
    ical_url = _Url()
