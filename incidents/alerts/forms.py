"""Browser forms for the service page. They only validate."""

from __future__ import annotations

from django import forms

from incidents.models import Severity

from .models import Integration, Kind

MAX_MAINTENANCE_MINUTES = 90 * 24 * 60


class IntegrationForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = ["kind", "name", "default_severity", "auto_resolve", "secret"]
        labels = {"kind": "Sent by", "secret": "HMAC secret (Grafana only)"}
        widgets = {"secret": forms.PasswordInput(render_value=False)}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Every integration has a kind: no "---------" to pick.
        self.fields["kind"].choices = Kind.choices


class MaintenanceForm(forms.Form):
    minutes = forms.IntegerField(
        min_value=1, max_value=MAX_MAINTENANCE_MINUTES, initial=60, label="For (minutes)"
    )
    reason = forms.CharField(max_length=500, required=False)


SEVERITY_CHOICES = Severity.choices
