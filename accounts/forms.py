from __future__ import annotations

import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.conf import settings

from .models import User

# Real places (Area/City) and UTC; not the system's aliases such as "localtime" or "Factory".
TIME_ZONES = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC")


SSO_ONLY_REFUSAL = (
    "Password sign-in is off here: use your identity provider's button. (Break-glass accounts "
    "only.)"
)


class LoginForm(AllauthLoginForm):
    """allauth's password sign-in (so second factors and providers share one flow), with the
    email posted as `username`, as Keel's login form always has: scripts, password managers
    and django-axes (accounts/throttling.py) keep working."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.EmailField(
            label="Email",
            widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        )
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.order_fields(["login", "password"])

    def clean(self):
        # SSO_ONLY: only the listed break-glass staff accounts may use a password.
        email = str(self.cleaned_data.get("login") or "").lower()
        if settings.SSO_ONLY and email not in settings.SSO_BREAK_GLASS_EMAILS:
            raise forms.ValidationError(SSO_ONLY_REFUSAL)
        cleaned = super().clean()
        if settings.SSO_ONLY and self.user is not None and not self.user.is_staff:
            raise forms.ValidationError(SSO_ONLY_REFUSAL)
        return cleaned

    def add_prefix(self, field_name: str) -> str:
        return super().add_prefix("username" if field_name == "login" else field_name)


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=[(tz, tz) for tz in TIME_ZONES])

    class Meta:
        model = User
        fields = ["display_name", "time_zone"]


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use it, e.g. 'deploy script'.",
        widget=forms.TextInput(attrs={"placeholder": "deploy script"}),
    )
