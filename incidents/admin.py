"""The admin is for looking and for fixing reference data. Incidents and their timelines
change only through incidents.lifecycle, so they are read-only here."""

from django.contrib import admin

from .models import Incident, RefCounter, RoleAssignment, Service, TimelineEvent


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "description"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fields = ["role", "user", "assigned_at", "assigned_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["ref", "title", "severity", "status", "team", "private", "created_at"]
    list_filter = ["status", "severity", "private", "team", "services"]
    search_fields = ["title", "summary", "number"]
    date_hierarchy = "created_at"
    inlines = [RoleAssignmentInline]
    list_select_related = ["team"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["incident", "role", "user", "assigned_at"]
    list_filter = ["role"]
    list_select_related = ["incident", "user"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ["incident", "seq", "kind", "occurred_at", "author"]
    list_filter = ["kind"]
    search_fields = ["body"]
    list_select_related = ["incident", "author"]


@admin.register(RefCounter)
class RefCounterAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_value"]
