"""The chat link's part of /api/v1/me/: a person's chat workspace account, linked once the
workspace proves it (incidents/chat/identity.py has the rules). The core names the chat app's
model, never imports it: nothing in the core depends on chat."""

from __future__ import annotations

from django.apps import apps
from rest_framework import serializers


def chat_identities():
    """The chat app's ChatIdentity manager (its rules: incidents/chat/identity.py), named,
    not imported, so the core does not depend on chat."""
    return apps.get_model("chat", "ChatIdentity").objects


class ChatUserIdField(serializers.RegexField):
    """Reads as the member id Slack has proven to be yours (null until then); writing one
    asks for a code to prove it, writing "" or null unlinks."""

    default_error_messages = {"not_text": "Must be text (a JSON string) or null."}

    def __init__(self, **kwargs) -> None:
        super().__init__(
            r"^[A-Za-z0-9]{2,40}$", source="*", required=False, allow_blank=True,
            allow_null=True, **kwargs,
        )  # fmt: skip

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None and not isinstance(data, str):
            self.fail("not_text")
        # source="*" merges a dict into the validated data; None unlinks as "" does.
        value = super().run_validation("" if data is None else data)
        return {"chat_user_id": value.upper()}

    def to_representation(self, user) -> str | None:
        return chat_identities().state(user)["chat_user_id"]


class ChatLinkSerializer(serializers.Serializer):
    """Where linking your chat account stands. `code` and `command` only in the answer to
    the PATCH that made the code: it is never shown again."""

    status = serializers.ChoiceField(
        choices=["linked", "pending", "none"],
        help_text="linked: proven from the workspace; pending: waiting for the code to be "
        "typed there (a link from before proof was needed is pending with no code: ask for "
        "a new one); none: not linked.",
    )
    verified_at = serializers.DateTimeField(
        allow_null=True, help_text="When the workspace proved it."
    )
    expected_chat_user_id = serializers.CharField(
        allow_null=True, help_text="Pending: the member id the code is for (null: any)."
    )
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Pending: when the code stops working."
    )
    code = serializers.CharField(required=False, help_text="The one-time code, shown once.")
    command = serializers.CharField(
        required=False, help_text="What to type in the workspace: /incident link <code>."
    )
