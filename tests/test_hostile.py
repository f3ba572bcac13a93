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
import time
import traceback
from urllib.parse import parse_qsl

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve

from incidents.chat import blocks
from incidents.chat.signing import sign

from .authz_table import ENDPOINTS, Endpoint, setup
from .chat.conftest import SECRET as SLACK_SECRET
from .chat.helpers import proven_link
from .helpers import api_client, declare
from .hostile import (
    DEEP_JSON,
    NAMES,
    SEGMENTS,
    VALUES,
    as_form,
    as_json,
    as_text,
    form_encoded,
    leaves,
    replaced,
    with_value,
)
from .test_authorization import snapshot

APPS = ("accounts", "incidents", "chat", "oncall", "postmortems", "alerts", "paging")
# Columns a request may touch without changing anything a person would notice.
NOT_NOTICED = {"accounts_apitoken": "id, user_id, name, revoked_at"}


def fingerprint() -> dict[str, str]:
    """Every Keel table's rows, hashed by PostgreSQL in one query: cheap enough to take
    around every hostile request (tests/test_authorization.py's snapshot reads them all
    into Python, which is what proves they can be read back: taken after each write)."""
    tables = [m._meta.db_table for a in APPS for m in apps.get_app_config(a).get_models()]
    parts = [  # table and column names from Keel's own models, not from input
        f"SELECT '{t}', md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "  # noqa: S608
        f"FROM (SELECT {NOT_NOTICED.get(t, '*')} FROM {t}) r"
        for t in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


PREFERRED = ["admin", "responder", "viewer", "outsider", "anonymous"]
FORM = "application/x-www-form-urlencoded"
# The values that broke things most: each goes into a second place of every body too.
TWICE = ("year 9999 west", "NUL", "lone surrogate", "impossible date", "offset +99:00")


def person_for(endpoint: Endpoint) -> str:
    """Someone the row lets through (so the hostile value reaches the handler)."""
    for who in PREFERRED:
        code = endpoint.expected[who]
        if code < 400 and not (who == "anonymous" and code in (301, 302, 401)):
            return who
    return "admin"


def writes() -> list[Endpoint]:
    return [e for e in ENDPOINTS if e.method != "get"]


class _Any:
    """Stands in for a row's context to read the shape of its path without a database."""

    def __getattr__(self, name: str) -> _Any:
        return _Any()

    def __getitem__(self, key) -> _Any:
        return _Any()

    def __format__(self, spec: str) -> str:
        return "TEXT"


def reads_text(endpoint: Endpoint) -> bool:
    """Does the row's path carry text the view reads (a token, a ref, a query)?"""
    try:
        with transaction.atomic():
            path = endpoint.path(_Any())
    except Exception:  # the path needs the database: look at it for real
        return True
    if "?" in path:
        return True
    try:  # only text segments resolve with TEXT in them (ids are <int:...>)
        return any("TEXT" in str(v) for v in resolve(path).kwargs.values())
    except Resolver404:
        return False


def reads() -> list[Endpoint]:
    return [e for e in ENDPOINTS if e.method == "get"]


def _at(body, where: tuple):
    for step in where:
        body = body[step]
    return body


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
        self.state = fingerprint()
        self.failures: list[str] = []
        self.expected_5xx = {code for code in endpoint.expected.values() if code >= 500}

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
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if "site-packages" not in f.filename]
            where = ours[-1] if ours else frames[-1]
            self.failures.append(
                f"{label}: 500 {type(exc).__name__}: {str(exc)[:160]} "
                f"at {where.filename.split('/wt/')[-1]}:{where.lineno}"
            )
            self._readable(label)
            self.state = fingerprint()
            return
        # (Slack's endpoints answer 503 until a signing secret is set: that is their row's
        # expected answer; tests/test_hostile.py's Slack tests set one.)
        if response.status_code >= 500 and response.status_code not in self.expected_5xx:
            self.failures.append(f"{label}: {response.status_code} {response.content[:200]!r}")
        after = fingerprint()
        if 400 <= response.status_code < 500 and after != self.state:
            changed = [table for table in after if after[table] != self.state.get(table)]
            self.failures.append(f"{label}: answered {response.status_code} but changed {changed}")
        elif after != self.state:  # something was stored: it must read back
            self._readable(label)
        self.state = after

    def _readable(self, label: str):
        try:
            snapshot()
        except Exception as exc:
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
                    if other != where and name in TWICE:
                        self.send_body(
                            f"{name} at {other}", with_value(self.body, other, value), value
                        )
        texts = [w for w in places if not isinstance(w[-1], tuple) and _at(self.body, w) is not None
                 and isinstance(_at(self.body, w), str)]  # fmt: skip
        if len(texts) > 1:  # and each of those in every text of the body at once
            for name in TWICE:
                body = self.body
                for where in texts:
                    body = replaced(body, where, VALUES[name])
                self.send_body(f"{name} in every text", body, VALUES[name])
        if not self.endpoint.page:
            self.send(f"whole body {DEEP_JSON.text[:3]}...", self.path, DEEP_JSON.text,
                      "application/json")  # fmt: skip
            self.send("whole body lone surrogate", self.path, '"\\ud800"', "application/json")
            self.send("whole body 100k-digit", self.path, "9" * 100_000, "application/json")

    def send_body(self, label: str, body, value) -> None:
        if self.endpoint.page:
            self.send(label, self.path, form_encoded(as_form(body, value)), FORM)
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
        for text in texts:
            for segment in SEGMENTS:
                path = bare.replace(text, segment, 1) + (f"?{query}" if query else "")
                self.send(f"path {text!r} -> {segment[:12]!r}", path, self._plain_body(),
                          self._plain_type())  # fmt: skip
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            for index, name in enumerate(NAMES):
                key, _value = pairs[index % len(pairs)]
                hostile = as_text(VALUES[name])[:20_000]
                tail = form_encoded({**dict(pairs), key: hostile})
                self.send(f"query {key}={name}", f"{bare}?{tail}", None, "")

    def _plain_body(self) -> str | None:
        if self.endpoint.method == "get":
            return None
        if self.endpoint.page:
            return form_encoded(self.body)
        return json.dumps(self.body)

    def _plain_type(self) -> str:
        return FORM if self.endpoint.page else "application/json"


