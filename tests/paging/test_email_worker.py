"""End to end with a real Celery worker process on the `paging` queue and a real SMTP server
(tests/smtp.py) as the mail server: an Alertmanager alert with no `summary` and a multi-line
`description` (Alertmanager then titles the incident with the description) is paged by email,
and the message arrives. A line break in the title once raised BadHeaderError in the worker,
the page stayed in `sending`, and nothing reached the timeline."""

from __future__ import annotations

from django.test import Client

from incidents.alerts.models import Kind
from incidents.models import Incident, Service
from incidents.paging.models import ContactKind, ContactMethod, Notification
from tests.alerts.helpers import hook_path, make_integration, payload, post
from tests.smtp import MailServer

from .helpers import make_policy
from .test_worker import paging_settings, wait_for  # noqa: F401  (the fixture)
from .worker import purge, start_worker, stop

DESCRIPTION = "Instance db-1 has been down for over 5m.\nJob: http_checks\r\nRunbook: see wiki"


def test_an_alert_with_a_multiline_description_is_paged_by_email_and_arrives(
    cast,
    paging_settings,  # noqa: F811
):
    purge()
    with MailServer() as server:
        worker = start_worker(EMAIL_URL=server.url)
        try:
            checkout = Service.objects.create(name="checkout", team=cast.team)
            make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
            ContactMethod.objects.create(
                user=cast.responder, kind=ContactKind.EMAIL, address="responder@example.com"
            )
            _integration, key = make_integration(checkout, Kind.ALERTMANAGER)
            body = payload("alertmanager_firing")
            body["alerts"] = body["alerts"][:1]
            body["alerts"][0]["annotations"] = {"description": DESCRIPTION}
            answer = post(hook_path(Kind.ALERTMANAGER, key), body, Client())
            assert answer.status_code in (200, 201, 202), answer.content
            wait_for(lambda: server.to("responder@example.com"), worker)
            [message] = server.to("responder@example.com")
            subject = " ".join(str(message["Subject"]).split())
            assert subject.startswith("Page: [")
            assert "Instance db-1 has been down for over 5m. Job: http_checks" in subject
            text = message.get_content().replace("\r\n", "\n")  # CRLF on the wire
            assert "Instance db-1 has been down for over 5m.\nJob: http_checks" in text
            assert "/page/ack/" in text
            wait_for(lambda: Notification.objects.filter(status="delivered").exists(), worker)
            incident = Incident.objects.get()
            wait_for(lambda: incident.events.filter(kind="page", data__action="delivered").exists())
            assert not Notification.objects.exclude(status="delivered").exists()
        finally:
            stop(worker)
