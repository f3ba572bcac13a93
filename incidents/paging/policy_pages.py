"""Escalation policies in the browser: the list (each step's targets by name, and the
services that page with each policy), a new policy for a team, the editor, and delete.

Access as the API's viewset has it (accounts.permissions): a team's members read its
policies, its responders and admins (and staff) change them, and to everyone else a policy
does not exist (404). A refused edit answers 403; an invalid one shows the editor again,
marked, with 400. Steps are stored with serializers.replace_steps, as the API stores them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Team
from accounts.permissions import (
    can_edit_policies,
    get_policy_for,
    get_policy_team_for,
    visible_teams_q,
)
from incidents.oncall.models import Schedule

from .models import EscalationPolicy, ServicePaging
from .policy_forms import PolicyForm, step_formset, viewer_warning
from .serializers import replace_steps

User = get_user_model()


def _labels(policies: list[EscalationPolicy]) -> None:
    """Give each step `labels`: its targets as people read them ("Ana", "on call: Primary",
    "team Ops"), with a link where there is a page to go to. Three queries for the page."""
    steps = [step for policy in policies for step in policy.steps.all()]
    wanted: dict[str, set[int]] = defaultdict(set)
    for step in steps:
        for target in step.targets:
            for key, value in target.items():
                wanted[key].add(value)
    people = {u.pk: u.name for u in User.objects.filter(pk__in=wanted["user"])}
    schedules = dict(Schedule.objects.filter(pk__in=wanted["schedule"]).values_list("pk", "name"))
    teams = dict(Team.objects.filter(pk__in=wanted["team"]).values_list("pk", "name"))
    for step in steps:
        step.labels = []
        for target in step.targets:
            if "user" in target:
                label = (people.get(target["user"], "someone no longer here"), "")
            elif "schedule" in target:
                name = schedules.get(target["schedule"])
                url = reverse("oncall:detail", args=[target["schedule"]]) if name else ""
                label = (f"on call: {name or 'a deleted schedule'}", url)
            else:
                label = (f"team {teams.get(target.get('team'), '?')}", "")
            step.labels.append(label)


def _services(policies: list[EscalationPolicy]) -> None:
    """Give each policy `services`: those that page with it (a service and its policy are
    always of one team, so everyone who sees the policy may see them)."""
    used: dict[int, list[Any]] = defaultdict(list)
    links = ServicePaging.objects.filter(policy__in=policies).select_related("service")
    for link in links.order_by("service__name"):
        used[link.policy_id].append(link.service)
    for policy in policies:
        policy.services = used[policy.pk]


@login_required
@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    shown = list(
        EscalationPolicy.objects.filter(visible_teams_q(request.user))
        .select_related("team")
        .prefetch_related("steps")
    )
    _labels(shown)
    _services(shown)
    for policy in shown:
        policy.editable = can_edit_policies(request.user, policy.team_id)
    teams = Team.objects.filter(visible_teams_q(request.user, "pk")).order_by("name")
    addable = [team for team in teams if can_edit_policies(request.user, team.pk)]
    return render(request, "paging/policies.html", {"policies": shown, "teams": addable})


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest) -> HttpResponse:
    """A new policy for the team in ?team= (the list links one per team you may add to)."""
    team = get_policy_team_for(request.user, request.GET.get("team"))
    return _editor(request, team, None)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_policy_for(request.user, pk, edit=True)
    return _editor(request, policy.team, policy)


def _editor(request: HttpRequest, team: Team, policy: EscalationPolicy | None) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    initial = {"name": policy.name, "repeat": policy.repeat} if policy else None
    form = PolicyForm(data, initial=initial)
    steps = step_formset(team, policy, data)
    if data is not None and form.is_valid() and steps.is_valid():
        with transaction.atomic():
            if policy is None:
                policy = EscalationPolicy.objects.create(team=team, **form.cleaned_data)
                verb = "added"
            else:
                policy.name, policy.repeat = form.cleaned_data["name"], form.cleaned_data["repeat"]
                policy.save(update_fields=["name", "repeat"])  # also locks the row
                verb = "saved"
            replace_steps(policy, steps.steps())
        messages.success(request, f"Escalation policy “{policy.name}” {verb}.")
        if warning := viewer_warning(team, steps.steps()):
            messages.warning(request, warning)
        return redirect(reverse("paging:policies") + f"#policy-{policy.pk}")
    context = {"team": team, "policy": policy, "form": form, "steps": steps,
               "has_schedules": Schedule.objects.filter(team=team).exists()}  # fmt: skip
    status = 400 if data is not None else 200
    return render(request, "paging/policy_edit.html", context, status=status)


@login_required
@require_POST
def policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_policy_for(request.user, pk, edit=True)
    links = ServicePaging.objects.filter(policy=policy).select_related("service")
    orphans = [link.service.name for link in links.order_by("service__name")]
    # The services' links go with it (as through the API): they page nobody until given
    # another policy, which the confirmation and this message say.
    policy.delete()
    note = f" {', '.join(orphans)} now page nobody: choose a policy on Services." if orphans else ""
    messages.success(request, f"Escalation policy “{policy.name}” deleted.{note}")
    return redirect("paging:policies")
