"""The authorization table's rows for django-allauth's sign-in pages (joined into
tests/authz_table.py). They are the steps of signing in, so everyone reaches them; an
unknown provider is not found for anyone."""

from __future__ import annotations

from types import SimpleNamespace


def rows(Endpoint, expected: dict) -> list:
    e = SimpleNamespace(**expected)
    return [
        Endpoint("account inactive page", "get", lambda c: "/accounts/inactive/", e.PUBLIC,
                 page=True, shows=lambda c: "inactive"),
        Endpoint("confirm your password page", "get", lambda c: "/accounts/reauthenticate/",
                 e.PAGE_OPEN_TO_SIGNED_IN, page=True, shows=lambda c: 'name="password"'),
        Endpoint("provider sign-in cancelled page", "get",
                 lambda c: "/accounts/3rdparty/login/cancelled/", e.PUBLIC, page=True,
                 shows=lambda c: "Sign-in cancelled"),
        Endpoint("sign in with an unknown provider", "post",
                 lambda c: "/accounts/oidc/nowhere/login/", dict.fromkeys(e.PEOPLE, 404),
                 page=True, read_only=True),
        Endpoint("callback from an unknown provider", "get",
                 lambda c: "/accounts/oidc/nowhere/login/callback/?code=x&state=y",
                 dict.fromkeys(e.PEOPLE, 404), page=True),
    ]  # fmt: skip
