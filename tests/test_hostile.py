"""The hostile-value table (tests/hostile.py) over every write path Keel serves.

The write paths come from the authorization table (tests/authz_table.py), which
tests/test_authorization.py keeps complete against the URL resolver: a new route without a
row fails there, and gets its hostile requests here for free. Each row's body is the one a
real person (or sender) would send; each hostile value goes into one place of it (a field,
a nested field, a dict key, the whole body), rotating so every place meets many values
while the run stays short. Path segments the route reads as text (incident refs, hook
keys, calendar tokens, ack tokens) get hostile segments too, and GET rows with a query
string get hostile query values.

Each answer must be below 500; a 4xx must have changed nothing at all (the whole database
snapshot of tests/test_authorization.py); and whatever a 2xx stored must read back (a year
10000 stored by PostgreSQL cannot be read by Python: every page of the team would fail).
"""

from __future__ import annotations

import json
import traceback
from urllib.parse import parse_qsl, urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from .authz_table import ENDPOINTS, Endpoint, setup
from .helpers import api_client
from .hostile import (
    DEEP_JSON,
    NAMES,
    SEGMENTS,
    VALUES,
    Raw,
    as_json,
    as_text,
    form_encoded,
    leaves,
    with_value,
)
from .test_authorization import snapshot

PREFERRED = ["admin", "responder", "viewer", "outsider", "anonymous"]
HOOK_ROUTES = ("/hooks/", "/v2/enqueue")


def person_for(endpoint: Endpoint) -> str:
    """Someone the row lets through (so the hostile value reaches the handler)."""
    for who in PREFERRED:
        code = endpoint.expected[who]
        if code < 400 and not (who == "anonymous" and code in (301, 302, 401)):
            return who
    return "admin"


def writes() -> list[Endpoint]:
    return [e for e in ENDPOINTS if e.method != "get"]


def token_reads() -> list[Endpoint]:
    """GET rows with text in the path or a query string (feeds, ack links, refs)."""
    return [e for e in ENDPOINTS if e.method == "get"]


