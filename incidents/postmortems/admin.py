"""The admin edits the checker's extra phrases and the sections' starting text; the rest is
for looking (postmortems change through incidents/postmortems/workflow.py)."""

from django.contrib import admin

from .models import ActionItem, BlamePhrase, Factor, Postmortem, SectionTemplate


@admin.register(BlamePhrase)
class BlamePhraseAdmin(admin.ModelAdmin):
    list_display = ["phrase", "reason", "suggestion", "active"]
    list_filter = ["active"]
    search_fields = ["phrase"]


@admin.register(SectionTemplate)
class SectionTemplateAdmin(admin.ModelAdmin):
    list_display = ["section"]


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["incident", "status", "version", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["incident", "status", "version", "sections", "published_sections",
                       "published_at", "published_by", "anonymised"]  # fmt: skip


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = ["category", "description", "postmortem"]
    list_filter = ["category"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "due_date", "priority", "status"]
    list_filter = ["status", "priority"]
