"""The API's one request parser: JSON, bounded in size and depth.

DRF reads the body stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, and
json.load raises RecursionError (not ValueError) on deeply nested input: both used to end
in a 500 or an HTML page."""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, serializers, status

from incidents import parsing
from keel.errors import TOO_BIG

# Nothing Keel accepts nests deeper than a few levels; this leaves room and stays far
# below Python's recursion limit for everything that later walks the data.
MAX_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def nesting_depth(data: Any) -> int:
    """How deeply lists and objects nest in parsed JSON (iterative: no recursion)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(TOO_BIG.format(limit=limit))
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(
                raw.decode(encoding), parse_constant=json_constant, parse_float=json_float
            )
        except RecursionError:
            raise exceptions.ParseError(
                f"JSON parse error - nested more than {MAX_DEPTH} levels deep."
            ) from None
        except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if nesting_depth(data) > MAX_DEPTH:
            raise exceptions.ParseError(
                f"JSON parse error - nested more than {MAX_DEPTH} levels deep."
            )
        # One rule for every API write: text PostgreSQL cannot store (a NUL, a lone
        # surrogate from a \\ud800 escape) is refused here, under the field it is in,
        # rather than by each field (or not at all, in a JSON field's keys).
        place = parsing.unstorable_place(data)
        if place is not None:
            field = str(place[0]) if place and isinstance(data, dict) else "non_field_errors"
            inside = "".join(f"[{p!r}]" for p in place[1:])
            raise serializers.ValidationError(
                {field: [f"{inside + ' ' if inside else ''}contains a NUL character or a lone "
                         "surrogate (\\ud800-\\udfff): text that cannot be stored."]}
            )  # fmt: skip
        return data


def json_constant(name: str):
    """NaN and Infinity are not JSON (DRF's STRICT_JSON refuses them the same way)."""
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def json_float(text: str) -> float:
    """1e400 reads as infinity, which no field can use (int(inf) raises OverflowError)."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"Number out of range: {text[:40]!r}")
    return value
