from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .models import User

# Real places (Area/City) and UTC; not the system's aliases such as "localtime" or "Factory".
TIME_ZONES = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC")


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


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
