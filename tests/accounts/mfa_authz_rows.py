"""The authorization table's rows for the second-factor pages (django-allauth's MFA under
/accounts/2fa/; joined into tests/authz_table.py). Anyone signed in reaches their own
two-factor page; every change asks for the password again first (allauth's
reauthentication), so without it nothing changes; pages about a factor someone has not
set up are not found; nobody signed out gets past the sign-in page."""

from __future__ import annotations

from types import SimpleNamespace


def rows(Endpoint, expected: dict) -> list:
    e = SimpleNamespace(**expected)
    everyone_sent_on = dict.fromkeys(e.PEOPLE, 302)
    none_set_up = {**dict.fromkeys(e.PEOPLE, 404), "anonymous": 302}

    def page(name, path, expected_status, **more):
        return Endpoint(name, "get", lambda c: path, expected_status, page=True, **more)

    def change(name, path):
        return Endpoint(name, "post", lambda c: path, everyone_sent_on, page=True,
                        read_only=True)  # fmt: skip

    return [
        page(
            "two-factor page",
            "/accounts/2fa/",
            e.PAGE_OPEN_TO_SIGNED_IN,
            shows=lambda c: "Authenticator App",
        ),
        page("second-factor step of signing in", "/accounts/2fa/authenticate/", everyone_sent_on),
        page("confirm with a second factor", "/accounts/2fa/reauthenticate/", everyone_sent_on),
        change("turn on an authenticator app", "/accounts/2fa/totp/activate/"),
        page("turn off an authenticator app", "/accounts/2fa/totp/deactivate/", none_set_up),
        page("recovery codes", "/accounts/2fa/recovery-codes/", none_set_up),
        change("new recovery codes", "/accounts/2fa/recovery-codes/generate/"),
        page("download recovery codes", "/accounts/2fa/recovery-codes/download/", none_set_up),
        page("passkeys and security keys", "/accounts/2fa/webauthn/", e.PAGE_OPEN_TO_SIGNED_IN),
        change("add a passkey", "/accounts/2fa/webauthn/add/"),
        page("confirm with a passkey", "/accounts/2fa/webauthn/reauthenticate/", everyone_sent_on),
        change("remove a passkey", "/accounts/2fa/webauthn/keys/1/remove/"),
        change("rename a passkey", "/accounts/2fa/webauthn/keys/1/edit/"),
    ]
