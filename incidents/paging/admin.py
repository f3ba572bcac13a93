from django.contrib import admin

from .models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationStep,
    Notification,
    NotificationRule,
    Reminder,
    ReminderIntervals,
    ServicePaging,
)


class StepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "repeat"]
    inlines = [StepInline]


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "address", "failed_at"]
    exclude = ["secret"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["incident", "policy", "status", "step", "loop", "next_due_at"]
    list_filter = ["status"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["incident", "user", "kind", "step", "status", "attempts", "created_at"]
    list_filter = ["status", "kind"]


admin.site.register([NotificationRule, ServicePaging, Reminder])


@admin.register(ReminderIntervals)
class ReminderIntervalsAdmin(admin.ModelAdmin):
    list_display = ["team", "sev1", "sev2", "sev3", "sev4", "updated_at"]
