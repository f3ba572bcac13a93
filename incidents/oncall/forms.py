"""The schedule editor's input: plain form fields read into the API's layer shape, so the
page and the API validate with the same serializers."""

from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.utils.html import format_html, format_html_join

from accounts.models import Team
from incidents.forms import InstantFormField
from incidents.parsing import BadValue, parse_time_zone

from . import rotation
from .models import Schedule

DAY_WORDS = {
    "weekdays": rotation.DAY_NAMES[:5],
    "weekends": rotation.DAY_NAMES[5:],
    "daily": rotation.DAY_NAMES,
}
RESTRICTION_LINE = re.compile(
    r"^(?P<days>[a-z ,]+?)\s+(?P<start>\d{1,2}:\d{2})\s*[-\u2013]\s*(?P<end>\d{1,2}:\d{2})$"
)


class ZoneInput(forms.TextInput):
    """A text box that suggests every IANA zone as you type (an HTML datalist), instead of
    a 600-entry list with no search."""

    def __init__(self, attrs=None) -> None:
        super().__init__({"list": "time-zones", "autocomplete": "off", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        options = format_html_join(
            "", '<option value="{}">', ((zone,) for zone in sorted(zoneinfo.available_timezones()))
        )
        box = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="time-zones">{}</datalist>', box, options)


class TimeZoneField(forms.CharField):
    """Read through parsing.parse_time_zone, as the API reads it."""

    widget = ZoneInput

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return parse_time_zone(value)
        except BadValue as problem:
            raise forms.ValidationError(problem.message) from problem


class ScheduleForm(forms.ModelForm):
    time_zone = TimeZoneField(
        initial="UTC", help_text="Type to search, e.g. Europe/London or America/New_York."
    )

    class Meta:
        model = Schedule
        fields = ["name", "team", "time_zone"]

    def __init__(self, *args, teams=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()


class OverrideForm(forms.Form):
    user = forms.TypedChoiceField(coerce=int, label="Who covers")
    start = InstantFormField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = InstantFormField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(p.pk, f"{p.name} ({p.email})") for p in people]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The override ends before it starts.")
        return data


def parse_restrictions(text: str) -> list[dict]:
    """ "weekdays 09:00-17:00" / "mon fri 18:00-08:00", one a line -> the API's shape.
    Raises ValueError with a message for the person."""
    found = []
    for line in filter(None, (line.strip().lower() for line in text.splitlines())):
        match = RESTRICTION_LINE.match(line)
        if match is None:
            raise ValueError(f"Read {line!r} as days then a from-to, like 'weekdays 09:00-17:00'.")
        days: list[str] = []
        for word in re.split(r"[ ,]+", match["days"].strip()):
            if word in DAY_WORDS:
                days += DAY_WORDS[word]
            elif word[:3] in rotation.DAY_NAMES:
                days.append(word[:3])
            else:
                raise ValueError(f"{word!r} is not a day (mon ... sun, weekdays, weekends).")
        found.append({"days": days, "start": match["start"].zfill(5), "end": match["end"].zfill(5)})
    return found


def format_restrictions(restrictions: list[dict]) -> str:
    return "\n".join(f"{' '.join(r['days'])} {r['start']}-{r['end']}" for r in restrictions)


def _order(post, prefix: str, default: int) -> float:
    try:
        return float(post.get(prefix + "order", default))
    except ValueError:
        return default


def layers_from_post(post) -> tuple[list[dict], list[str]]:
    """The editor's layer fieldsets -> ([layer dicts in the API's shape, bottom first],
    [errors]). Each fieldset's "order" number places it: the highest is on top."""
    layers, errors = [], []
    try:
        count = min(int(post.get("layer_count", "0")), 20)
    except ValueError:
        count = 0
    ordered = sorted(range(count), key=lambda i: (_order(post, f"layers-{i}-", i + 1), i))
    for i in ordered:
        prefix = f"layers-{i}-"
        participants = [p for p in post.getlist(prefix + "participants") if p]
        if post.get(prefix + "delete") or (post.get(prefix + "blank") and not participants):
            continue
        try:
            restrictions = parse_restrictions(post.get(prefix + "restrictions", ""))
        except ValueError as problem:
            errors.append(f"Layer {len(layers) + 1}: restrictions: {problem}")
            restrictions = []
        layers.append({
            "name": post.get(prefix + "name", ""),
            "participants": participants,
            "shift_length": post.get(prefix + "shift_length", ""),
            "shift_unit": post.get(prefix + "shift_unit", ""),
            "handoff_time": post.get(prefix + "handoff_time", ""),
            "start_date": post.get(prefix + "start_date", ""),
            "restrictions": restrictions,
        })  # fmt: skip
    return layers, errors
