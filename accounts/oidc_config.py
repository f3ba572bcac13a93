"""OpenID Connect providers from the environment (OIDC_PROVIDERS), read by keel/settings.py.

A JSON list of {"id", "name", "issuer", "client_id", "client_secret", "scopes"?,
"groups_claim"? (default "groups"), "teams"?: {"<group>": {"team": "<team name or slug>",
"role": "admin" | "responder" | "viewer"}}}. Anything else stops Keel at start-up with the
reason, rather than leaving a sign-in button that cannot work.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import ImproperlyConfigured

ROLES = ("admin", "responder", "viewer")
DEFAULT_SCOPES = ["openid", "email", "profile"]
KEYS = {"id", "name", "issuer", "client_id", "client_secret", "scopes", "groups_claim", "teams"}


def _fail(reason: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"OIDC_PROVIDERS: {reason}")


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{where} needs {key!r} (a non-empty string)")
    return value.strip()


def _provider(entry: object, n: int) -> dict:
    where = f"provider #{n + 1}"
    if not isinstance(entry, dict):
        raise _fail(f"{where} is not an object")
    unknown = set(entry) - KEYS
    if unknown:
        raise _fail(f"{where} has unknown keys {sorted(unknown)} (known: {sorted(KEYS)})")
    provider_id = _text(entry, "id", where)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", provider_id):
        raise _fail(f"{where}: id {provider_id!r} must be lower-case letters, digits, - or _")
    where = f"provider {provider_id!r}"
    issuer = _text(entry, "issuer", where).rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise _fail(f"{where}: issuer must be an http(s) URL")
    scopes = entry.get("scopes", DEFAULT_SCOPES)
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        raise _fail(f"{where}: scopes must be a list of strings")
    if "openid" not in scopes:
        scopes = ["openid", *scopes]
    groups_claim = entry.get("groups_claim", "groups")
    if not isinstance(groups_claim, str) or not groups_claim:
        raise _fail(f"{where}: groups_claim must be a claim name")
    teams = entry.get("teams", {})
    if not isinstance(teams, dict):
        raise _fail(f"{where}: teams must map group names to {{'team', 'role'}}")
    for group, target in teams.items():
        if not isinstance(target, dict) or set(target) != {"team", "role"}:
            raise _fail(f"{where}: group {group!r} must map to {{'team': ..., 'role': ...}}")
        if not isinstance(target["team"], str) or not target["team"].strip():
            raise _fail(f"{where}: group {group!r} names no team")
        if target["role"] not in ROLES:
            raise _fail(f"{where}: group {group!r} has role {target['role']!r}, not one of {ROLES}")
    return {
        "id": provider_id,
        "name": _text(entry, "name", where),
        "issuer": issuer,
        "client_id": _text(entry, "client_id", where),
        "client_secret": _text(entry, "client_secret", where),
        "scopes": scopes,
        "groups_claim": groups_claim,
        "teams": {g: {"team": t["team"].strip(), "role": t["role"]} for g, t in teams.items()},
    }


def parse_providers(raw: str) -> list[dict]:
    if not raw.strip():
        return []
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise _fail(f"not valid JSON ({error})") from None
    if not isinstance(entries, list):
        raise _fail("must be a JSON list of providers")
    providers = [_provider(entry, n) for n, entry in enumerate(entries)]
    ids = [p["id"] for p in providers]
    if len(set(ids)) != len(ids):
        raise _fail(f"provider ids must be unique: {ids}")
    return providers


def allauth_apps(providers: list[dict]) -> list[dict]:
    """django-allauth's openid_connect APPS: discovery from the issuer, PKCE on."""
    return [
        {
            "provider_id": p["id"],
            "name": p["name"],
            "client_id": p["client_id"],
            "secret": p["client_secret"],
            "settings": {
                "server_url": p["issuer"],
                "scope": p["scopes"],
                "oauth_pkce_enabled": True,
            },
        }
        for p in providers
    ]
