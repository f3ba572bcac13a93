"""The one way incidents change.

Browser forms, the API, chat commands, alert webhooks and Celery tasks all call these
functions. Each one, inside a single transaction:

1. locks the incident row and checks the actor may make the change and that it is allowed;
2. changes the incident and appends its timeline events, numbering them from the row's
   `last_seq` (the row lock is what makes `seq` gapless and unique under concurrency);
3. after commit, hands a `Change` to every registered hook (live room, chat, paging), which
   queue their own work. A failing hook is logged and does not affect the others.

Each writer is one whole transaction: called outside any transaction, one that PostgreSQL
picks as a deadlock victim is redone (incidents/locking.py, which also holds the lock order
every path follows); inside a caller's transaction it runs once and the caller decides.

`actor` is the person acting, or None for the system (alerts, scheduled tasks).

The writer and what the changes share are in `writer.py`; the changes themselves in
`declaring.py`, `status.py` (including paging's acknowledge, escalate and snooze) and
`people.py` (roles, capability records, notes). Callers use this package's names only.
"""

from .declaring import (
    declare,
    next_number,
    team_of_services,
    update,
)
from .people import (
    add_note,
    assign_role,
    record,
    strike_note,
    unassign_role,
)
from .status import (
    SNOOZE_MINUTES,
    acknowledge,
    decline,
    escalate,
    merge,
    reopen,
    resolve,
    set_severity,
    set_status,
    snooze,
    snooze_minutes,
)
from .writer import (
    ALLOWED_MOVES,
    MAX_LABEL_LENGTH,
    MAX_LABELS,
    MAX_NOTE,
    MAX_SUMMARY,
    MAX_TITLE,
    Change,
    Conflict,
    LifecycleError,
    Paging,
    paging_of,
    register_hook,
    register_pager,
    unregister_hook,
)

__all__ = [
    "ALLOWED_MOVES",
    "MAX_LABELS",
    "MAX_LABEL_LENGTH",
    "MAX_NOTE",
    "MAX_SUMMARY",
    "MAX_TITLE",
    "SNOOZE_MINUTES",
    "Change",
    "Conflict",
    "LifecycleError",
    "Paging",
    "acknowledge",
    "add_note",
    "assign_role",
    "declare",
    "decline",
    "escalate",
    "merge",
    "next_number",
    "paging_of",
    "record",
    "register_hook",
    "register_pager",
    "reopen",
    "resolve",
    "set_severity",
    "set_status",
    "snooze",
    "snooze_minutes",
    "strike_note",
    "team_of_services",
    "unassign_role",
    "unregister_hook",
    "update",
]
