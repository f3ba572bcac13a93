"""Browser forms for paging."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from accounts.models import Role, Team
from incidents.oncall.models import Schedule

from .models import ContactKind, EscalationPolicy

User = get_user_model()
STEPS = 3


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=ContactKind.choices)
    address = forms.CharField(max_length=500, help_text="An email address or an http(s) URL.")
    delay_minutes = forms.IntegerField(
        min_value=0, max_value=1440, initial=0, label="Use after (minutes)",
        help_text="0: at once. Later: only if nobody has acknowledged by then.",
    )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        kind, address = cleaned.get("kind"), cleaned.get("address", "")
        if kind == ContactKind.EMAIL:
            try:
                forms.EmailField().clean(address)
            except forms.ValidationError:
                self.add_error("address", "Give an email address.")
        elif kind and not address.startswith(("https://", "http://")):
            self.add_error("address", "Give an http(s) URL.")
        return cleaned


class PageSomeoneForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Person",
        empty_label="Choose a person…",
    )
    schedule = forms.ModelChoiceField(
        queryset=Schedule.objects.none(), required=False, label="Or whoever is on call for",
        empty_label="Choose a schedule…",
    )  # fmt: skip

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        team = incident.team_id
        self.fields["user"].queryset = User.objects.filter(
            is_active=True, memberships__team_id=team
        ).order_by("display_name", "email")
        self.fields["schedule"].queryset = Schedule.objects.filter(team_id=team).order_by("name")

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("user")) == bool(cleaned.get("schedule")):
            raise forms.ValidationError("Choose a person or a schedule.")
        return cleaned

    def target(self) -> dict:
        if self.cleaned_data.get("user"):
            return {"user": self.cleaned_data["user"].pk}
        return {"schedule": self.cleaned_data["schedule"].pk}


class ServicePolicyForm(forms.Form):
    policy = forms.ModelChoiceField(
        queryset=EscalationPolicy.objects.none(), required=False, empty_label="No paging"
    )

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = EscalationPolicy.objects.filter(team_id=service.team_id)


class PolicyForm(forms.Form):
    """A policy with up to three steps; each step pages people and/or schedules."""

    name = forms.CharField(max_length=100)
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    repeat = forms.IntegerField(min_value=0, max_value=10, initial=0)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.all()
        if not user.is_staff:
            teams = teams.filter(
                memberships__user=user, memberships__role__in=[Role.RESPONDER, Role.ADMIN]
            )
        self.fields["team"].queryset = teams
        team_ids = list(teams.values_list("pk", flat=True))
        people = User.objects.filter(is_active=True, memberships__team_id__in=team_ids).distinct()
        schedules = Schedule.objects.filter(team_id__in=team_ids)
        for k in range(1, STEPS + 1):
            self.fields[f"step{k}_delay"] = forms.IntegerField(
                min_value=1, max_value=1440, initial=5, required=k == 1,
                label=f"Step {k}: minutes before the next step",
            )  # fmt: skip
            self.fields[f"step{k}_people"] = forms.ModelMultipleChoiceField(
                queryset=people, required=False, label=f"Step {k}: people"
            )
            self.fields[f"step{k}_schedules"] = forms.ModelMultipleChoiceField(
                queryset=schedules, required=False, label=f"Step {k}: on call for"
            )

    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team")
        steps = []
        for k in range(1, STEPS + 1):
            people = list(cleaned.get(f"step{k}_people") or [])
            schedules = list(cleaned.get(f"step{k}_schedules") or [])
            if team is not None and any(s.team_id != team.pk for s in schedules):
                self.add_error(f"step{k}_schedules", f"Only schedules of {team}.")
            targets = [{"user": p} for p in people] + [{"schedule": s} for s in schedules]
            if targets:
                delay = cleaned.get(f"step{k}_delay") or 5
                steps.append({"delay_minutes": delay, "targets": targets})
        if not steps:
            raise forms.ValidationError("Step 1 needs at least one person or schedule.")
        cleaned["steps"] = steps
        return cleaned
