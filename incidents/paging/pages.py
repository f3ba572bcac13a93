"""Paging's browser pages and form posts: page someone from the room (and the room's paging
panel, which refreshes itself), your contact methods and their notification rules (add,
remove, send a test page), and a service's policy. Escalation policies are in
policy_pages.py. Refused posts answer 400 (invalid) or 403/404, as the core's page actions
do."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import can_edit, can_manage_service, get_incident_for
from incidents.models import Service

from . import control, delivery, extensions, manual, panel, phone
from .forms import (
    ContactMethodForm,
    PageSomeoneForm,
    RuleForm,
    ServicePolicyForm,
    VerifyForm,
    when,
)
from .models import ContactKind, ContactMethod, NotificationRule


def _refused(form) -> HttpResponse:
    errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
    return HttpResponseBadRequest(f"Not saved: {errors}", content_type="text/plain")


@login_required
@require_POST
def page_someone(request: HttpRequest, ref: str) -> HttpResponse:
    incident = get_incident_for(request.user, ref, edit=True)
    form = PageSomeoneForm(request.POST, incident=incident, user=request.user)
    if not form.is_valid():
        return _refused(form)
    target = form.target()
    reach = manual.reach(target, timezone.now())
    manual.page(incident, request.user, target)
    # The truth before it goes out: who is paged and how, who cannot be and why.
    (messages.success if reach.reached else messages.warning)(request, reach.told(incident.ref))
    return redirect(incident.get_absolute_url())


@login_required
@require_GET
def paging_status(request: HttpRequest, ref: str) -> HttpResponse:
    """The room's paging panel, current: who was paged, how, delivered or failed. The panel
    fetches it when the live room shows a page, acknowledgement or status event."""
    incident = get_incident_for(request.user, ref)
    return render(request, "paging/_pages.html", panel.state(incident))


@login_required
@require_GET
def paging_now(request: HttpRequest, ref: str) -> HttpResponse:
    """The room's "paging now" banner, current (fetched on page, ack and status events)."""
    incident = get_incident_for(request.user, ref)
    context = {"incident": incident, "now": control.now_for(incident),
               "can_edit": can_edit(request.user, incident)}  # fmt: skip
    return render(request, "paging/_now_body.html", context)


@login_required
@require_POST
def add_contact_method(request: HttpRequest) -> HttpResponse:
    form = ContactMethodForm(request.POST)
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    with transaction.atomic():
        method = ContactMethod.objects.create(
            user=request.user, kind=data["kind"], address=data["address"],
            secret=data["token"].strip(),
        )  # fmt: skip
        NotificationRule.objects.create(contact_method=method, delay_minutes=data["delay_minutes"])
    shown = method.secret and method.kind == ContactKind.WEBHOOK
    note = f" Its signing secret: {method.secret} (shown once)." if shown else ""
    if not method.verified:
        sent = phone.send_code(method, timezone.now())
        note = (
            " We sent a code to it: enter it below to start paging there."
            if sent.delivered
            else f" The code could not be sent: {sent.detail}"
        )
    messages.success(request, f"Added {method}.{note}")
    return redirect("accounts:profile")


@login_required
@require_POST
def verify_contact_method(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter the code sent to a new number, or ask for a new one."""
    method = get_object_or_404(ContactMethod, pk=pk, user=request.user)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _refused(form)
    if form.cleaned_data["resend"]:
        sent = phone.send_code(method, timezone.now())
        (messages.success if sent.delivered else messages.error)(
            request, f"A new code was sent to {method}." if sent.delivered else sent.detail
        )
        return redirect("accounts:profile")
    try:
        phone.verify(method, form.cleaned_data["code"], timezone.now())
    except phone.VerifyError as exc:
        return HttpResponseBadRequest(f"Not verified: {exc}", content_type="text/plain")
    messages.success(request, f"Verified {method}: pages can reach you there.")
    return redirect("accounts:profile")


@login_required
@require_POST
def remove_contact_method(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ContactMethod, pk=pk, user=request.user)
    method.delete()
    messages.success(request, f"Removed {method}.")
    return redirect("accounts:profile")


@login_required
@require_POST
def add_rule(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ContactMethod, pk=pk, user=request.user)
    form = RuleForm(request.POST, method=method)
    if not form.is_valid():
        return _refused(form)
    delay = form.cleaned_data["delay_minutes"]
    try:
        with transaction.atomic():
            NotificationRule.objects.create(contact_method=method, delay_minutes=delay)
    except IntegrityError:  # the same rule, added a moment ago from another tab
        return HttpResponseBadRequest(
            f"Not saved: {method} is already used {when(delay)}.", content_type="text/plain"
        )
    messages.success(request, f"{method} is also used {when(delay)}.")
    return redirect("accounts:profile")


@login_required
@require_POST
def remove_rule(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    with transaction.atomic():
        # Locked, so two removals at once cannot leave the method with no rule.
        method = get_object_or_404(
            ContactMethod.objects.select_for_update(), pk=pk, user=request.user
        )
        rule = get_object_or_404(NotificationRule, pk=rule_pk, contact_method=method)
        if method.rules.count() == 1:
            # A method without rules is not used while your other methods have some: say
            # so rather than quietly stop paging through it.
            return HttpResponseBadRequest(
                f"Not removed: this is the only rule of {method}. Remove the method instead.",
                content_type="text/plain",
            )
        rule.delete()
    messages.success(request, f"{method} is no longer used {when(rule.delay_minutes)}.")
    return redirect("accounts:profile")


@login_required
@require_POST
def test_contact_method(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ContactMethod, pk=pk, user=request.user)
    result = delivery.send_test(method.pk, timezone.now())
    if result.delivered:
        messages.success(request, f"Test page sent to {method}.")
    else:
        messages.error(request, f"Test page to {method}: {result.detail}")
    return redirect("accounts:profile")


@login_required
@require_POST
def service_policy(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    if not can_manage_service(request.user, service.team_id):
        raise PermissionDenied(f"Only responders of {service.team} may change {service}.")
    form = ServicePolicyForm(request.POST, service=service)
    if not form.is_valid():
        return _refused(form)
    policy = form.cleaned_data["policy"]
    extensions.save(service, policy)
    messages.success(request, f"{service} pages with {policy or 'nobody'}.")
    return redirect("incidents:services")
