"""A small configuration document, a database snapshot and a held apply lock, for the
engine's tests."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest
from django.apps import apps
from django.db import connection

from incidents.importing.busy import APPLY_LOCK

# A Monday; the four weeks after it cross Europe/Berlin's change to summer time (28 March).
NOW = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)

DOCUMENT = {
    "version": 1,
    "people": [
        {"email": "ana@example.com", "name": "Ana", "time_zone": "Europe/Berlin"},
        {"email": "ben@example.com", "name": "Ben"},
        {"email": "cy@example.com", "name": "Cy Newcomer", "time_zone": "America/New_York"},
    ],
    "teams": [
        {
            "name": "Payments",
            "slug": "payments",
            "description": "Money in, money out",
            "source": "test:T1",
            "members": [
                {"email": "ana@example.com", "role": "admin"},
                {"email": "ben@example.com", "role": "responder"},
                {"email": "cy@example.com", "role": "responder"},
            ],
            "reminder_intervals": {"sev1": 15, "sev2": 30, "sev3": None, "sev4": None},
            "schedules": [
                {
                    "name": "Primary",
                    "source": "test:S1",
                    "time_zone": "Europe/Berlin",
                    "layers": [
                        {
                            "name": "Weekly",
                            "participants": [
                                "ana@example.com", "ben@example.com", "cy@example.com"
                            ],
                            "shift_length": 1,
                            "shift_unit": "weeks",
                            "handoff_time": "09:00",
                            "start_date": "2027-03-01",
                        },
                        {
                            "name": "Nights",
                            "participants": ["ben@example.com", "ana@example.com"],
                            "shift_length": 1,
                            "shift_unit": "days",
                            "handoff_time": "20:00",
                            "start_date": "2027-03-01",
                            "restrictions": [
                                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "20:00",
                                 "end": "08:00"}
                            ],
                        },
                    ],
                    "overrides": [
                        {"user": "ben@example.com", "start": "2027-03-10T12:00:00Z",
                         "end": "2027-03-10T18:00:00Z"}
                    ],
                }
            ],
            "escalation_policies": [
                {
                    "name": "Default",
                    "source": "test:P1",
                    "repeat": 2,
                    "steps": [
                        {"delay_minutes": 5, "targets": [{"schedule": "Primary"}]},
                        {"delay_minutes": 10, "targets": [{"user": "ana@example.com"},
                                                          {"team": "payments"}]},
                    ],
                }
            ],
            "services": [
                {
                    "name": "checkout",
                    "source": "test:SV1",
                    "description": "Cart and checkout",
                    "escalation_policy": "Default",
                    "integrations": [
                        {"kind": "alertmanager", "name": "prod", "source": "test:I1"},
                        {"kind": "pagerduty", "name": "events"},
                    ],
                    "maintenance": [
                        {"start": "2027-03-20T22:00:00Z", "end": "2027-03-21T02:00:00Z",
                         "reason": "Database upgrade"}
                    ],
                }
            ],
            "chat_channels": [
                {"name": "#payments-incidents", "events": ["declared", "resolved"],
                 "webhook_url": "https://hooks.example.com/services/T0/B0/secret"},
                {"name": "#payments-quiet", "events": ["resolved"]},
            ],
        }
    ],
    "notes": [
        {"object": "schedule Primary (payments)", "reason": "The source rounds handoffs.",
         "instead": "Keel hands off on the hour."}
    ],
}  # fmt: skip


def document() -> dict:
    return copy.deepcopy(DOCUMENT)


# Rows that change by themselves or are not configuration: sessions, axes' attempts.
IGNORED = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table, to prove that something changed nothing."""
    return {
        model._meta.label_lower: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label_lower not in IGNORED and model._meta.managed
    }


@contextmanager
def another_apply_running() -> Iterator[None]:
    """Another process's connection holding the apply lock, as a running apply does."""
    if connection.vendor != "postgresql":
        pytest.skip("the apply lock is PostgreSQL's (SQLite runs one writer anyway)")
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None, port=settings["PORT"] or None, autocommit=True,
    )  # fmt: skip
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [APPLY_LOCK])
        yield
    finally:
        other.close()
