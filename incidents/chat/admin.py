from django.contrib import admin

from .models import ChatChannel, ChatDelivery, ChatIdentity, ChatThread, LinkedChannel


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "service", "state", "disabled_reason", "last_sent_at"]
    list_filter = ["state", "team"]
    exclude = ["webhook_url"]  # a secret: set it on the chat page, never shown again


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "incident", "event", "status", "attempts",
                    "status_code"]  # fmt: skip
    list_filter = ["status", "event"]


@admin.register(ChatIdentity)
class ChatIdentityAdmin(admin.ModelAdmin):
    """Read and delete only: a link is made by proof from Slack (identity.py), and an edited
    member id would be a link nobody proved."""

    list_display = ["user", "chat_user_id", "verified_at", "code_expires_at"]
    readonly_fields = ["user", "chat_user_id", "verified_at", "code_expires_at"]
    exclude = ["code_hash"]

    def has_add_permission(self, request) -> bool:
        return False


admin.site.register(ChatThread)
admin.site.register(LinkedChannel)
