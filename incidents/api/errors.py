"""JSON errors a person can act on: `detail` always says what went wrong; validation
errors add `errors` per field; a refused transition (409) adds the `allowed` moves."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incidents import locking
from incidents.lifecycle import Conflict, LifecycleError
from keel.errors import error_for_exception


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def _messages(errors) -> list[str]:
    """A field's messages as a flat list: errors inside a list or an object (the third
    service, the label "region") are prefixed with where they are, "2: No service ..."."""
    if isinstance(errors, dict):
        return [
            f"{key}: {message}" for key, value in errors.items() for message in _messages(value)
        ]
    if isinstance(errors, list):
        return [message for item in errors for message in _messages(item)]
    return [str(errors)]


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        return Response(
            {"detail": exc.message, "allowed": exc.allowed}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, LifecycleError):
        body = {"detail": exc.message}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OperationalError) and locking.sqlstate(exc) in locking.CONTENDED:
        # Busy, not broken: a lock held too long, or a deadlock lost on every retry.
        response = Response(
            {"detail": "The incident is busy with other changes; retry in a moment."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "2"
        return response
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        # Django's own refusals (a body over DATA_UPLOAD_MAX_MEMORY_SIZE ...), as JSON.
        return error_for_exception(context["request"], exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        errors = {str(field): _messages(value) for field, value in errors.items()}
        response.data = {"detail": _first_message(errors), "errors": errors}
    if response is not None:
        # A message may quote what was sent; a lone surrogate in it cannot be encoded.
        response.data = encodable(response.data)
    return response


def encodable(data: Any) -> Any:
    """`data` with every string safe to encode as UTF-8 (lone surrogates escaped)."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return data.encode("utf-8", "backslashreplace").decode("utf-8")
        return data
    if isinstance(data, dict):
        return {encodable(key): encodable(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [encodable(item) for item in data]
    return data


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages, for invalid input.",
    )


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    allowed = serializers.ListField(
        child=serializers.CharField(), help_text="The statuses the incident can move to now."
    )
