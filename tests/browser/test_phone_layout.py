"""Every page fits a phone: opened 390 by 844 px (and 768, and 1280), no page is wider than
the window, so nobody on call has to scroll sideways to read or act.

The pages are not listed by hand: the test walks the URL configuration, fills each route's
parameters from demo data (`seed_demo` plus what it lacks: alerts on an incident, a
postmortem, a chat channel, a page with its acknowledge link), and checks every route that
answers a GET with a whole HTML page, so a new page joins by itself. A route with a
parameter the test does not know how to fill fails the test until FILL learns it.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import Team, User
from incidents.alerts.models import Alert, Kind
from incidents.chat.models import ChatChannel, ChatDelivery
from incidents.models import Incident, Service, Status
from incidents.oncall.models import Schedule
from incidents.paging import ack
from incidents.paging.models import ContactMethod, EscalationPolicy
from incidents.postmortems.models import ActionItem, Factor, FactorCategory
from incidents.postmortems.workflow import open_postmortem

from ..alerts.helpers import make_integration
from ..authz_table import page_sent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_EMAIL, DEMO_PASSWORD = "demo@keel.local", "keel-demo"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 900}
TOPBAR_MAX = 70  # one row
# A folder to save a full-page screenshot of every page in, at both sizes, for a person
# to look at (nothing is compared automatically).
SCREENSHOTS = os.environ.get("KEEL_SCREENSHOTS")
# Not pages of Keel's own (their own look, or not for people).
SKIP_PREFIXES = ("admin/", "api/", "hooks/", "slack/", "v2/", "healthz", "readyz", "calendars/")

# How to fill a route's parameter: by (route name, parameter), then by parameter.
# POST-only routes still need a value that resolves; they are then skipped (405).
FILL_BY_NAME = {
    ("incidents:service", "pk"): "service",
    ("paging:service-policy", "pk"): "service",
    ("paging:policy-edit", "pk"): "policy",
    ("paging:policy-delete", "pk"): "policy",
    ("paging:ack", "token"): "ack_token",
}
# Pages that need a query string to be a page at all.
QUERY = {"paging:policy-new": "?team={team}"}
# Pages no route names: the site's own error page.
EXTRA = [("404", "/no-such-page/", True)]
FILL_BY_NAMESPACE = {  # for "pk"
    "alerts": "service",
    "oncall": "schedule",
    "chat": "channel",
    "paging": "contact_method",
    "accounts": "one",
}
FILL = {
    "ref": "ref",
    "seq": "seq",
    "team_id": "team",
    "rule_pk": "one",
    "override_pk": "one",
    "integration_id": "one",
    "window_id": "one",
    "token": "one",
    "provider_id": "one",  # no such provider: the sign-in steps are not pages of their own
}


def routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    """(route text, "namespace:name", parameter names) of every URL pattern."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield route, name, list(pattern.pattern.regex.groupindex)


def build_url(route: str, name: str, params: list[str], data: SimpleNamespace) -> str:
    values = {}
    for param in params:
        if param == "action":  # a choice among words: the first one
            values[param] = re.search(r"\(\?P<action>([^)]*)\)", route).group(1).split("|")[0]
            continue
        if param == "ref" and name.startswith("postmortems:"):
            key = "postmortem_ref"
        elif param == "pk":
            key = FILL_BY_NAME.get((name, param)) or FILL_BY_NAMESPACE.get(name.split(":")[0])
        else:
            key = FILL_BY_NAME.get((name, param)) or FILL.get(param)
        assert key, f"test_phone_layout.py: teach FILL how to fill {param!r} of {name}"
        values[param] = getattr(data, key)
    path = route.lstrip("^").rstrip("$")
    for param, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{param}>|\(\?P<{param}>[^)]*\)", str(value), path)
    return "/" + path + QUERY.get(name, "").format(**vars(data))


def demo_data() -> SimpleNamespace:
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=io.StringIO())
    demo = User.objects.get(email=DEMO_EMAIL)
    room = Incident.objects.filter(status__in=Status.open_values()).order_by("-last_seq").first()
    service = room.services.first() or Service.objects.first()
    integration, _key = make_integration(service, Kind.ALERTMANAGER, name="Prometheus")
    now = timezone.now()
    for number, status in enumerate(["firing", "resolved"]):
        Alert.objects.create(
            integration=integration, dedup_key=f"demo-{number}", status=status,
            summary="HighErrorRate: 5xx above 2% on api-gateway for 10 minutes",
            severity=room.severity, labels={"alertname": "HighErrorRate", "env": "production"},
            incident=room, first_seen=now, last_seen=now,
        )  # fmt: skip
    resolved = Incident.objects.filter(status=Status.RESOLVED).first()
    postmortem, _created = open_postmortem(resolved, None)
    factor = Factor.objects.create(
        postmortem=postmortem, category=FactorCategory.choices[0][0],
        description="The deploy pipeline let a configuration change through without a canary.",
    )  # fmt: skip
    ActionItem.objects.create(
        postmortem=postmortem, owner=demo, due_date=now.date(),
        title=f"Add a canary stage for configuration changes (factor {factor.pk})",
    )  # fmt: skip
    team = room.team or Team.objects.first()
    channel = ChatChannel.objects.create(
        team=team, name="#incidents-platform-and-payments-long-name",
        webhook_url="https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
    )  # fmt: skip
    ChatDelivery.objects.create(
        channel=channel, incident=room, event="declared", headline=f"{room.ref} {room.title}",
        status=ChatDelivery.Status.FAILED, attempts=3, status_code=404,
        detail="channel_not_found: the webhook's channel was archived",
    )  # fmt: skip
    notification = page_sent(room, demo)
    return SimpleNamespace(
        demo=demo,
        ref=room.ref,
        postmortem_ref=resolved.ref,
        service=service.pk,
        policy=EscalationPolicy.objects.first().pk,
        schedule=Schedule.objects.first().pk,
        channel=channel.pk,
        contact_method=ContactMethod.objects.filter(user=demo).first().pk,
        ack_token=ack.token_for(notification.delivery_id),
        team=team.pk,
        seq=1,
        one=1,
    )


