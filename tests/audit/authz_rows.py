"""The authorization table's rows for the audit log (joined into tests/authz_table.py): Ops's
admin reads Ops's entries and not the other team's; nobody else on the cast reads it at all
(staff read everything: tests/audit/test_audit_log.py)."""

from __future__ import annotations

from types import SimpleNamespace

from audit.models import Action, AuditEntry

OURS, THEIRS = "audit-entry-of-ops", "audit-entry-of-other"


def entries(ctx: SimpleNamespace) -> None:
    """An entry about each team's things."""
    for team, name in ((ctx.cast.team, OURS), (ctx.cast.other_team, THEIRS)):
        AuditEntry.objects.create(
            actor="staff@example.com", action=Action.UPDATE, object_type="service",
            object_id="1", object_name=name, team_id=team.pk, changes={"name": ["a", name]},
        )  # fmt: skip


def rows(Endpoint, expected: dict) -> list:
    # 403, not 404: whether the log exists is no secret, only what is in it.
    admins = {**expected["READ"], "viewer": 403, "responder": 403, "outsider": 403}
    page_admins = {**admins, "anonymous": 302}
    return [
        Endpoint("audit log", "get", lambda c: (entries(c), "/api/v1/audit/")[1], admins,
                 shows=lambda c: OURS, sees=frozenset({"admin"})),
        Endpoint("audit log, another team's entries", "get",
                 lambda c: (entries(c), "/api/v1/audit/")[1], admins,
                 shows=lambda c: THEIRS, sees=frozenset()),
        Endpoint("audit log page", "get", lambda c: (entries(c), "/audit/")[1], page_admins,
                 page=True, shows=lambda c: OURS, sees=frozenset({"admin"})),
        Endpoint("audit log page, another team's entries", "get",
                 lambda c: (entries(c), "/audit/")[1], page_admins, page=True,
                 shows=lambda c: THEIRS, sees=frozenset()),
    ]  # fmt: skip
