"""The fields and base classes every API shape uses: bounded text and times, people and
services named by reference, and the check that a PATCH of nested parts is whole."""

from __future__ import annotations

from datetime import UTC

from django.contrib.auth import get_user_model
from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.permissions import people_visible_to
from incidents import parsing

User = get_user_model()


class TextField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of quietly making them text."""

    default_error_messages = {"not_text": "Must be text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class DateTimeField(serializers.DateTimeField):
    """Times shown in the requester's zone, or in UTC when that zone cannot express them
    (year 1 west of UTC): a time already stored must never make a read fail."""

    def to_representation(self, value):
        try:
            return super().to_representation(value)
        except serializers.ValidationError:
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class InstantField(DateTimeField):
    """An instant inside Keel's one window (parsing.check_instant): the same bound for
    every entry point, so no page can store a time the API would refuse."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        try:
            return parsing.check_instant(parsed, "The time")
        except parsing.BadValue as problem:
            raise serializers.ValidationError(problem.message) from None


class BoundedDateField(serializers.DateField):
    """A calendar date inside Keel's one window (parsing.check_date)."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        try:
            return parsing.check_date(parsed, "The date")
        except parsing.BadValue as problem:
            raise serializers.ValidationError(problem.message) from None


def require_whole(attrs: dict, serializer: serializers.Serializer) -> dict:
    """A nested item (a layer, a step) is always given whole: under PATCH, DRF skips its
    missing fields (and their defaults) as if the item were being patched too, and the
    code that stores it then fails on the missing key. Names what is missing instead."""
    missing = {}
    for name, field in serializer.fields.items():
        if field.read_only or name in attrs:
            continue
        if field.required:
            missing[name] = ["This field is required."]
        elif field.default is not serializers.empty:
            # Not field.get_default(): under PATCH it raises SkipField, which would drop
            # the whole list the item is in, silently.
            attrs[name] = field.default() if callable(field.default) else field.default
    if missing:
        raise serializers.ValidationError(missing)
    return attrs


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
        models.DateTimeField: InstantField,
        models.DateField: BoundedDateField,
    }


class UserSummarySerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name"]


@extend_schema_field(OpenApiTypes.STR)
class UserRefField(serializers.Field):
    """A person, by email address or numeric id, among the people the requester may see
    (accounts.permissions.people_visible_to): someone outside their teams is unknown.
    An import passes `people` in the context: the people it may name, inactive ones it
    created among them."""

    def to_internal_value(self, data):
        request = self.context.get("request")
        incident = self.context.get("incident")
        people = self.context.get("people")
        if people is None:
            people = people_visible_to(request.user, incident) if request else User.objects.none()
        try:
            return parsing.find_person(data, people)
        except parsing.BadValue as exc:
            raise serializers.ValidationError(exc.message) from None

    def to_representation(self, value):
        return value.email


@extend_schema_field(OpenApiTypes.STR)
class ServiceRefField(serializers.Field):
    """A service, by numeric id or by name."""

    def to_internal_value(self, data):
        try:
            return parsing.find_service(data)
        except parsing.BadValue as exc:
            raise serializers.ValidationError(exc.message) from None

    def to_representation(self, value):
        return value.pk
