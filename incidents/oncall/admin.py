from django.contrib import admin

from .models import Layer, LayerParticipant, Override, Schedule


class LayerInline(admin.StackedInline):
    model = Layer
    extra = 0


class OverrideInline(admin.TabularInline):
    model = Override
    extra = 0
    fk_name = "schedule"
    raw_id_fields = ["user", "created_by"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "time_zone"]
    list_filter = ["team"]
    exclude = ["calendar_token"]
    inlines = [LayerInline, OverrideInline]


@admin.register(LayerParticipant)
class LayerParticipantAdmin(admin.ModelAdmin):
    list_display = ["layer", "user", "position"]
    raw_id_fields = ["user"]
