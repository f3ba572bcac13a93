from django.contrib import admin

from .models import Alert, Integration, MaintenanceWindow


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["service", "kind", "name", "enabled", "key_hint", "created_at"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["key_hash", "key_hint", "key_rotated_at"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["dedup_key", "integration", "status", "count", "incident", "last_seen"]
    list_filter = ["status"]
    raw_id_fields = ["incident", "integration"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["service", "starts_at", "ends_at", "reason"]
