"""`Authorization: Bearer <token>` for the API, with personal tokens stored hashed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token

# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        if not raw or " " in raw:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: use 'Authorization: Bearer <token>'."
            )
        token = (
            ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(raw))
        ).first()
        if token is None:
            raise exceptions.AuthenticationFailed(
                "This API token is not valid: it may have been revoked. "
                "Create a new one on your profile page."
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes unauthenticated API requests answer 401 (with this header), not 403.
        return 'Bearer realm="api"'
