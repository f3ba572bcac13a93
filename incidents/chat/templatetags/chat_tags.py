"""The profile's Chat section, included with one line: whether the person's Slack account
is linked (proven), waiting for its code, or not linked, and the buttons for each."""

from __future__ import annotations

from django import template

from ..forms import LinkForm
from ..models import ChatIdentity

register = template.Library()


@register.inclusion_tag("chat/_profile_identity.html", takes_context=True)
def chat_profile(context) -> dict:
    user = context["request"].user
    state = ChatIdentity.objects.state(user)
    return {
        "link": state,
        "form": LinkForm(initial={"chat_user_id": state["expected_chat_user_id"] or ""}),
        "csrf_token": context.get("csrf_token"),
    }
