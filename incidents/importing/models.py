"""What an import remembers: which Keel object each source id became, so importing again
updates that object (even after a rename at the source) instead of making a second one."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class SourceLink(models.Model):
    # "<tool>:<id>", e.g. "pagerduty:PI7DH85"; one Keel object per source id.
    source = models.CharField(max_length=200, unique=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"], name="sourcelink_target")]

    def __str__(self) -> str:
        return f"{self.source} -> {self.content_type.model} {self.object_id}"
