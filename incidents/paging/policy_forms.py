"""The escalation policy editor's input: a name, a repeat count, and a formset of steps (the
policy's steps plus two blank ones; tick Remove to drop a step, renumber to reorder; save to
get more blank ones). Plain forms, no JavaScript needed. The steps read into the API's
validated shape (targets hold model instances), which the page stores with
serializers.replace_steps, so the browser and the API store exactly the same thing.

A step's targets are the team's people, the team's schedules (whoever is on call when the
step runs) and the team itself (every responder): the choices hold nothing else, so a
policy cannot page another team."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.models import Team
from incidents.oncall import services as oncall_services
from incidents.oncall.models import Schedule

from .models import EscalationPolicy
from .serializers import MAX_DELAY, MAX_STEPS

User = get_user_model()
BLANK_STEPS = 2


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    repeat = forms.IntegerField(
        min_value=0, max_value=10, initial=0, label="Repeat",
        help_text="How many more times every step runs if nobody acknowledges (0: once).",
    )  # fmt: skip


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label = f"{obj.name} ({obj.email})"
        return label if obj.is_active else f"{label}, deactivated"


class StepForm(forms.Form):
    people = PeopleField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    schedules = forms.ModelMultipleChoiceField(
        queryset=Schedule.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Whoever is on call for",
    )  # fmt: skip
    whole_team = forms.BooleanField(required=False)
    delay_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_DELAY, initial=5, label="Minutes before the next step",
        help_text="After the last step: minutes before the policy repeats.",
    )  # fmt: skip

    def __init__(self, *args, team: Team, people: QuerySet, schedules: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["people"].queryset = people
        self.fields["schedules"].queryset = schedules
        self.fields["whole_team"].label = f"Every responder of {team}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and not self.targets():
            raise forms.ValidationError("Choose who this step pages, or remove the step.")
        return cleaned

    def targets(self) -> list[dict[str, Any]]:
        data = getattr(self, "cleaned_data", {})
        found: list[dict[str, Any]] = [{"user": p} for p in data.get("people") or []]
        found += [{"schedule": s} for s in data.get("schedules") or []]
        if data.get("whole_team"):
            found.append({"team": self.team})
        return found


class BaseStepFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "ORDER" in form.fields:
            form.fields["ORDER"].label = "Position"
            form.fields["ORDER"].help_text = "Steps are saved in this order."
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this step"

    def clean(self) -> None:
        if any(self.errors):
            return
        kept = [f for f in self.forms if not self._should_delete_form(f) and f.targets()]
        if not kept:
            raise forms.ValidationError("A policy needs at least one step that pages someone.")

    def steps(self) -> list[dict[str, Any]]:
        """The steps in the API's validated shape, in the order the person numbered them
        (blank and removed steps left out). Only for a valid formset."""
        return [
            {"delay_minutes": form.cleaned_data["delay_minutes"], "targets": form.targets()}
            for form in self.ordered_forms
        ]


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=BLANK_STEPS, can_order=True, can_delete=True,
    can_delete_extra=False, max_num=MAX_STEPS, validate_max=True,
    absolute_max=MAX_STEPS + BLANK_STEPS,
)  # fmt: skip


def viewer_warning(team: Team, steps: list[dict[str, Any]]) -> str | None:
    """A warning when the steps page someone who only views the team (cannot act)."""
    return oncall_services.viewer_warning(
        team, [t["user"] for s in steps for t in s["targets"] if "user" in t]
    )


def step_initial(policy: EscalationPolicy) -> list[dict[str, Any]]:
    rows = []
    for step in policy.steps.order_by("position"):
        targets = step.targets
        rows.append({
            "people": [t["user"] for t in targets if "user" in t],
            "schedules": [t["schedule"] for t in targets if "schedule" in t],
            "whole_team": any(t.get("team") == policy.team_id for t in targets),
            "delay_minutes": step.delay_minutes,
        })  # fmt: skip
    return rows


def step_formset(team: Team, policy: EscalationPolicy | None, data: Any = None) -> BaseStepFormSet:
    """The editor's steps for `team`'s policy (None: a new one)."""
    named: list[int] = []
    if policy is not None:
        named = [t["user"] for s in policy.steps.all() for t in s.targets if "user" in t]
    # The team's people, and anyone the policy already names (someone who has since left
    # the team stays ticked rather than silently dropped when the policy is saved).
    people = (
        User.objects.filter(Q(is_active=True, memberships__team=team) | Q(pk__in=named))
        .distinct()
        .order_by("display_name", "email")
    )
    return StepFormSet(
        data,
        initial=step_initial(policy) if policy is not None else [],
        prefix="steps",
        form_kwargs={
            "team": team,
            "people": people,
            "schedules": Schedule.objects.filter(team=team).order_by("name"),
        },
    )