@pytest.mark.parametrize("endpoint", writes(), ids=[e.name for e in writes()])
def test_a_write_answers_hostile_values_with_a_4xx_and_keeps_what_was_stored(cast, endpoint):
    run = Run(cast, endpoint)
    run.body_values()
    run.path_segments()
    assert not run.failures, "\n".join(run.failures)


@pytest.mark.parametrize("endpoint", reads(), ids=[e.name for e in reads()])
def test_a_read_answers_hostile_paths_and_queries_with_a_4xx(db, request, endpoint):
    if not reads_text(endpoint):
        return  # only ids in its path (refused by the URL resolver), no query
    run = Run(request.getfixturevalue("cast"), endpoint)
    run.path_segments()
    assert not run.failures, "\n".join(run.failures)


# --- Slack: signed with the test secret, as tests/chat does -------------------------------

COMMAND = {
    "token": "legacy-unused", "team_id": "T0KEEL", "channel_id": "C0OPS", "user_id": "URESPONDER",
    "command": "/incident", "text": "help", "response_url": "https://hooks.slack.com/commands/1",
    "trigger_id": "1.2.3",
}  # fmt: skip
# What the hostile value follows in the command text, so each command parses it.
COMMAND_TEXTS = ["", "declare SEV2 ", "note {ref} ", "status {ref} ", "page ", "link ",
                 "severity {ref} ", "resolve "]  # fmt: skip


def post_slack(path: str, body: str, *, stamp: str | None = None, signature: str | None = None):
    stamp = str(int(time.time())) if stamp is None else stamp
    signed = sign(SLACK_SECRET, stamp, body.encode("utf-8", "surrogatepass"))
    headers = {"X-Slack-Signature": signature or signed, "X-Slack-Request-Timestamp": stamp}
    with transaction.atomic():
        return Client().post(path, body, content_type=FORM, headers=headers)


@pytest.fixture
def slack(cast, settings):
    settings.SLACK_SIGNING_SECRET = SLACK_SECRET
    proven_link(cast.responder, "URESPONDER")
    return declare(cast)


def test_slash_commands_answer_every_hostile_value_below_500(cast, slack):
    assert post_slack("/slack/commands", form_encoded(COMMAND)).status_code == 200  # signed well
    failures = []
    for index, name in enumerate(NAMES):
        value = as_text(VALUES[name])
        for k, prefix in enumerate(COMMAND_TEXTS):
            field = "text" if k % 3 else list(COMMAND)[(index + k) % len(COMMAND)]
            text = prefix.format(ref=slack.ref) + value if field == "text" else "help"
            body = form_encoded(
                {**COMMAND, "text": text} | ({} if field == "text" else {field: value})
            )
            response = post_slack("/slack/commands", body)
            if response.status_code >= 500:
                failures.append(f"{name} in {field} ({prefix!r}): {response.status_code}")
    snapshot()  # what was stored reads back
    assert not failures, failures


ACTION = {
    "type": "block_actions",
    "user": {"id": "URESPONDER", "username": "someone", "team_id": "T0KEEL"},
    "channel": {"id": "C0OPS", "name": "ops"},
    "response_url": "https://hooks.slack.com/actions/1",
    "actions": [{"action_id": blocks.ACKNOWLEDGE, "block_id": "keel:x", "value": "INC-1:1",
                 "type": "button", "action_ts": "1700000001.000200"}],
}  # fmt: skip


def test_slack_actions_answer_every_hostile_value_below_500(cast, slack):
    failures = []
    action = {**ACTION, "actions": [{**ACTION["actions"][0], "value": f"{slack.ref}:1"}]}
    ok = post_slack("/slack/actions", form_encoded({"payload": json.dumps(action)}))
    assert ok.status_code == 200, ok.content  # signed well, and understood
    places = leaves(action)
    for index, name in enumerate(NAMES):
        value = VALUES[name]
        for where in (places[index % len(places)], places[(index * 5 + 3) % len(places)]):
            payload = as_json(with_value(action, where, value), value)
            response = post_slack("/slack/actions", form_encoded({"payload": payload}))
            if response.status_code >= 500:
                failures.append(f"{name} at {where}: {response.status_code}")
    for whole in (DEEP_JSON.text, '"\\ud800"', "9" * 100_000, "x" * 1_000_000):
        response = post_slack("/slack/actions", form_encoded({"payload": whole}))
        if response.status_code >= 500:
            failures.append(f"whole payload {whole[:5]!r}...: {response.status_code}")
    snapshot()
    assert not failures, failures


@pytest.mark.parametrize("path", ["/slack/commands", "/slack/actions"])
def test_hostile_signature_headers_are_a_401(cast, slack, path):
    body = form_encoded(COMMAND)
    for stamp in ["9" * 5000, "-1", "1e10", "١٢٣", "", " 1"]:
        assert post_slack(path, body, stamp=stamp).status_code == 401, stamp
    for signature in ["v0=" + "x" * 100_000, "v0=\u00e9", "v1=00"]:
        assert post_slack(path, body, signature=signature).status_code == 401, signature