class Run:
    """One row's requests as one person, collecting what went wrong."""

    def __init__(self, cast, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.ctx = setup(cast, endpoint.status)
        self.who = person_for(endpoint)
        user = cast.by_name(self.who)
        if endpoint.page:
            self.client = Client()
            if user is not None:
                self.client.force_login(user)
        else:
            self.client = api_client(user)
        self.ctx.user, self.ctx.client = user, self.client
        self.path = endpoint.path(self.ctx)
        self.body = endpoint.body(self.ctx)
        self.state = snapshot()
        self.failures: list[str] = []

    def send(self, label: str, path: str, data: str | None, content_type: str) -> None:
        method = self.endpoint.method.upper()
        try:
            # A savepoint, so a database error in the request cannot poison the test's own
            # transaction (the error is still reported).
            with transaction.atomic():
                if data is None:
                    response = self.client.generic(method, path)
                else:
                    response = self.client.generic(method, path, data, content_type=content_type)
        except Exception as exc:  # noqa: BLE001 - every 500 is reported, with where it came from
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if "/work/" in f.filename and "site-packages" not in f.filename]
            where = ours[-1] if ours else frames[-1]
            self.failures.append(
                f"{label}: 500 {type(exc).__name__}: {str(exc)[:160]} "
                f"at {where.filename.split('/wt/')[-1]}:{where.lineno}"
            )
            self.state = self._readable(label)
            return
        if response.status_code >= 500 and response.status_code != 503:
            self.failures.append(f"{label}: {response.status_code} {response.content[:200]!r}")
        after = self._readable(label)
        if 400 <= response.status_code < 500 and after is not None and after != self.state:
            changed = [k for k in after if after[k] != (self.state or {}).get(k)]
            self.failures.append(f"{label}: answered {response.status_code} but changed {changed}")
        self.state = after

    def _readable(self, label: str):
        try:
            return snapshot()
        except Exception as exc:  # noqa: BLE001
            self.failures.append(f"{label}: what was stored cannot be read back: {exc!r}"[:300])
            raise AssertionError("\n".join(self.failures)) from exc

    def body_values(self) -> None:
        """Each hostile value once, each in the next place of the body, and the whole body."""
        places = leaves(self.body) if isinstance(self.body, dict) else []
        offset = sum(map(ord, self.endpoint.name))
        for index, name in enumerate(NAMES):
            value = VALUES[name]
            if places:
                where = places[(index + offset) % len(places)]
                self.send_body(f"{name} at {where}", with_value(self.body, where, value), value)
                if len(places) > 1:  # and a second place, for the values that matter most
                    other = places[(index * 7 + offset + 1) % len(places)]
                    if other != where and name in ("year 9999 west", "NUL", "lone surrogate",
                                                    "impossible date", "offset +99:00"):  # fmt: skip
                        self.send_body(
                            f"{name} at {other}", with_value(self.body, other, value), value
                        )
        if not self.endpoint.page:
            self.send(f"whole body {DEEP_JSON.text[:3]}...", self.path, DEEP_JSON.text,
                      "application/json")  # fmt: skip
            self.send("whole body lone surrogate", self.path, '"\\ud800"', "application/json")
            self.send("whole body 100k-digit", self.path, "9" * 100_000, "application/json")

    def send_body(self, label: str, body, value) -> None:
        if self.endpoint.page:
            fields = {k: (as_text(value) if v == "\u0001hostile\u0001" else v)
                      for k, v in body.items()}  # fmt: skip
            fields = {(as_text(value) if k == "\u0001hostile\u0001" else k): v
                      for k, v in fields.items()}  # fmt: skip
            fields = {k: (v if isinstance(v, (str, list)) else as_text(v) if isinstance(v, (dict, Raw)) else v)
                      for k, v in fields.items()}  # fmt: skip
            self.send(label, self.path, form_encoded(fields), "application/x-www-form-urlencoded")
        else:
            self.send(label, self.path, as_json(body, value), "application/json")

    def path_segments(self) -> None:
        """Hostile text where the route reads text from the path."""
        bare, _, query = self.path.partition("?")
        try:
            match = resolve(bare)
        except Resolver404:
            return
        texts = [v for v in match.kwargs.values() if isinstance(v, str) and v in bare]
        offset = sum(map(ord, self.endpoint.name))
        for number, text in enumerate(texts):
            for k in range(2):
                segment = SEGMENTS[(offset + number + k) % len(SEGMENTS)]
                path = bare.replace(text, segment, 1) + (f"?{query}" if query else "")
                self.send(f"path {text!r} -> {segment[:12]!r}", path, self._plain_body(),
                          self._plain_type())  # fmt: skip
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            for index, name in enumerate(NAMES):
                key, _value = pairs[index % len(pairs)]
                hostile = as_text(VALUES[name])[:20_000]
                tail = urlencode({**dict(pairs), key: hostile})
                self.send(f"query {key}={name}", f"{bare}?{tail}", None, "")

    def _plain_body(self) -> str | None:
        if self.endpoint.method == "get":
            return None
        if self.endpoint.page:
            return form_encoded(self.body)
        return json.dumps(self.body)

    def _plain_type(self) -> str:
        return "application/x-www-form-urlencoded" if self.endpoint.page else "application/json"


@pytest.mark.parametrize("endpoint", writes(), ids=[e.name for e in writes()])
def test_a_write_answers_hostile_values_with_a_4xx_and_keeps_what_was_stored(cast, endpoint):
    run = Run(cast, endpoint)
    run.body_values()
    run.path_segments()
    assert not run.failures, "\n".join(run.failures)


@pytest.mark.parametrize("endpoint", token_reads(), ids=[e.name for e in token_reads()])
def test_a_read_answers_hostile_paths_and_queries_with_a_4xx(cast, endpoint):
    run = Run(cast, endpoint)
    run.path_segments()
    assert not run.failures, "\n".join(run.failures)
