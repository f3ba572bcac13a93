"""Browser forms. They only validate; views pass the cleaned data to lifecycle."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from accounts.models import Role, Team
from accounts.permissions import (
    can_act_for_team,
    can_manage_service,
    people_visible_to,
    service_teams_q,
)

from . import lifecycle, parsing
from .models import IncidentRole, Service, Severity, Status

User = get_user_model()


class InstantFormField(forms.DateTimeField):
    """The browser's twin of the API's InstantField: one window for every entry point."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except (ValueError, OverflowError):  # an offset no zone has, a date past 9999
            raise forms.ValidationError("Enter a valid date/time.", code="invalid") from None
        if parsed is None:
            return None
        try:
            return parsing.check_instant(parsed, "The time")
        except parsing.BadValue as problem:
            raise forms.ValidationError(problem.message, code="invalid") from None


class DateFormField(forms.DateField):
    """The browser's twin of the API's BoundedDateField."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsing.check_date(parsed, "The date")
        except parsing.BadValue as problem:
            raise forms.ValidationError(problem.message, code="invalid") from None


class DeclareForm(forms.Form):
    title = forms.CharField(
        max_length=lifecycle.MAX_TITLE,
        widget=forms.TextInput(
            attrs={"autofocus": True, "placeholder": "Checkout requests failing in eu-west"}
        ),
        help_text="What people are experiencing, not the cause you suspect.",
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="No team"
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(
        required=False,
        max_length=lifecycle.MAX_SUMMARY,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown. What is known so far and who is affected.",
    )
    private = forms.BooleanField(
        required=False, help_text="Only the team, people with a role and staff will see it."
    )
    # Passed to lifecycle as the declared event's `page` (the core does not know paging;
    # the paging app reads it): "" is the default (page for SEV1/SEV2 when a service has an
    # escalation policy).
    page = forms.TypedChoiceField(
        label="Page the on-call",
        choices=[("", "Default: page for SEV1 and SEV2"), ("yes", "Page"), ("no", "Do not page")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        help_text="Pages through the escalation policy of the incident's services.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.all()
        if not user.is_staff:
            teams = teams.filter(
                memberships__user=user, memberships__role__in=[Role.RESPONDER, Role.ADMIN]
            )
        self.fields["team"].queryset = teams
        if teams.count() == 1:
            self.fields["team"].initial = teams.first()
        self.user = user

    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team")
        if cleaned.get("private") and team is None:
            self.add_error("team", "A private incident needs a team.")
        if not can_act_for_team(self.user, team.pk if team else None, Role.RESPONDER):
            raise forms.ValidationError("Only responders may declare incidents.")
        return cleaned


class EditForm(forms.Form):
    title = forms.CharField(max_length=lifecycle.MAX_TITLE)
    summary = forms.CharField(
        required=False, max_length=lifecycle.MAX_SUMMARY, widget=forms.Textarea(attrs={"rows": 5})
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=lifecycle.MAX_NOTE,
        label="Note",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What did you see, try or decide? (Markdown)"}
        ),
    )
    # A naive time from the browser is read in the current zone: the viewer's own
    # (accounts.middleware.UserTimezoneMiddleware).
    # Checked by lifecycle (parsing.check_time), as the API's occurred_at is: a year before
    # the incident at most, never in the future.
    occurred_at = forms.DateTimeField(
        required=False,
        label="When",
        help_text="For something noticed earlier; leave empty for now. In your time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class MoveNoteForm(forms.Form):
    """The optional "why" typed beside the status buttons."""

    body = forms.CharField(required=False, max_length=lifecycle.MAX_NOTE, label="Why")


class SnoozeForm(forms.Form):
    """Stop paging for a while (the room's Snooze); lifecycle.snooze checks the bounds too."""

    minutes = forms.IntegerField(
        min_value=lifecycle.SNOOZE_MINUTES[0], max_value=lifecycle.SNOOZE_MINUTES[1]
    )


class StatusForm(MoveNoteForm):
    # Every status: a move the incident's state does not allow is lifecycle's to refuse
    # (409, naming the allowed moves), e.g. a button on a page another person overtook.
    status = forms.ChoiceField(choices=Status.choices)


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=IncidentRole.choices)
    user = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Person", empty_label="Choose a person…"
    )

    def __init__(self, *args, viewer, incident=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the viewer's teammates (and the incident's role holders) are listed.
        self.fields["user"].queryset = people_visible_to(viewer, incident).order_by("email")


class StrikeForm(forms.Form):
    seq = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = forms.CharField(required=False, max_length=500, label="Why it is wrong")


class MergeForm(forms.Form):
    into = forms.CharField(max_length=20, label="Duplicate of", help_text="e.g. INC-12")


class ServiceForm(forms.ModelForm):
    """A new service, for one of the teams the person is a responder of."""

    class Meta:
        model = Service
        fields = ["name", "description", "team"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(service_teams_q(user)).order_by("name")
        self.fields["team"].queryset = teams
        self.fields["team"].required = True
        self.fields["team"].empty_label = None
        self.user = user

    def clean_team(self):
        team = self.cleaned_data["team"]
        if not can_manage_service(self.user, team.pk):
            raise forms.ValidationError(f"You are not a responder of {team}.")
        return team
