"""Schedule pages: the list (with who is on call now and next), a schedule's two-week
timeline, the editor, overrides and "take this shift". Access through accounts.permissions."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Team
from accounts.permissions import can_edit_schedules, get_schedule_for, visible_teams_q
from incidents.parsing import BadValue, parse_instant

from . import services, timeline
from .forms import OverrideForm, ScheduleForm, format_restrictions, layers_from_post
from .models import Override, PersonalCalendar, Schedule, ShiftUnit
from .serializers import LayerSerializer

User = get_user_model()
TIMELINE = timedelta(days=14)


def editable_teams(user):
    return [
        t
        for t in Team.objects.filter(visible_teams_q(user, "pk"))
        if can_edit_schedules(user, t.pk)
    ]


def team_people(schedule: Schedule):
    return User.objects.filter(memberships__team=schedule.team_id, is_active=True).order_by("email")


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    teams = editable_teams(request.user)
    form = ScheduleForm(
        request.POST or None,
        teams=Team.objects.filter(pk__in=[t.pk for t in teams]),
        initial={"team": teams[0].pk} if len(teams) == 1 else None,
    )
    if request.method == "POST":
        if not teams:
            raise PermissionDenied("Only team responders may add schedules.")
        if form.is_valid():
            schedule = form.save()
            messages.success(request, f"Schedule “{schedule.name}” created: add its layers.")
            return redirect("oncall:edit", pk=schedule.pk)
    now = timezone.now()
    schedules = services.with_layers(
        Schedule.objects.filter(visible_teams_q(request.user)).select_related("team")
    )
    rows = [services.now_and_next(schedule, now) for schedule in schedules]
    return render(
        request,
        "oncall/list.html",
        {"rows": rows, "form": form, "can_add": bool(teams)},
        status=400 if form.errors else 200,
    )


@login_required
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for(request.user, pk)
    schedule = (
        services.with_layers(Schedule.objects.filter(pk=schedule.pk)).select_related("team").get()
    )
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0)
    end = start + TIMELINE
    # The shift going on now is listed whole, from its real start.
    final = services.shifts_from(schedule, now, end)
    layers = services.layer_shifts(schedule, start, end)
    tracks, ticks, legend = timeline.build(
        start,
        end,
        [("Who is on call", final)] + [(str(layer), pieces) for layer, pieces in reversed(layers)],
        timezone.get_current_timezone(),
    )
    can_change = can_edit_schedules(request.user, schedule.team_id)
    return render(
        request,
        "oncall/detail.html",
        {
            "schedule": schedule,
            "now": now,
            "start": start,
            "end": end,
            "final": final,
            "layers": layers,
            "tracks": tracks,
            "ticks": ticks,
            "legend": legend,
            "viewer_zone_name": timezone.get_current_timezone_name(),
            "gaps": services.coverage_gaps(schedule, None, now),
            "overrides": schedule.overrides.filter(end__gt=now).select_related("user"),
            "override_form": OverrideForm(people=team_people(schedule)),
            "can_change": can_change,
            "ical_url": request.build_absolute_uri(
                reverse("oncall:schedule-feed", args=[schedule.calendar_token])
            ),
            "current": services.now_and_next(schedule, now),
        },
    )


def _layer_rows(schedule: Schedule, layers: list[dict] | None):
    """What the editor's fieldsets show: the layers posted, or the saved ones, plus a blank."""
    if layers is None:
        layers = [
            {
                "name": layer.name,
                "participants": [str(p.user_id) for p in layer.participants.all()],
                "shift_length": layer.shift_length,
                "shift_unit": layer.shift_unit,
                "handoff_time": layer.handoff_time.strftime("%H:%M"),
                "start_date": layer.start_date.isoformat(),
                "restrictions": layer.restrictions,
            }
            for layer in schedule.layers.all()
        ]
    blank = {
        "name": "", "participants": [], "shift_length": 1, "shift_unit": "weeks",
        "handoff_time": "09:00", "start_date": timezone.localdate().isoformat(),
        "restrictions": [], "blank": True,
    }  # fmt: skip
    rows = []
    for layer in [*layers, blank]:
        chosen = [str(p) for p in layer["participants"]]
        rows.append({**layer, "participants": chosen, "slots": [*chosen, "", ""],
                     "restrictions_text": format_restrictions(layer["restrictions"])})  # fmt: skip
    return rows


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for(request.user, pk, edit=True)
    schedule = (
        services.with_layers(Schedule.objects.filter(pk=schedule.pk)).select_related("team").get()
    )
    form = ScheduleForm(
        request.POST or None, instance=schedule, teams=Team.objects.filter(pk=schedule.team_id)
    )
    posted, errors, gaps = None, [], []
    if request.method == "POST" and request.POST.get("add_turn"):
        # "Add a turn" without script: show what was posted again, each layer with more
        # empty turns, and save nothing yet.
        posted, _ = layers_from_post(request.POST)
    elif request.method == "POST":
        posted, errors = layers_from_post(request.POST)
        members = set(team_people(schedule).values_list("pk", flat=True))
        validated = []
        for number, data in enumerate(posted, start=1):
            layer = LayerSerializer(data=data, context={"request": request})
            if not layer.is_valid():
                for field, problems in layer.errors.items():
                    first = problems[0] if isinstance(problems, list) else problems
                    errors.append(f"Layer {number}: {field}: {first}")
                continue
            if any(user.pk not in members for user in layer.validated_data["participants"]):
                errors.append(f"Layer {number}: everyone in a layer must be in {schedule.team}.")
            validated.append(layer.validated_data)
        if form.is_valid() and not errors:
            schedule.time_zone = form.cleaned_data["time_zone"]
            gaps = services.coverage_gaps(schedule, validated, timezone.now())
            if not gaps or request.POST.get("accept_gaps"):
                form.save()
                services.replace_layers(schedule, validated)
                messages.success(request, f"Schedule “{schedule.name}” saved.")
                people = [user for layer in validated for user in layer["participants"]]
                if warning := services.viewer_warning(schedule.team, people):
                    messages.warning(request, warning)
                return redirect("oncall:detail", pk=schedule.pk)
    return render(
        request,
        "oncall/edit.html",
        {
            "schedule": schedule,
            "form": form,
            "rows": _layer_rows(schedule, posted),
            "errors": errors,
            "gaps": gaps,
            "people": team_people(schedule),
            "units": ShiftUnit.choices,
            "overrides": schedule.overrides.filter(end__gt=timezone.now()).select_related("user"),
            "override_form": OverrideForm(people=team_people(schedule)),
            "can_change": True,
        },
        status=400 if errors or form.errors else 200,
    )


