"""GET /api/v1/audit/: the audit log, newest first, for staff (all) and team admins (their
teams' entries); 403 for everyone else."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from incidents.api.views import ERRORS

from .access import entries_for
from .filters import AuditFilter
from .models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(
        source="team_id", read_only=True, allow_null=True, help_text="The team's id, if any."
    )
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        help_text="{field: [before, after]}; secrets masked as ********.",
    )

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "via", "address", "action", "object_type", "object_id",
                  "object_name", "team", "changes"]  # fmt: skip
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        description="The audit log, newest first: staff read every entry, a team admin the "
        "entries about their teams' things; anyone else is refused (403).",
        responses={200: AuditEntrySerializer(many=True), **ERRORS},
    )
)
class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the filters
            return AuditEntry.objects.none()
        return entries_for(self.request.user).order_by("-at", "-pk")
