"""The table of hostile values, and how to put one into a request.

What people, scripts and senders may send that Keel must answer with a clear 4xx (or take
after cleaning it), never a 500: instants out of any sensible range, offsets no zone has,
dates that do not exist, text PostgreSQL cannot store, numbers too long to read, bodies
too big or too deep to parse. tests/test_hostile.py runs them over every write path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class Raw:
    """JSON text put into a body as it is (not a Python value): what json.dumps cannot
    even produce, such as a 100,000-digit number or 100,000 nested lists."""

    text: str


DEEP_JSON = Raw("[" * 100_000 + "]" * 100_000)
LONG_NUMBER = Raw("9" * 100_000)

# name -> value; a str goes into a form as text, anything goes into a JSON body.
VALUES: dict[str, Any] = {
    "year 1": "0001-01-01T00:00:00Z",
    "year 9999 west": "9999-12-31T23:59:59-12:00",
    "offset +99:00": "2026-06-01T10:00:00+99:00",
    "offset -14:30": "2026-06-01T10:00:00-14:30",
    "impossible date": "2026-02-30",
    "impossible instant": "2026-02-30T10:00:00Z",
    "year 1 date": "0001-01-01",
    "NUL": "a\x00b",
    "lone surrogate": "\ud800",
    "100k-digit number": LONG_NUMBER,
    "100k-digit text": "9" * 100_000,
    "megabyte string": "x" * 1_000_000,
    "deep JSON": DEEP_JSON,
    "huge float": Raw("1e400"),
    "negative": -(2**70),
    "object": {"a\x00": ["\ud800"]},
}
NAMES = list(VALUES)

# Path segments (already %-encoded, as they travel): NUL, a lone surrogate's UTF-8 bytes
# (invalid), invalid UTF-8, a 5,000-digit number, 5,000 characters.
SEGMENTS = ["%00", "%ED%A0%80", "%FF", "9" * 5000, "x" * 5000, "\u00e9%C3"]

_PLACEHOLDER = "\u0001hostile\u0001"


def leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a body a value can go: leaves, and ("key", ...) for each dict key."""
    found: list[tuple] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((*path, ("key", key)))
            found += leaves(inner, (*path, key)) or [(*path, key)]
    elif isinstance(value, list) and value:
        for index, inner in enumerate(value):
            found += leaves(inner, (*path, index)) or [(*path, index)]
    return found


def replaced(body: Any, where: tuple, new: Any) -> Any:
    """A copy of `body` with `new` at `where` (a key renamed to `new`, for ("key", k))."""
    if not where:
        return new
    head, rest = where[0], where[1:]
    if isinstance(head, tuple) and head[0] == "key":
        key = head[1]
        return {(new if k == key else k): v for k, v in body.items()} if not rest else body
    if isinstance(body, dict):
        return {k: (replaced(v, rest, new) if k == head else v) for k, v in body.items()}
    copy = list(body)
    copy[head] = replaced(copy[head], rest, new)
    return copy


def with_value(body: Any, where: tuple, value: Any) -> Any:
    """`body` with a hostile value at `where`; a Raw or a dict-key value goes in as a
    placeholder for `as_json` to swap (a dict key must be text)."""
    if isinstance(value, Raw):
        return replaced(body, where, _PLACEHOLDER)
    if where and isinstance(where[-1], tuple) and not isinstance(value, str):
        return replaced(body, where, _PLACEHOLDER)
    return replaced(body, where, value)


def as_json(body: Any, value: Any) -> str:
    """The JSON text of a body made by `with_value` (ASCII-escaped, so a lone surrogate
    travels as the \\ud800 escape a sender would write)."""
    text = json.dumps(body)
    raw = value.text if isinstance(value, Raw) else json.dumps(value)
    return text.replace(json.dumps(_PLACEHOLDER), raw)


def as_form(body: dict[str, Any], value: Any) -> dict[str, Any]:
    """A form body made by `with_value`, with the value as a browser would send it."""

    def text(item: Any) -> Any:
        if item == _PLACEHOLDER:
            return as_text(value)
        return item if isinstance(item, (str, list, int)) else as_text(item)

    return {text(key): text(item) for key, item in body.items()}


def as_text(value: Any) -> str:
    """A hostile value as a form field's text."""
    if isinstance(value, Raw):
        return value.text
    return value if isinstance(value, str) else json.dumps(value)


def form_encoded(fields: dict[str, Any]) -> str:
    """Fields as a browser encodes them; a lone surrogate goes as its (invalid) UTF-8
    bytes, which is all a browser could send."""

    def one(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    pairs = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{one(str(key))}={one(str(item))}")
    return "&".join(pairs)
