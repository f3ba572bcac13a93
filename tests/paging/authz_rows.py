"""The authorization table's rows for a team's reminder intervals (joined into
tests/authz_table.py): the team's members read them, only its admins change them."""

from __future__ import annotations

from types import SimpleNamespace

from incidents.paging.models import ReminderIntervals


def custom(ctx: SimpleNamespace) -> ReminderIntervals:
    """Ops's own intervals, with a SEV3 value nobody else has (what the reads look for)."""
    row, _created = ReminderIntervals.objects.get_or_create(
        team=ctx.cast.team, defaults={"sev1": 20, "sev2": 30, "sev3": 47}
    )
    return row


def minutes(ctx: SimpleNamespace) -> tuple:
    row = ReminderIntervals.objects.get(team=ctx.cast.team)
    return (row.sev1, row.sev2, row.sev3, row.sev4)


def rows(Endpoint, expected: dict) -> list:
    """The rows, built with the table's own Endpoint class and status maps."""
    e = SimpleNamespace(**expected)
    admins_only = {**e.WRITE, "responder": 403}
    page_admins_only = {**e.PAGE_WRITE, "responder": 403, "outsider": 404}
    api = "/api/v1/reminder-intervals/"
    return [
        Endpoint("list reminder intervals", "get", lambda c: (custom(c), api)[1],
                 e.OPEN_TO_SIGNED_IN, shows=lambda c: '"sev3":47', sees=frozenset(e.TEAM)),
        Endpoint("reminder intervals detail", "get",
                 lambda c: f"{api}{custom(c).team_id}/", e.READ, shows=lambda c: '"sev3":47'),
        Endpoint("replace reminder intervals", "put", lambda c: f"{api}{custom(c).team_id}/",
                 admins_only, body=lambda c: {"sev1": 11, "sev2": 22, "sev3": 33, "sev4": 44},
                 effect=lambda c: minutes(c) == (11, 22, 33, 44)),
        Endpoint("edit reminder intervals", "patch", lambda c: f"{api}{custom(c).team_id}/",
                 admins_only, body=lambda c: {"sev2": 12},
                 effect=lambda c: minutes(c)[1] == 12),
        Endpoint("reminders page", "get", lambda c: (custom(c), "/paging/reminders/")[1],
                 e.PAGE_OPEN_TO_SIGNED_IN, page=True, shows=lambda c: 'value="47"',
                 sees=frozenset({"admin"})),
        Endpoint("save reminders form", "post",
                 lambda c: f"/paging/reminders/{custom(c).team_id}/", page_admins_only,
                 body=lambda c: {f"team{c.cast.team.pk}-sev1": 13,
                                 f"team{c.cast.team.pk}-sev3": 47},
                 page=True, effect=lambda c: minutes(c)[0] == 13),
    ]  # fmt: skip
