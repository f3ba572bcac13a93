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


admin.site.register(ChatIdentity)
admin.site.register(ChatThread)
admin.site.register(LinkedChannel)
