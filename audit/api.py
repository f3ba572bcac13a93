"""GET /api/v1/audit/: the audit log, newest first, for staff (all) and team admins (their
teams' entries); 403 for everyone else."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from .access import entries_for
from .filters import AuditFilter
from .models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="team_id", allow_null=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        help_text="{field: [before, after]}; secrets masked as ********.",
    )

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "via", "address", "action", "object_type", "object_id",
                  "object_name", "team", "changes"]  # fmt: skip
        read_only_fields = fields


class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter

    def get_queryset(self):
        return entries_for(self.request.user).order_by("-at", "-pk")
