"""Web Push end to end in Chromium, with no outside push service. The server encrypts a
page with pywebpush and VAPID to a local server playing the push service, which checks the
signature and decrypts it with the subscription's own keys (RFC 8291); Chromium's DevTools
protocol (ServiceWorker.deliverPushMessage) hands that payload to Keel's service worker,
as a push service would. The notification shows severity, ref and title with Acknowledge
and Open; pressing Acknowledge acknowledges through the signed link, stops the escalation
and the worker says so. Chromium finds the app installable, with no console errors."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from accounts.models import Membership, Role, Team
from incidents import lifecycle
from incidents.models import Service, Status
from incidents.paging import delivery, devices, escalate
from incidents.paging.models import Escalation, Notification, PushSubscription
from incidents.paging.providers import webpush
from tests.paging.helpers import make_policy
from tests.push_service import PushService, unb64url
from tests.servers import AsgiServer, shared_database_url

from ..helpers import make_user
from .test_incident_flow import log_in
from .test_incident_page import assert_no_csp_trouble, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.title),
                data: n.data}))"""

# What the browser does when the person presses a notification's Acknowledge button.
PRESS_ACKNOWLEDGE = """async () => {
  const [notification] = await self.registration.getNotifications();
  const event = new NotificationEvent("notificationclick", {notification, action: "acknowledge"});
  let done = Promise.resolve();
  event.waitUntil = (promise) => { done = promise; };
  self.dispatchEvent(event);
  await done;
}"""


def wait_for(page, check, what: str, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        page.wait_for_timeout(100)  # lets Playwright deliver DevTools events meanwhile
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def vapid(settings, asgi_server):
    public, private = webpush.new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:oncall@example.com"
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.SITE_URL = asgi_server  # the links in the page lead to the server under test
    return public


def test_a_pushed_page_is_shown_and_its_acknowledge_stops_the_escalation(
    asgi_server, new_page, vapid
):
    team = Team.objects.create(name="Ops", slug="ops")
    ana = make_user("ana@example.com")
    Membership.objects.create(team=team, user=ana, role=Role.RESPONDER)
    checkout = Service.objects.create(name="checkout", team=team)
    make_policy(team, (5, [{"user": ana.pk}]), service=checkout)
    with PushService() as push_service:
        browser = push_service.browser("ana-phone")
        keys = browser.to_json()["keys"]
        devices.subscribe(ana, browser.endpoint, keys["p256dh"], keys["auth"], "Ana's phone")
        incident = lifecycle.declare(None, title="Checkout 502s", severity="SEV1", team=team,
                                     services=[checkout])  # fmt: skip
        escalation = Escalation.objects.get(incident=incident)
        escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
        delivery.send(Notification.objects.get().pk, datetime.now(UTC))
        assert push_service.refused == []
        [push] = push_service.pushes

    page = watched(new_page)
    page.context.grant_permissions(["notifications"], origin=asgi_server)
    page.goto(f"{asgi_server}/accounts/login/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    cdp = page.context.new_cdp_session(page)
    # Playwright's contexts are off the record, which alone keeps Chromium from offering to
    # install; nothing about the manifest, its icons or the worker may be wrong.
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    assert cdp.send("Page.getAppManifest")["errors"] == []
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))  # fmt: skip
    cdp.send("ServiceWorker.enable")
    registration = wait_for(page, lambda: next(
        (r for r in registrations if r["scopeURL"] == f"{asgi_server}/"), None),
        "the service worker's registration")  # fmt: skip
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": asgi_server, "registrationId": registration["registrationId"],
        "data": json.dumps(push.payload),
    })  # fmt: skip
    [shown] = wait_for(page, lambda: page.evaluate(NOTIFICATIONS), "the notification")
    assert shown["title"] == f"[SEV1] {incident.ref} Checkout 502s"
    assert shown["actions"] == ["Acknowledge", "Open"]
    assert shown["data"]["url"] == f"{asgi_server}{incident.get_absolute_url()}"

    [worker] = page.context.service_workers
    worker.evaluate(PRESS_ACKNOWLEDGE)
    escalation.refresh_from_db()
    incident.refresh_from_db()
    assert (escalation.status, incident.status) == ("acknowledged", Status.INVESTIGATING)
    event = incident.events.get(kind="ack")
    assert event.author == ana and event.data["via"] == "push"
    [said] = wait_for(page, lambda: [n for n in page.evaluate(NOTIFICATIONS)
                               if "Acknowledged" in n["title"]], "the worker's answer")  # fmt: skip
    assert said["body"] == "Acknowledged. Paging has stopped." and said["actions"] == ["Open"]
    assert_no_csp_trouble(page)
    assert page.console_errors == []


# Headless Chromium has no push service to subscribe with (it would reach Google's), so
# the browser's PushManager is played here: it hands back a subscription made with the
# test's own keys, and records the server key the page subscribed with.
FAKE_PUSH_MANAGER = """
(() => {
  const made = %s;
  let current = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    const key = options.applicationServerKey;
    sessionStorage.setItem("subscribedWith", JSON.stringify(Array.from(new Uint8Array(key))));
    current = {
      endpoint: made.endpoint, options: { applicationServerKey: key.buffer },
      toJSON: () => Object.assign({ expirationTime: null }, made), unsubscribe: async () => true,
    };
    return current;
  };
})();
"""


@pytest.fixture
def vapid_server(monkeypatch, settings, transactional_db):
    """A server of its own, started with VAPID keys in its environment."""
    public, private = webpush.new_vapid_keys()
    monkeypatch.setenv("VAPID_PUBLIC_KEY", public)
    monkeypatch.setenv("VAPID_PRIVATE_KEY", private)
    monkeypatch.setenv("VAPID_SUBJECT", "mailto:oncall@example.com")
    server = AsgiServer(shared_database_url()).start()
    yield server.url, public
    server.stop()


def test_enable_notifications_on_this_device_from_the_profile(vapid_server, new_page):
    server, public = vapid_server
    Membership.objects.create(team=Team.objects.create(name="Ops", slug="ops"),
                              user=make_user("ana@example.com"), role=Role.RESPONDER)  # fmt: skip
    with PushService() as push_service:
        browser = push_service.browser("ana-pixel")
        page = watched(new_page)
        page.context.grant_permissions(["notifications"], origin=server)
        page.add_init_script(FAKE_PUSH_MANAGER % json.dumps(browser.to_json()))
        log_in(page, server, "ana@example.com")
        page.goto(f"{server}/accounts/profile/")
        page.get_by_label("Name this device").fill("Ana's Pixel")
        page.get_by_role("button", name="Enable notifications on this device").click()
        method = page.locator(".contact-method", has_text="Ana's Pixel")
        method.wait_for()
        assert "Web Push" in method.inner_text()
        device = PushSubscription.objects.get()
        assert (device.user.email, device.endpoint) == ("ana@example.com", browser.endpoint)
        subscribed_with = json.loads(page.evaluate("sessionStorage.getItem('subscribedWith')"))
        assert bytes(subscribed_with) == unb64url(public)  # the server's VAPID key
        method.get_by_role("button", name="Send me a test page").click()
        page.get_by_text("Test page sent to").wait_for()
        [push] = push_service.pushes
        assert push.vapid_key == public and push.payload["ref"] == "TEST"
        page.on("dialog", lambda dialog: dialog.accept())
        page.locator(".contact-method", has_text="Ana's Pixel").get_by_role(
            "button", name="Remove").click()  # fmt: skip
        page.get_by_text("Removed").wait_for()
        assert not PushSubscription.objects.exists()
    assert_no_csp_trouble(page)
