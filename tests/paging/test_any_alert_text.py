"""Property: whatever text an alert carries, in whichever format it comes (Alertmanager,
Grafana, PagerDuty Events v2, generic), every page it causes ends delivered or visibly failed
(its reason on the row and in the timeline), never stuck in `pending` or `sending`.

Hypothesis writes the alerts; they go in through the real hooks, the hook's paging runs
eagerly (Celery in-process), and each page goes out by email (Django's outbox), webhook and
Slack (a local receiver)."""

from __future__ import annotations

import itertools
import json

import pytest
from django.core import mail
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incidents.alerts.models import Kind
from incidents.models import Incident, Service
from incidents.paging.models import ContactKind, ContactMethod, Notification
from tests.alerts.helpers import hook_path, make_integration, payload, post

from .helpers import make_policy, webhook_for

serial = itertools.count(1)

# Any text a sender may put in JSON: every code point, lone surrogates included (JSON can
# carry them escaped), with a bias towards line breaks and control characters.
hostile = st.text(
    alphabet=st.one_of(
        st.sampled_from("\n\r\t\x00\x07\x1b\x0b\x0c\x85\u2028\u2029<>&|*_~`"),
        st.characters(codec=None),
    ),
    max_size=300,
)
texts = st.one_of(hostile, st.builds(lambda t, n: (t or "x") * n, hostile, st.integers(1, 400)))


@pytest.fixture
def setup(cast, committed, receiver, eager, settings):
    service = Service.objects.create(name="checkout", team=cast.team)
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=service)
    ContactMethod.objects.create(
        user=cast.responder, kind=ContactKind.EMAIL, address="responder@example.com"
    )
    webhook_for(cast.responder, f"{receiver.url}/hook")
    ContactMethod.objects.create(
        user=cast.responder, kind=ContactKind.SLACK, address=f"{receiver.url}/services/T/B/x"
    )
    keys = {kind: make_integration(service, kind)[1] for kind in Kind.values}
    return keys


def alert(kind: str, text: str, key: str, n: int) -> dict:
    if kind in (Kind.ALERTMANAGER, Kind.GRAFANA):
        name = "alertmanager_firing" if kind == Kind.ALERTMANAGER else "grafana_firing"
        body = payload(name, groupKey=f"{{}}:{{n={n}}}")
        first = body["alerts"][0]
        # No summary: Alertmanager's and Grafana's title is then the description.
        first["annotations"] = {"description": text}
        first["labels"] = {**first["labels"], "n": str(n), "alertname": text[:100] or "a"}
        first["fingerprint"] = f"f{n}"
        body["alerts"] = [first]
        return body
    if kind == Kind.PAGERDUTY:
        body = payload("pagerduty_trigger", routing_key=key, dedup_key=f"k{n}")
        body["payload"]["summary"] = text[:1024]
        return body
    return payload("generic_firing", title=text[:1024], dedup_key=f"k{n}")


@settings(
    max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(kind=st.sampled_from(Kind.values), text=texts)
def test_every_page_of_any_alert_ends_delivered_or_visibly_failed(setup, kind, text):
    n = next(serial)
    before = Incident.objects.count()
    answer = post(hook_path(kind, setup[kind]), alert(kind, text, setup[kind], n), Client())
    assert answer.status_code < 500, answer.content
    event(f"{kind}: {answer.status_code}")
    if answer.status_code >= 400:
        return  # refused with a clear answer (blank title, a lone surrogate): nothing paged
    assert Incident.objects.count() == before + 1
    incident = Incident.objects.latest("pk")
    pages = list(Notification.objects.filter(incident=incident))
    assert len(pages) == 3  # email, webhook and Slack
    for page in pages:
        assert page.status in ("delivered", "failed"), (page.status, page.detail)
        said = incident.events.filter(
            kind="page", data__delivery_id=str(page.delivery_id), data__action=page.status
        )
        assert said.exists(), page.status
        if page.status == "failed":
            assert page.detail
    assert not Notification.objects.filter(status__in=["pending", "sending"]).exists()
    # The messages themselves: one-line subjects, JSON the receivers could read.
    assert all("\n" not in m.subject and len(m.subject) <= 200 for m in mail.outbox)
    mail.outbox.clear()


def test_the_property_reads_what_the_receivers_got(setup, receiver):
    """(A plain check that the setup delivers at all, so the property above cannot pass
    by paging nothing.)"""
    answer = post(hook_path(Kind.GENERIC, setup[Kind.GENERIC]),
                  alert(Kind.GENERIC, "Disk\nfull", "", 0), Client())  # fmt: skip
    assert answer.status_code == 202, answer.content
    assert {r.path for r in receiver.requests} == {"/hook", "/services/T/B/x"}
    assert json.loads(receiver.requests[0].body)
    assert Notification.objects.filter(status="delivered").count() == 3
