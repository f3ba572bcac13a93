"""The authorization table's rows for the import page (joined into tests/authz_table.py):
staff only. Every person in the table is refused (403; anonymous people are sent to log
in) and nothing changes; tests/importing/test_import_page.py covers staff."""

from __future__ import annotations

from types import SimpleNamespace

from accounts.models import Team


def imported(ctx: SimpleNamespace) -> bool:
    return Team.objects.filter(slug="imported").exists()


def rows(Endpoint, expected: dict) -> list:
    refused = {**dict.fromkeys(expected["PEOPLE"], 403), "anonymous": 302}
    form = {"source": "pagerduty", "token": "u+abc", "create_users": "on"}
    return [
        Endpoint("import page", "get", lambda c: "/settings/import/", refused, page=True,
                 shows=lambda c: "Move in from another on-call tool"),
        Endpoint("import plan", "post", lambda c: "/settings/import/plan/", refused, page=True,
                 body=lambda c: form, effect=imported),
        Endpoint("import apply", "post", lambda c: "/settings/import/apply/", refused, page=True,
                 body=lambda c: {"plan": "x"}, effect=imported),
    ]  # fmt: skip
