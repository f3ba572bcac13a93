from __future__ import annotations

import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms

from .models import User

# Real places (Area/City) and UTC; not the system's aliases such as "localtime" or "Factory".
TIME_ZONES = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC")


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
