"""API shapes for paging (DESIGN.md, Contracts: Paging). Bad input is a 400 naming the
field: an unknown person, schedule or team, a target with two keys, no steps."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from accounts.models import Team, User
from accounts.permissions import can_edit_policies
from incidents.api.serializers import ModelSerializer, TextField, UserRefField, require_whole
from incidents.oncall.models import Schedule

from . import phone, providers
from .models import (
    PHONE_KINDS,
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
)
from .providers import ntfy

MAX_STEPS = 20
MAX_TARGETS = 20
MAX_DELAY = 24 * 60
TOKEN_LIMIT = 64  # ContactMethod.secret; ntfy's tokens are 32 characters (tk_...)


class ContactMethodSerializer(ModelSerializer):
    address = TextField(
        max_length=500,
        help_text="An email address, an https URL, or (sms, voice) a phone number in E.164.",
    )
    verified = serializers.BooleanField(
        read_only=True,
        help_text="A phone number is paged only once verified with the code sent to it "
        "(POST …/verify/); other kinds are always true.",
    )
    rules = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_DELAY),
        required=False,
        write_only=True,
        min_length=1,  # a method without a rule would never be used: remove it instead
        max_length=10,
        help_text="Minutes after a page at which this method is used; [0] (at once) if not given.",
    )

    token = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=TOKEN_LIMIT,
        help_text="ntfy only: an access token for the topic (sent as a Bearer token).",
    )  # fmt: skip
    secret = serializers.CharField(
        read_only=True, allow_null=True,
        help_text="A webhook's signing secret: in the answer that adds it, null afterwards.",
    )  # fmt: skip

    class Meta:
        model = ContactMethod
        fields = [
            "id", "kind", "address", "token", "rules", "secret", "verified", "failed_at",
            "failure",
        ]  # fmt: skip
        read_only_fields = ["id", "secret", "verified", "failed_at", "failure"]

    def validate(self, attrs):
        kind = attrs.get("kind") or getattr(self.instance, "kind", None)
        address = attrs.get("address") or getattr(self.instance, "address", "")
        moved = self.instance is None or {"kind", "address"} & set(attrs)
        if kind == ContactKind.WEBPUSH and moved:
            raise serializers.ValidationError(
                {"kind": "Add a device for Web Push with POST /api/v1/push-subscriptions/."}
            )
        if self.instance is not None and "kind" in attrs and attrs["kind"] != self.instance.kind:
            raise serializers.ValidationError({"kind": "A contact method keeps its kind."})
        if "token" in attrs:
            if kind != ContactKind.NTFY:
                raise serializers.ValidationError({"token": "Only ntfy takes a token."})
            attrs["secret"] = attrs.pop("token").strip()
            if not ntfy.TOKEN.match(attrs["secret"]):
                raise serializers.ValidationError({"token": ntfy.TOKEN_ERROR})
        if kind in PHONE_KINDS:
            if kind not in providers.offered():
                raise serializers.ValidationError({"kind": providers.why_not(kind)})
            try:
                number = phone.parse_number(address)
            except phone.BadNumber as exc:
                raise serializers.ValidationError({"address": str(exc)}) from None
            if "address" in attrs:
                attrs["address"] = number
                if self.instance is not None and number != self.instance.address:
                    # A new number is verified again, with a new code (api.py sends it).
                    attrs["verified_at"], attrs["code_hash"] = None, ""
        elif kind == ContactKind.EMAIL:
            serializers.EmailField().run_validation(address)
        elif kind == ContactKind.NTFY:
            try:
                ntfy.split(address)
            except ntfy.BadAddress as exc:
                raise serializers.ValidationError({"address": str(exc)}) from None
        else:
            try:
                serializers.URLField().run_validation(address)
            except serializers.ValidationError:
                address = ""
            if not address.startswith(("https://", "http://")):
                raise serializers.ValidationError({"address": "Give an http(s) URL."})
        if "address" in attrs and self.instance is not None:
            attrs["failed_at"], attrs["failure"] = None, ""  # a fixed address works again
        return attrs

    def to_representation(self, method):
        data = super().to_representation(method)
        data["rules"] = [rule.delay_minutes for rule in method.rules.all()]
        # The signing secret is shown once, when the webhook is added; an ntfy token never.
        shown = self.context.get("show_secret") and method.kind == ContactKind.WEBHOOK
        if not shown or not data["secret"]:
            data["secret"] = None
        return data

    def create(self, validated):
        rules = validated.pop("rules", [0])
        method = ContactMethod.objects.create(**validated)
        set_rules(method, rules)
        return method

    def update(self, method, validated):
        rules = validated.pop("rules", None)
        method = super().update(method, validated)
        if rules is not None:
            set_rules(method, rules)
        return method


class VerifySerializer(serializers.Serializer):
    code = TextField(max_length=12, help_text="The six-digit code sent to the number.")


def set_rules(method: ContactMethod, delays: list[int]) -> None:
    method.rules.all().delete()
    NotificationRule.objects.bulk_create(
        NotificationRule(contact_method=method, delay_minutes=d) for d in sorted(set(delays))
    )


class TargetSerializer(serializers.Serializer):
    user = UserRefField(required=False)
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all(), required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError(
                'A target is exactly one of {"user": person}, {"schedule": id}, {"team": id}.'
            )
        return attrs

    def to_representation(self, target):
        return target


class StepSerializer(serializers.Serializer):
    delay_minutes = serializers.IntegerField(min_value=1, max_value=MAX_DELAY)
    targets = TargetSerializer(many=True, allow_empty=False, max_length=MAX_TARGETS)

    def validate(self, attrs):
        return require_whole(attrs, self)


class EscalationPolicySerializer(ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    repeat = serializers.IntegerField(min_value=0, max_value=10, default=0)
    steps = StepSerializer(many=True, allow_empty=False, max_length=MAX_STEPS)
    name = TextField(max_length=100)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "team", "repeat", "steps"]

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None and team.pk != self.instance.team_id:
            raise serializers.ValidationError("A policy stays with its team.")
        if not can_edit_policies(self.context["request"].user, team.pk):
            raise PermissionDenied(f"Only responders of {team} may add its escalation policies.")
        return team

    def validate(self, attrs):
        team = attrs.get("team") or getattr(self.instance, "team", None)
        for step in attrs.get("steps", []):
            for target in step["targets"]:
                schedule = target.get("schedule")
                if schedule is not None and schedule.team_id != team.pk:
                    raise serializers.ValidationError(
                        {"steps": f"Schedule {schedule.pk} is not a schedule of {team}."}
                    )
                # A team's policy pages its own team, never another one's people.
                other = target.get("team")
                if other is not None and other.pk != team.pk:
                    raise serializers.ValidationError(
                        {"steps": f"A policy of {team} can page {team}, not another team."}
                    )
        return attrs

    def create(self, validated):
        steps = validated.pop("steps")
        policy = EscalationPolicy.objects.create(**validated)
        replace_steps(policy, steps)
        return policy

    def update(self, policy, validated):
        steps = validated.pop("steps", None)
        policy = super().update(policy, validated)
        if steps is not None:
            replace_steps(policy, steps)
        return policy

    def to_representation(self, policy):
        steps = list(policy.steps.order_by("position"))
        return {
            "id": policy.pk, "name": policy.name, "team": policy.team_id, "repeat": policy.repeat,
            "steps": [{"delay_minutes": s.delay_minutes, "targets": shown_targets(s.targets)}
                      for s in steps],
        }  # fmt: skip


def shown_targets(targets: list[dict]) -> list[dict]:
    """Targets as the API names them: people by email (as they are given, and as the
    schema says: a string), schedules and teams by id."""
    ids = [t["user"] for t in targets if "user" in t]
    emails = dict(User.objects.filter(pk__in=ids).values_list("pk", "email")) if ids else {}
    return [{"user": emails.get(t["user"], str(t["user"]))} if "user" in t else t for t in targets]


def stored_target(target: dict) -> dict:
    ((key, value),) = target.items()
    return {key: value.pk}


def replace_steps(policy: EscalationPolicy, steps: list[dict]) -> None:
    """Store `steps` (the validated shape: each target holds a model instance) as the
    policy's steps. The API and the browser's editor both save through here; both save the
    policy row first in the same transaction, which locks it, so two saves take turns."""
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(
            policy=policy, position=k, delay_minutes=step["delay_minutes"],
            targets=[stored_target(t) for t in step["targets"]],
        )
        for k, step in enumerate(steps)
    )  # fmt: skip


class PageSomeoneSerializer(serializers.Serializer):
    incident = TextField(max_length=20, help_text="The incident's ref, e.g. INC-12.")
    user = UserRefField(required=False)
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all(), required=False)

    def validate(self, attrs):
        if ("user" in attrs) == ("schedule" in attrs):
            raise serializers.ValidationError("Name exactly one of user or schedule.")
        return attrs
