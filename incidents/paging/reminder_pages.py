"""The reminders page: each of your teams' status-update reminder intervals, editable by the
team's admins (the API's /api/v1/reminder-intervals/ does the same)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role, Team
from accounts.permissions import can_act_for_team, visible_teams_q

from . import intervals


class ReminderIntervalsForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for severity in intervals.SEVERITIES:
            self.fields[severity.lower()] = forms.IntegerField(
                label=f"{severity} (minutes)",
                min_value=intervals.SHORTEST,
                max_value=intervals.LONGEST,
                required=False,
                help_text="Empty: no reminder.",
            )

    def minutes(self) -> dict[str, int | None]:
        return {sev: self.cleaned_data.get(sev.lower()) for sev in intervals.SEVERITIES}


def _teams(request: HttpRequest):
    return Team.objects.filter(visible_teams_q(request.user, field="pk")).order_by("name")


def _rows(request: HttpRequest, bound: dict[int, ReminderIntervalsForm]) -> list[dict]:
    rows = []
    for team in _teams(request).select_related("reminder_intervals"):
        minutes = intervals.for_team(team.pk)
        form = None
        if can_act_for_team(request.user, team.pk, Role.ADMIN):
            initial = {sev.lower(): minutes[sev] for sev in intervals.SEVERITIES}
            form = bound.get(team.pk) or ReminderIntervalsForm(
                initial=initial, prefix=f"team{team.pk}"
            )
        custom = hasattr(team, "reminder_intervals")
        rows.append({"team": team, "minutes": minutes, "form": form, "custom": custom})
    return rows


@login_required
def reminders(request: HttpRequest) -> HttpResponse:
    return render(request, "paging/reminders.html", {"rows": _rows(request, {})})


@login_required
@require_POST
def save_reminders(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _teams(request).filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team.")
    if not can_act_for_team(request.user, team.pk, Role.ADMIN):
        raise PermissionDenied(f"Only admins of {team} may change its reminder intervals.")
    form = ReminderIntervalsForm(request.POST, prefix=f"team{team.pk}")
    if not form.is_valid():
        context = {"rows": _rows(request, {team.pk: form})}
        return render(request, "paging/reminders.html", context, status=400)
    intervals.save(team, form.minutes())
    messages.success(request, f"Saved {team}'s reminder intervals.")
    return redirect("paging:reminders")
