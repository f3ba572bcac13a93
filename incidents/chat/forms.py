from __future__ import annotations

from django import forms

from accounts.models import Team
from incidents.models import Service

from .models import ChatChannel, ChatEvent

WEBHOOK_HELP = (
    "The Slack app's incoming webhook (https://hooks.slack.com/services/…). A secret: it is "
    "never shown again after saving."
)


class ChannelForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=ChatEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(ChatEvent.values),
        help_text="What the channel is told about.",
    )
    webhook_url = forms.URLField(
        label="Webhook URL",
        max_length=500,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False),
        help_text=WEBHOOK_HELP,
    )

    class Meta:
        model = ChatChannel
        fields = ["team", "service", "name", "webhook_url", "events", "slack_channel_id"]
        labels = {"slack_channel_id": "Workspace channel id"}
        help_texts = {
            "service": "Only this service's incidents (leave empty for all the team's).",
            "slack_channel_id": "C0123… (learned from the first button click if left empty).",
        }

    def __init__(self, *args, teams=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "team" in self.fields:
            self.fields["team"].queryset = teams if teams is not None else Team.objects.none()
        self.fields["service"].queryset = Service.objects.order_by("name")

    def clean(self):
        data = super().clean()
        service = data.get("service")
        team = data.get("team") or getattr(self.instance, "team", None)
        if service is not None and team is not None and service.team_id != team.pk:
            self.add_error("service", f"{service} is not a service of {team}.")
        return data


class ChannelEditForm(ChannelForm):
    """Saving re-enables a disabled channel: an admin fixing it is the reason to edit."""

    class Meta(ChannelForm.Meta):
        fields = ["service", "name", "webhook_url", "events", "slack_channel_id"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["webhook_url"].required = False
        self.fields["webhook_url"].help_text = "Leave empty to keep the current one."

    def clean_webhook_url(self) -> str:
        return self.cleaned_data["webhook_url"] or self.instance.webhook_url


class LinkForm(forms.Form):
    """Asking for a code to link a Slack account. The member id is optional: given, the code
    only works when typed by that member (a check against a mix-up, not a proof)."""

    chat_user_id = forms.RegexField(
        regex=r"^[A-Za-z0-9]{2,40}$",
        required=False,
        label="Slack member id",
        help_text="Optional (U0123…): Slack profile → ⋮ → Copy member ID.",
        error_messages={"invalid": "A member id is letters and digits, like U0123ABCD."},
    )

    def clean_chat_user_id(self) -> str:
        return self.cleaned_data["chat_user_id"].upper()