def pages(data: SimpleNamespace) -> list[tuple[str, str, bool]]:
    """(name, path, signed in) for every route that GETs a whole HTML page."""
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(data.demo)
    found = list(EXTRA)
    for route, name, params in routes():
        if route.lstrip("^").startswith(SKIP_PREFIXES) or not route:
            continue
        path = build_url(route, name, params, data)
        for client, who in ((signed_in, True), (anonymous, False)):
            response = client.get(path)
            html = response.content.decode(errors="replace") if response.status_code == 200 else ""
            if response.get("Content-Type", "").startswith("text/html") and "<html" in html:
                found.append((name, path, who))
                break  # a page people see signed in is checked so; the rest (login) without
    return found


# The widest elements sticking out of the window: what to fix when a page is too wide.
CULPRITS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      const id = el.id ? "#" + el.id : "";
      const cls = el.classList.length ? "." + [...el.classList].join(".") : "";
      const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      let depth = 0;
      for (let up = el; up; up = up.parentElement) depth += 1;
      out.push({what: `${el.tagName.toLowerCase()}${id}${cls} “${text}”`, depth,
                right: Math.round(box.right), width: Math.round(box.width)});
    }
  }
  // The innermost of those reaching furthest: usually the thing that does not wrap.
  out.sort((a, b) => b.right - a.right || b.depth - a.depth);
  return out.slice(0, 3);
}"""


def test_every_page_fits_a_phone_and_a_desktop(asgi_server, chromium):
    data = demo_data()
    found = pages(data)
    names = {name for name, _path, _who in found}
    # The walk found the pages people use most (a guard against the walk itself breaking).
    assert {"incidents:list", "incidents:detail", "incidents:service", "oncall:edit",
            "paging:policies", "paging:policy-new", "paging:ack", "postmortems:page",
            "accounts:login", "accounts:profile", "chat:channel"} <= names, names  # fmt: skip
    print("pages checked:", *(f"{name} {path}" for name, path, _who in found), sep="\n  ")
    too_wide = []
    for viewport in (PHONE, TABLET, DESKTOP):
        contexts = {}
        for who in (True, False):
            contexts[who] = chromium.new_context(viewport=viewport)
            contexts[who].set_default_timeout(15_000)
        page = contexts[True].new_page()
        page.goto(f"{asgi_server}/accounts/login/")
        page.get_by_label("Email").fill(DEMO_EMAIL)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Incidents").wait_for()
        pages_by_who = {True: page, False: contexts[False].new_page()}
        for name, path, who in found:
            tab = pages_by_who[who]
            tab.goto(f"{asgi_server}{path}", wait_until="load")
            if SCREENSHOTS:
                shot = f"{viewport['width']}-{name.replace(':', '-')}.png"
                tab.screenshot(path=os.path.join(SCREENSHOTS, shot), full_page=True)
            bar = tab.evaluate("document.querySelector('.topbar').offsetHeight")
            if bar > TOPBAR_MAX:
                too_wide.append(f"{name} {path} at {viewport['width']} px: the top bar is "
                                f"{bar} px high (its links wrap onto more rows)")  # fmt: skip
            if viewport is PHONE and name == "incidents:list":
                # Rows are stacked cards whose cells say which column they were.
                assert tab.locator("td[data-label=Commander]").first.is_visible()
            scroll = tab.evaluate("document.documentElement.scrollWidth")
            if scroll > viewport["width"]:
                culprits = "; ".join(
                    f"{c['what']} (right edge {c['right']} px, {c['width']} px wide)"
                    for c in tab.evaluate(CULPRITS)
                )
                too_wide.append(
                    f"{name} {path} at {viewport['width']} px is {scroll} px wide: {culprits}"
                )
        for context in contexts.values():
            context.close()
    assert not too_wide, "\n".join(too_wide)


def test_on_a_phone_the_navigation_is_one_menu_that_leads_everywhere(asgi_server, chromium):
    team = Team.objects.create(name="Ops", slug="ops")
    user = User.objects.create_user("ana@example.com", DEMO_PASSWORD, display_name="Ana")
    team.memberships.create(user=user, role="responder")
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_server}/accounts/login/")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Incidents").wait_for()
    services = page.get_by_role("link", name="Services")
    assert not services.is_visible(), "the links wait behind the menu"
    page.get_by_text("Menu").click()
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "390-menu-open.png"))
    services.click()
    page.get_by_role("heading", name="Services").wait_for()
    assert not page.get_by_role("link", name="On call").is_visible(), "closed again"
    context.close()
