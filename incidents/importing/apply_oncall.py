"""Applying a team's schedules (with their overrides) and escalation policies, through the
API's own serializers: what an import stores is exactly what the API would store."""

from __future__ import annotations

from accounts.models import Team
from incidents.oncall import services as oncall
from incidents.oncall.models import Schedule
from incidents.oncall.serializers import OverrideSerializer, ScheduleSerializer
from incidents.paging.models import EscalationPolicy
from incidents.paging.serializers import EscalationPolicySerializer

from . import export
from .steps import Context, Skip, find, flatten, outcome, remember, step, validated


def known(ctx: Context, emails: list[str], where: str) -> list[str]:
    """The emails of people Keel has; each one left out is reported against `where`."""
    kept = []
    for email in emails:
        if ctx.person(email) is None:
            ctx.report.skipped.append(f"{email} in {where}: no Keel account with that email")
        else:
            kept.append(email)
    return kept


def schedule_payload(ctx: Context, team: Team, data: dict, label: str) -> dict:
    layers = []
    for number, layer in enumerate(data.get("layers") or [], start=1):
        people = known(ctx, layer["participants"], f"{label} layer {number}")
        if not people:
            ctx.report.skipped.append(f"{label} layer {number}: nobody in it has a Keel account")
            continue
        layers.append({**layer, "participants": people})
    return {"name": data["name"], "team": team.pk, "time_zone": data["time_zone"], "layers": layers}


def layer_shape(layer: dict) -> dict:
    """A validated layer in the shape export writes, to compare with the stored one."""
    return {
        "name": layer.get("name", ""),
        "participants": [person.email for person in layer["participants"]],
        "shift_length": layer["shift_length"],
        "shift_unit": layer["shift_unit"],
        "handoff_time": layer["handoff_time"].strftime("%H:%M"),
        "start_date": layer["start_date"].isoformat(),
        "restrictions": list(layer.get("restrictions", [])),
    }


def desired_overrides(ctx: Context, schedule: Schedule, data: dict, label: str) -> list[dict]:
    """The document's overrides still to end, validated as the API validates them."""
    wanted = []
    for entry in data.get("overrides") or []:
        where = f"{label} override from {entry['start']}"
        if not known(ctx, [entry["user"]], where):
            continue
        checking = OverrideSerializer(data=dict(entry), context=ctx.api(schedule=schedule))
        if not checking.is_valid():
            # One override Keel refuses leaves the schedule and its other overrides be.
            ctx.report.skipped.append(f"{where}: {'; '.join(flatten(checking.errors))}")
        elif checking.validated_data["end"] > ctx.now:
            wanted.append(checking.validated_data)
    return wanted


def sync_overrides(ctx: Context, schedule: Schedule, wanted: list[dict]) -> bool:
    """Make the schedule's overrides that are still to end those of the document, in its
    order (where two overlap the later one wins). True when something changed."""
    current = export.future_overrides(schedule, ctx.now)
    have = [(o.user_id, o.start, o.end) for o in current]
    if have == [(w["user"].pk, w["start"], w["end"]) for w in wanted]:
        return False
    schedule.overrides.filter(pk__in=[o.pk for o in current]).delete()
    for entry in wanted:
        oncall.add_override(schedule, entry["user"], entry["start"], entry["end"], ctx.creator)
    return True


def apply_schedule(ctx: Context, team: Team, data: dict) -> Schedule | None:
    label = f"schedule {data['name']} ({team.slug})"

    def work():
        existing = find(
            Schedule, data.get("source"), Schedule.objects.filter(team=team, name=data["name"])
        )
        payload = schedule_payload(ctx, team, data, label)
        serializer = ScheduleSerializer(existing, data=payload, context=ctx.api())
        checked = validated(serializer)
        wanted = {
            "name": checked["name"],
            "time_zone": checked["time_zone"],
            "layers": [layer_shape(layer) for layer in checked.get("layers", [])],
        }
        same = existing is not None and export.schedule_settings(existing) == wanted
        schedule = existing if same else serializer.save()
        overrides_changed = sync_overrides(
            ctx, schedule, desired_overrides(ctx, schedule, data, label)
        )
        remember(schedule, data.get("source"))
        return outcome(existing, same and not overrides_changed), schedule

    return step(ctx, label, work)


def target_payload(ctx: Context, team: Team, target: dict, where: str) -> dict | None:
    ((key, named),) = target.items()
    if key == "user":
        return {"user": named} if known(ctx, [named], where) else None
    if key == "schedule":
        schedule = Schedule.objects.filter(team=team, name=named).first()
        if schedule is None:
            ctx.report.skipped.append(f"schedule {named} in {where}: no such schedule in {team}")
            return None
        return {"schedule": schedule.pk}
    other = Team.objects.filter(slug=named).first()
    if other is None:
        ctx.report.skipped.append(f"team {named} in {where}: no such team")
        return None
    return {"team": other.pk}


def policy_payload(ctx: Context, team: Team, data: dict, label: str) -> dict:
    steps = []
    for number, entry in enumerate(data["steps"], start=1):
        where = f"{label} step {number}"
        targets = [t for t in (target_payload(ctx, team, t, where) for t in entry["targets"]) if t]
        if not targets:
            ctx.report.skipped.append(f"{where}: none of its targets is in Keel")
            continue
        steps.append({"delay_minutes": entry["delay_minutes"], "targets": targets})
    if not steps:
        raise Skip("none of its steps has a target in Keel")
    return {"name": data["name"], "team": team.pk, "repeat": data.get("repeat", 0), "steps": steps}


def target_shape(target: dict) -> dict:
    ((key, value),) = target.items()
    name = {"user": "email", "schedule": "name", "team": "slug"}[key]
    return {key: getattr(value, name)}


def apply_policy(ctx: Context, team: Team, data: dict) -> EscalationPolicy | None:
    label = f"escalation policy {data['name']} ({team.slug})"

    def work():
        existing = find(
            EscalationPolicy,
            data.get("source"),
            EscalationPolicy.objects.filter(team=team, name=data["name"]),
        )
        if existing is not None and existing.team_id != team.pk:
            raise Skip(f"it was imported into {existing.team}, and a policy stays with its team")
        payload = policy_payload(ctx, team, data, label)
        serializer = EscalationPolicySerializer(existing, data=payload, context=ctx.api())
        checked = validated(serializer)
        wanted = {
            "name": checked["name"],
            "repeat": checked["repeat"],
            "steps": [
                {
                    "delay_minutes": s["delay_minutes"],
                    "targets": [target_shape(t) for t in s["targets"]],
                }
                for s in checked["steps"]
            ],
        }
        same = existing is not None and export.policy_settings(existing) == wanted
        policy = existing if same else serializer.save()
        remember(policy, data.get("source"))
        return outcome(existing, same), policy

    return step(ctx, label, work)
