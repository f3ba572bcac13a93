"""Browser forms for paging."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from accounts.permissions import people_visible_to, visible_teams_q
from incidents.oncall.models import Schedule

from . import phone, providers
from .models import PHONE_KINDS, ContactKind, ContactMethod, EscalationPolicy
from .providers import ntfy
from .serializers import MAX_DELAY, TOKEN_LIMIT

User = get_user_model()
MAX_RULES = 10  # as the API's `rules`


# Web Push devices are added by the browser itself ("Enable notifications on this device").
FORM_KINDS = [(k, label) for k, label in ContactKind.choices if k != ContactKind.WEBPUSH]


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=FORM_KINDS)
    address = forms.CharField(
        max_length=500,
        help_text="An email address, an http(s) URL, or a phone number (+14155550123); for "
        f"ntfy, the topic's URL ({ntfy.DEFAULT_SERVER}/your-topic, or your own ntfy server's).",
    )
    token = forms.CharField(
        max_length=TOKEN_LIMIT, required=False, label="ntfy access token (optional)",
        help_text="Only for a topic that needs one (tk_…).",
    )  # fmt: skip
    delay_minutes = forms.IntegerField(
        min_value=0, max_value=MAX_DELAY, initial=0, label="Use after (minutes)",
        help_text="0: at once. Later: only if nobody has acknowledged by then.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # SMS and voice only when a provider can carry them (the profile says why not).
        offered = providers.offered()
        self.fields["kind"].choices = [
            (value, label)
            for value, label in FORM_KINDS
            if value not in PHONE_KINDS or value in offered
        ]

    def clean(self):
        cleaned = super().clean()
        kind, address = cleaned.get("kind"), cleaned.get("address", "")
        if kind in PHONE_KINDS:
            try:
                cleaned["address"] = phone.parse_number(address)
            except phone.BadNumber as exc:
                self.add_error("address", str(exc))
        elif kind == ContactKind.EMAIL:
            try:
                forms.EmailField().clean(address)
            except forms.ValidationError:
                self.add_error("address", "Give an email address.")
        elif kind == ContactKind.NTFY:
            try:
                ntfy.split(address)
            except ntfy.BadAddress as exc:
                self.add_error("address", str(exc))
        elif kind and not address.startswith(("https://", "http://")):
            self.add_error("address", "Give an http(s) URL.")
        token = cleaned.get("token", "").strip()
        if token and kind != ContactKind.NTFY:
            self.add_error("token", "Only an ntfy method takes an access token.")
        elif not ntfy.TOKEN.match(token):
            self.add_error("token", ntfy.TOKEN_ERROR)
        return cleaned


class VerifyForm(forms.Form):
    code = forms.CharField(max_length=12, required=False)
    resend = forms.BooleanField(required=False)


class RuleForm(forms.Form):
    """Another notification rule for one of your contact methods ("and again after 10 min")."""

    delay_minutes = forms.IntegerField(
        min_value=0, max_value=MAX_DELAY, label="Also use after (minutes)",
        help_text="0: at once. Later: only if nobody has acknowledged by then.",
    )  # fmt: skip

    def __init__(self, *args, method: ContactMethod, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.method = method

    def clean_delay_minutes(self) -> int:
        delay = self.cleaned_data["delay_minutes"]
        delays = list(self.method.rules.values_list("delay_minutes", flat=True))
        if delay in delays:
            raise forms.ValidationError(f"{self.method} is already used {when(delay)}.")
        if len(delays) >= MAX_RULES:
            raise forms.ValidationError(f"A method has at most {MAX_RULES} rules.")
        return delay


def when(delay: int) -> str:
    return f"{delay} min after a page" if delay else "at once"


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

    def __init__(self, *args, incident, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The API's rule (POST /api/v1/pages/): people `user` may name on this incident, and
        # schedules of their own teams. Anyone else is not offered, and posting their id is
        # refused exactly like an id that does not exist.
        self.fields["user"].queryset = people_visible_to(user, incident).order_by(
            "display_name", "email"
        )
        self.fields["schedule"].queryset = (
            Schedule.objects.filter(visible_teams_q(user))
            .select_related("team")
            .order_by("team__name", "name")
        )
        self.fields["schedule"].label_from_instance = lambda s: f"{s.name} ({s.team})"

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
