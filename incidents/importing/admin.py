from django.contrib import admin

from .models import SourceLink


@admin.register(SourceLink)
class SourceLinkAdmin(admin.ModelAdmin):
    """Which Keel object each imported source id became. Deleting a link makes the next
    import match that object by name again (or create a new one)."""

    list_display = ["source", "content_type", "object_id", "created_at", "updated_at"]
    list_filter = ["content_type"]
    search_fields = ["source"]
    readonly_fields = ["source", "content_type", "object_id", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # links are made by imports