def _refused(request: HttpRequest, schedule: Schedule) -> HttpResponse:
    """The schedule page with the messages saying why, as a 400: a refusal is not a
    success to redirect from (and the site's boosted forms show 4xx pages in place)."""
    response = schedule_detail(request, schedule.pk)
    response.status_code = 400
    return response


@login_required
@require_POST
def add_override(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for(request.user, pk, edit=True)
    people = team_people(schedule)
    form = OverrideForm(request.POST, people=people)
    if form.is_valid():
        person = people.get(pk=form.cleaned_data["user"])
        services.add_override(
            schedule, person, form.cleaned_data["start"], form.cleaned_data["end"], request.user
        )
        messages.success(
            request, f"{person.name} covers from {form.cleaned_data['start']:%a %d %b %H:%M}."
        )
        return redirect("oncall:detail", pk=schedule.pk)
    for field, problems in form.errors.items():
        messages.error(request, f"Override {field}: {problems[0]}")
    return _refused(request, schedule)


@login_required
@require_POST
def delete_override(request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
    schedule = get_schedule_for(request.user, pk, edit=True)
    get_object_or_404(Override, pk=override_pk, schedule=schedule).delete()
    messages.success(request, "Override removed.")
    return redirect("oncall:detail", pk=schedule.pk)


@login_required
@require_POST
def take_shift(request: HttpRequest, pk: int) -> HttpResponse:
    """An override for yourself over a shift shown on the timeline."""
    schedule = get_schedule_for(request.user, pk, edit=True)
    try:  # the same parsing and window as the API's overrides
        start = parse_instant(request.POST.get("start", ""), "The start")
        end = parse_instant(request.POST.get("end", ""), "The end")
    except BadValue:
        start = end = None
    if start is None or end is None or end <= start:
        messages.error(request, "That shift could not be read; pick it again from the timeline.")
        return _refused(request, schedule)
    if not team_people(schedule).filter(pk=request.user.pk).exists():
        raise PermissionDenied(f"Only members of {schedule.team} can take its shifts.")
    services.add_override(schedule, request.user, start, end, request.user)
    messages.success(request, "You took the shift.")
    return redirect("oncall:detail", pk=schedule.pk)


@login_required
@require_POST
def revoke_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for(request.user, pk, edit=True)
    schedule.revoke_calendar()
    messages.success(request, "The calendar has a new address; the old one no longer works.")
    return redirect("oncall:detail", pk=schedule.pk)


@login_required
@require_POST
def new_my_calendar(request: HttpRequest) -> HttpResponse:
    """Give the person's own calendar feed an address, or a new one (the old one stops)."""
    calendar, created = PersonalCalendar.objects.get_or_create(user=request.user)
    if not created:
        calendar.revoke()
        messages.success(request, "Your calendar has a new address; the old one no longer works.")
    return redirect("accounts:profile")
