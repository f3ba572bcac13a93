from __future__ import annotations

from django import forms

from accounts.models import User
from accounts.permissions import people_visible_to
from incidents import parsing
from incidents.forms import DateFormField

from .models import ActionItem, ActionStatus, Factor, FactorCategory, Priority, Section


class FactorForm(forms.ModelForm):
    evidence = forms.CharField(
        required=False, max_length=500, label="Evidence (event numbers)",
        help_text="Timeline events that show it, e.g. 4, 9, 12.",
    )  # fmt: skip

    class Meta:
        model = Factor
        fields = ["category", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_evidence(self) -> list[int]:
        raw = self.cleaned_data["evidence"].replace("#", " ").replace(",", " ").split()
        try:
            seqs = [int(part) for part in raw]
        except ValueError:
            raise forms.ValidationError("Give event numbers separated by commas.") from None
        if any(seq < 1 or seq > 2**31 - 1 for seq in seqs):
            raise forms.ValidationError("Event numbers start at 1.")
        return seqs


def named_person(raw: str, user: User | None) -> User:
    """A person `user` may name, as the API's UserRefField finds them (the same function and
    message): someone outside their teams is answered exactly like no one at all."""
    people = people_visible_to(user) if user is not None else User.objects.none()
    try:
        return parsing.find_person(raw, people)
    except parsing.BadValue as exc:
        raise forms.ValidationError(exc.message) from None


class ActionItemForm(forms.ModelForm):
    owner = forms.EmailField(required=False, label="Owner (email)")
    due_date = DateFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    link = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = ActionItem
        fields = ["title", "priority", "link", "factors"]

    def __init__(self, *args, postmortem=None, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        factors = postmortem.factors.all() if postmortem is not None else Factor.objects.none()
        self.fields["factors"].queryset = factors
        self.fields["factors"].required = False
        self.fields["factors"].label = "Addresses factors"

    def clean_owner(self) -> User | None:
        email = self.cleaned_data["owner"]
        return named_person(email, self.user) if email else None


class ActionStatusForm(forms.Form):
    item = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=ActionStatus.choices)


class CommentForm(forms.Form):
    section = forms.ChoiceField(choices=Section.choices, widget=forms.HiddenInput)
    body = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
                           label="Comment")  # fmt: skip


class ReviewForm(forms.Form):
    reviewers = forms.CharField(
        max_length=1000, label="Reviewers (emails)", help_text="Separated by commas."
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_reviewers(self) -> list[User]:
        emails = [e.strip() for e in self.cleaned_data["reviewers"].split(",") if e.strip()]
        people = [named_person(email, self.user) for email in emails[:20]]
        if not people:
            raise forms.ValidationError("Name at least one reviewer.")
        return people


class ApproveForm(forms.Form):
    findings_reviewed = forms.BooleanField(
        required=False,
        label="Reviewed: I read the checker's open findings and accept the text as it stands",
    )


class PublishForm(forms.Form):
    anonymise = forms.BooleanField(
        required=False, label="Anonymise: replace names and emails with role labels"
    )
    # Sent by the confirmation the page shows when sections are empty.
    allow_empty = forms.BooleanField(required=False, widget=forms.HiddenInput)


class FactorFilterForm(forms.Form):
    category = forms.ChoiceField(choices=[("", "All categories"), *FactorCategory.choices],
                                 required=False)  # fmt: skip
    service = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    start = DateFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = DateFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


PRIORITIES = Priority.choices
